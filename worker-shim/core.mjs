// core.mjs — the only code that touches the Wasm core's memory.
//
// The ABI's tables (operations, fields and their types, actions, tasks, events, flags, the
// headers the core reads, the KeyPool object's policies) come from the core itself
// (bal_describe), so nothing here is a hand-made copy of cpp/abi/balancer.h. Inputs and
// outputs are records of typed fields; a result is copied out before anything else runs, so
// no view into Wasm memory outlives a call (memory growth detaches them) or an `await`. If a
// call traps, the instance is dropped and the next call builds a fresh one, replaying the
// configuration and the pool snapshot; requests open in the old instance are refused from
// then on.
import wasmModule from './core.wasm';

export const ABI_VERSION = 14;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);
// A ref's bytes up to this size are copied out at once; larger ones are read in place.
const COPY_LIMIT = 1024 * 1024;

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
  const t = { op: {}, field: {}, fieldById: [], action: {}, task: {}, event: {}, flag: {}, reason: {}, policy: {}, header: [], upstream_header: [], config: [] };
  for (const line of text.split('\n')) {
    const [kind, name, id, type] = line.split(' ');
    if (kind === 'field') {
      t.field[name] = { id: Number(id), type };
      // A ref field X_REF is decoded with a copy of its bytes as X too.
      t.fieldById[Number(id)] = { name, type, copy: type === 'ref' ? name.slice(0, -4) : null };
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

function resultRecord(exports) {
  const buffer = exports.memory.buffer;
  const at = exports.bal_result_data();
  return decode(new Uint8Array(buffer), new DataView(buffer), at, at + exports.bal_result_size());
}

// An upper bound of the record's size for { FIELD: value } (num: numbers, str: strings,
// bytes: Uint8Array or string, rec: an array of such objects).
function bound(fields) {
  let n = 0;
  for (const name in fields) {
    const v = fields[name];
    if (v === undefined || v === null) continue;
    const f = ABI.field[name];
    if (!f) throw new CoreError(`no ABI field ${name}`);
    if (f.type === 'num') n += 14;
    else if (f.type === 'rec') for (const r of v) n += 6 + bound(r);
    else n += 6 + (typeof v === 'string' ? v.length * 3 : v.length);
  }
  return n;
}

// Writes the record into `mem` from `at`; returns where it ends.
function write(mem, view, at, fields) {
  for (const name in fields) {
    const v = fields[name];
    if (v === undefined || v === null) continue;
    const f = ABI.field[name];
    if (f.type === 'rec') {
      for (const r of v) {
        const end = write(mem, view, at + 6, r);
        view.setUint16(at, f.id, true);
        view.setUint32(at + 2, end - at - 6, true);
        at = end;
      }
      continue;
    }
    let len;
    if (f.type === 'num') {
      view.setFloat64(at + 6, Number(v), true);
      len = 8;
    } else if (typeof v === 'string') {
      len = encoder.encodeInto(v, mem.subarray(at + 6)).written;
    } else {
      mem.set(v, at + 6);
      len = v.length;
    }
    view.setUint16(at, f.id, true);
    view.setUint32(at + 2, len, true);
    at += 6 + len;
  }
  return at;
}

// { FIELD: value } from a record in `mem` [at, end); rec fields become arrays, bytes fields
// Uint8Array copies, a ref field X_REF its place { at, length } and, up to COPY_LIMIT, a copy
// of its bytes as X. Reads Wasm memory directly: call it before anything else runs.
function decode(mem, view, at, end) {
  const out = {};
  while (at + 6 <= end) {
    const id = view.getUint16(at, true);
    const len = view.getUint32(at + 2, true);
    const from = at + 6;
    at = from + len;
    const f = ABI.fieldById[id];
    if (!f) continue;
    if (f.type === 'num') out[f.name] = view.getFloat64(from, true);
    else if (f.type === 'str') out[f.name] = decoder.decode(mem.subarray(from, at));
    else if (f.type === 'bytes') out[f.name] = mem.slice(from, at);
    else if (f.type === 'ref') {
      const place = { at: Number(view.getBigUint64(from, true)), length: view.getUint32(from + 8, true) };
      out[f.name] = place;
      if (place.length <= COPY_LIMIT) out[f.copy] = mem.slice(place.at, place.at + place.length);
    }
    else (out[f.name] ??= []).push(decode(mem, view, from, at));
  }
  return out;
}

// A scratch buffer in the instance's memory of at least `size` bytes: grown to fit, and one
// grown past COPY_LIMIT (a whole answer) given back once smaller inputs follow, for the core.
function scratch(instance, size) {
  const { exports } = instance;
  let [ptr, cap] = instance.scratch;
  if (size > cap || (cap > COPY_LIMIT && size <= COPY_LIMIT)) {
    if (ptr) exports.bal_free(ptr);
    cap = Math.max(size, 64 * 1024);
    ptr = exports.bal_alloc(cap);
    if (!ptr) throw new CoreError('core out of memory');
    instance.scratch = [ptr, cap];
  }
  return ptr;
}

const RAW_OPS = new Set(['CHUNK', 'BODY_CHUNK', 'TICK', 'REDACT']);

// Runs one operation; returns the decoded record, or the raw result bytes for raw ops.
function run(instance, opName, handle, input) {
  const { exports } = instance;
  const op = ABI.op[opName];
  let ptr;
  let len;
  if (input instanceof Uint8Array || typeof input === 'string') {
    const bytes = typeof input === 'string' ? encoder.encode(input) : input;
    ptr = scratch(instance, bytes.length);
    new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
    len = bytes.length;
  } else {
    ptr = scratch(instance, bound(input ?? {}));
    const buffer = exports.memory.buffer;
    len = write(new Uint8Array(buffer), new DataView(buffer), ptr, input ?? {}) - ptr;
  }
  const rc = exports.bal_call(op, handle, ptr, len);
  if (rc !== 0) throw new CoreRefusal(`core ${opName} refused (${rc}): ${resultRecord(exports).LOG ?? ''}`);
  return RAW_OPS.has(opName) ? resultBytes(exports).slice() : resultRecord(exports);
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

// One operation outside a request (CONFIGURE, POOL_LOAD, EVENTS, PROBE, CLASSIFY, REDACT, OPEN_COUNT).
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
  if (!ABI.op) core();
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
    if (this.action.KIND === ABI.action.RESPOND || this.action.KIND === ABI.action.CLOSE) this.handle = 0;
    return this.action;
  }

  chunk(bytes) {
    return this.#run('CHUNK', bytes);
  }

  // READ_BODY with INSPECT: the client's body, passed on chunk by chunk as it arrives.
  bodyChunk(bytes) {
    this.#run('BODY_CHUNK', bytes);
  }

  // `n` bytes from `from` on of a ref's place, copied: the request's bytes until it ends.
  slice(ref, from, n) {
    if (!this.handle || live?.generation !== this.generation) throw new CoreError('request is closed');
    return new Uint8Array(live.exports.memory.buffer, ref.at + from, n).slice();
  }

  tick() {
    return this.#run('TICK', EMPTY);
  }

  // The streamed answer ended (REASON 0) or broke; returns { OK, BODY, FLAGS }.
  end(reason, tail) {
    const out = this.#run('END', { REASON: reason, BODY: tail ?? EMPTY });
    this.handle = 0;
    return out;
  }

  // A RELAYed session ended (REASON ABORTED: the client closed; 0: the upstream closed;
  // NETWORK: it failed) with that close; returns { STATUS, TEXT } for the other side, FLAGS.
  endSession(reason, code, text) {
    const out = this.#run('END', { REASON: reason, STATUS: code, TEXT: text ?? '' });
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
