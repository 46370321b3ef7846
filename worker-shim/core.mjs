// core.mjs — the only code that touches the Wasm core's memory.
//
// The ABI's tables (operations, fields and their types, actions, tasks, events, flags, the
// headers the core reads) come from the core itself (bal_describe), so nothing here is a
// hand-made copy of cpp/abi/balancer.h. Inputs and outputs are records of typed fields; a
// result is copied out before anything else runs, so no view into Wasm memory outlives a
// call (memory growth detaches them) or an `await`. If a call traps, the instance is dropped
// and the next call builds a fresh one, replaying the configuration and the pool snapshot;
// requests open in the old instance are refused from then on.
import wasmModule from './core.wasm';

export const ABI_VERSION = 2;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class CoreError extends Error {}
// The core answered but refused the input (an error status): the instance is still sound.
class CoreRefusal extends CoreError {}

let live = null; // { exports, generation, scratch: [ptr, size] }
let generation = 0;
const replay = new Map(); // op -> input record: state to restore in a fresh instance

// The ABI's tables, read once per isolate from the first instance.
export const ABI = {};

function stubImports(module) {
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] =
      imp.name === 'proc_exit'
        ? (code) => {
            throw new CoreError(`core exited (${code})`);
          }
        : () => 52; // ENOSYS: the core performs no I/O
  }
  return imports;
}

function readTables(exports) {
  exports.bal_describe();
  const text = decoder.decode(resultBytes(exports));
  const t = { op: {}, field: {}, fieldById: [], action: {}, task: {}, event: {}, flag: {}, reason: {}, header: [], upstream_header: [], config: [] };
  for (const line of text.split('\n')) {
    const [kind, name, id, type] = line.split(' ');
    if (kind === 'field') {
      t.field[name] = { id: Number(id), type };
      t.fieldById[Number(id)] = { name, type };
    } else if (kind === 'header' || kind === 'upstream_header' || kind === 'config') t[kind].push(name);
    else if (t[kind] && !Array.isArray(t[kind])) t[kind][name] = Number(id);
  }
  return t;
}

function instantiate() {
  const instance = new WebAssembly.Instance(wasmModule, stubImports(wasmModule));
  const exports = instance.exports;
  if (typeof exports._initialize === 'function') exports._initialize();
  const version = exports.bal_abi_version();
  if (version !== ABI_VERSION) {
    throw new CoreError(`core.wasm has ABI ${version}, the shim expects ${ABI_VERSION}: rebuild with npm run build`);
  }
  if (!ABI.op) Object.assign(ABI, readTables(exports));
  live = { exports, generation: ++generation, scratch: [0, 0] };
  for (const [op, input] of replay) run(live, op, 0, input);
  return live;
}

function resultBytes(exports) {
  return new Uint8Array(exports.memory.buffer, exports.bal_result_data(), exports.bal_result_size());
}

// A record from { FIELD: value }: num fields take numbers, str strings, bytes a Uint8Array
// (or a string), rec an array of such objects.
function encode(fields) {
  const parts = [];
  let size = 0;
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    const f = ABI.field[name];
    if (!f) throw new CoreError(`no ABI field ${name}`);
    const values = f.type === 'rec' ? value : [value];
    for (const v of values) {
      let bytes;
      if (f.type === 'num') {
        bytes = new Uint8Array(8);
        new DataView(bytes.buffer).setFloat64(0, Number(v), true);
      } else if (f.type === 'rec') bytes = encode(v);
      else bytes = typeof v === 'string' ? encoder.encode(v) : v;
      parts.push(f.id, bytes);
      size += 6 + bytes.length;
    }
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (let i = 0; i < parts.length; i += 2) {
    const bytes = parts[i + 1];
    view.setUint16(at, parts[i], true);
    view.setUint32(at + 2, bytes.length, true);
    out.set(bytes, at + 6);
    at += 6 + bytes.length;
  }
  return out;
}

// { FIELD: value } from a record; rec fields become arrays, bytes fields Uint8Array copies.
function decode(bytes) {
  const out = {};
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (at + 6 <= bytes.length) {
    const id = view.getUint16(at, true);
    const len = view.getUint32(at + 2, true);
    const value = bytes.subarray(at + 6, at + 6 + len);
    at += 6 + len;
    const f = ABI.fieldById[id];
    if (!f) continue;
    if (f.type === 'num') out[f.name] = new DataView(value.buffer, value.byteOffset, 8).getFloat64(0, true);
    else if (f.type === 'str') out[f.name] = decoder.decode(value);
    else if (f.type === 'bytes') out[f.name] = value.slice();
    else (out[f.name] ??= []).push(decode(value));
  }
  return out;
}

// Copies `input` into the instance's scratch buffer (grown as needed, never freed).
function place(instance, input) {
  const { exports } = instance;
  let [ptr, size] = instance.scratch;
  if (input.length > size) {
    if (ptr) exports.bal_free(ptr);
    size = Math.max(input.length, 64 * 1024);
    ptr = exports.bal_alloc(size);
    if (!ptr) throw new CoreError('core out of memory');
    instance.scratch = [ptr, size];
  }
  new Uint8Array(exports.memory.buffer, ptr, input.length).set(input);
  return ptr;
}

const RAW_OPS = new Set(['CHUNK', 'REDACT']);

// Runs one operation; returns the decoded record, or the raw result bytes for raw ops.
function run(instance, opName, handle, input) {
  const { exports } = instance;
  const op = ABI.op[opName];
  const bytes = input instanceof Uint8Array ? input : typeof input === 'string' ? encoder.encode(input) : encode(input ?? {});
  const ptr = place(instance, bytes);
  const rc = exports.bal_call(op, handle, ptr, bytes.length);
  const result = resultBytes(exports);
  if (rc !== 0) throw new CoreRefusal(`core ${opName} refused (${rc}): ${decode(result.slice()).LOG ?? ''}`);
  return RAW_OPS.has(opName) ? result.slice() : decode(result.slice());
}

function core() {
  return live ?? instantiate();
}

// Runs fn(instance) and drops the instance if it traps.
function guarded(fn) {
  const current = core();
  try {
    return fn(current);
  } catch (err) {
    if (live === current && !(err instanceof CoreRefusal)) live = null;
    throw err instanceof CoreError ? err : new CoreError(`core trapped: ${err && err.message}`);
  }
}

// One operation outside a request (CONFIGURE, POOL_LOAD, EVENTS, CLASSIFY, REDACT, OPEN_COUNT).
export function call(op, input) {
  return guarded((instance) => run(instance, op, 0, input));
}

// Operations whose state must survive a re-instantiation (configuration, pool snapshot).
export function callRemembered(op, input) {
  const result = call(op, input);
  replay.set(op, input);
  return result;
}

export function tables() {
  core();
  return ABI;
}

// One request in the core (machine.h): open it with the head, then feed it what happened.
// Always close() it, whatever happens.
export class CoreRequest {
  constructor(head) {
    const action = guarded((instance) => {
      this.generation = instance.generation;
      return run(instance, 'OPEN', 0, head);
    });
    this.handle = action.KIND === ABI.action.RESPOND ? 0 : action.HANDLE;
    this.action = action;
  }

  #run(op, input) {
    if (!this.handle) throw new CoreError('request is closed');
    if (!live || live.generation !== this.generation) throw new CoreError('core restarted during the request');
    return guarded((instance) => run(instance, op, this.handle, input));
  }

  feed(event) {
    this.action = this.#run('FEED', event);
    if (this.action.KIND === ABI.action.RESPOND) this.handle = 0;
    return this.action;
  }

  chunk(bytes) {
    return this.#run('CHUNK', bytes);
  }

  // The streamed answer ended (REASON 0) or broke; returns { OK, BODY, FLAGS }.
  end(reason, tail) {
    const out = this.#run('END', { REASON: reason, BODY: tail ?? EMPTY });
    this.handle = 0;
    return out;
  }

  close() {
    if (!this.handle) return;
    const handle = this.handle;
    this.handle = 0;
    if (live && live.generation === this.generation) live.exports.bal_call(ABI.op.CLOSE, handle, 0, 0);
  }
}

export function redact(text) {
  return decoder.decode(call('REDACT', String(text)));
}
