// core.mjs — the only code that touches the Wasm core's memory.
//
// Every call frames its input as [u32 header length][JSON header][payload bytes], copies it
// into Wasm memory, runs one export and copies the framed result out before returning, so
// no view into Wasm memory outlives a call (memory growth detaches them) or an `await`.
// The instance is created lazily from the imported module; if a call traps, the instance
// is dropped and the next call builds a fresh one, replaying the configuration and the pool
// snapshot, so one bad input cannot take the isolate's other requests down.
import wasmModule from './core.wasm';

export const ABI_VERSION = 1;

export const OP = Object.freeze({
  CONFIGURE: 1,
  ROUTE: 2,
  POOL_LOAD: 3,
  SELECT: 4,
  CLASSIFY: 5,
  PARSE_KEYS: 6,
  MASK: 7,
  REDACT: 8,
  TRANSLATE: 9,
  POOL_EVENT: 10,
  POOL_STATUS: 11,
  ERROR: 12,
  USAGE: 13,
  LEARN: 14,
  MERGE_EVENTS: 15,
  MEDIA: 16,
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const EMPTY = new Uint8Array(0);

export class CoreError extends Error {}

let live = null; // { exports, generation }
let generation = 0;
const replay = new Map(); // op -> [header, payload]: state to restore in a fresh instance

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

function instantiate() {
  const instance = new WebAssembly.Instance(wasmModule, stubImports(wasmModule));
  const exports = instance.exports;
  if (typeof exports._initialize === 'function') exports._initialize();
  const version = exports.bal_abi_version();
  if (version !== ABI_VERSION) {
    throw new CoreError(`core.wasm has ABI ${version}, the shim expects ${ABI_VERSION}: rebuild with npm run build`);
  }
  live = { exports, generation: ++generation };
  for (const [op, [header, payload]] of replay) callRaw(op, header, payload);
  return live;
}

function core() {
  return live ?? instantiate();
}

function asBytes(payload) {
  if (payload == null) return EMPTY;
  if (typeof payload === 'string') return encoder.encode(payload);
  if (payload instanceof Uint8Array) return payload;
  if (payload instanceof ArrayBuffer) return new Uint8Array(payload);
  throw new TypeError('payload must be a string, Uint8Array or ArrayBuffer');
}

// Copies `header` and `payload` into Wasm memory; returns [ptr, len]. The caller frees ptr.
function writeFrame(exports, header, payload) {
  const head = encoder.encode(header == null ? '' : JSON.stringify(header));
  const body = asBytes(payload);
  const len = 4 + head.length + body.length;
  const ptr = exports.bal_alloc(len);
  if (!ptr) throw new CoreError('core out of memory');
  const mem = new Uint8Array(exports.memory.buffer, ptr, len);
  new DataView(mem.buffer, ptr, 4).setUint32(0, head.length, true);
  mem.set(head, 4);
  mem.set(body, 4 + head.length);
  return [ptr, len];
}

function writeBytes(exports, bytes) {
  const ptr = exports.bal_alloc(bytes.length);
  if (!ptr) throw new CoreError('core out of memory');
  new Uint8Array(exports.memory.buffer, ptr, bytes.length).set(bytes);
  return ptr;
}

// Copies the framed result out of Wasm memory and decodes it.
function readResult(exports) {
  const ptr = exports.bal_result_data();
  const size = exports.bal_result_size();
  const bytes = new Uint8Array(exports.memory.buffer, ptr, size).slice();
  const headLen = new DataView(bytes.buffer).getUint32(0, true);
  const header = headLen ? JSON.parse(decoder.decode(bytes.subarray(4, 4 + headLen))) : {};
  return { header, payload: bytes.subarray(4 + headLen) };
}

// Runs fn(exports) and drops the instance if it traps.
function guarded(fn) {
  const current = core();
  try {
    return fn(current.exports);
  } catch (err) {
    if (live === current) live = null;
    throw err instanceof CoreError ? err : new CoreError(`core trapped: ${err && err.message}`);
  }
}

function callRaw(op, header, payload) {
  const exports = live.exports;
  const [ptr, len] = writeFrame(exports, header, payload);
  try {
    const rc = exports.bal_call(op, ptr, len);
    const result = readResult(exports);
    if (rc !== 0) throw new CoreError(`core op ${op} failed (${rc}): ${result.header.error}`);
    return result;
  } finally {
    exports.bal_free(ptr);
  }
}

// One core operation: returns { header, payload } (payload: a Uint8Array owned by the caller).
export function call(op, header, payload) {
  return guarded(() => callRaw(op, header, payload));
}

export function callText(op, header, payload) {
  const r = call(op, header, payload);
  return { header: r.header, text: decoder.decode(r.payload) };
}

// Calls whose state must survive a re-instantiation (configuration, pool snapshot).
export function callRemembered(op, header, payload) {
  const bytes = asBytes(payload);
  const result = call(op, header, bytes);
  replay.set(op, [header, bytes]);
  return result;
}

// A streaming translation handle; always close() it, whatever happens to the stream.
export class CoreStream {
  constructor(header) {
    this.generation = core().generation;
    this.handle = guarded((exports) => {
      const [ptr, len] = writeFrame(exports, header, EMPTY);
      try {
        return exports.bal_stream_open(ptr, len);
      } finally {
        exports.bal_free(ptr);
      }
    });
    if (!this.handle) throw new CoreError('core refused to open a stream');
  }

  #check() {
    if (!this.handle) throw new CoreError('stream is closed');
    if (!live || live.generation !== this.generation) throw new CoreError('core restarted during the stream');
  }

  push(chunk) {
    this.#check();
    return guarded((exports) => {
      const bytes = asBytes(chunk);
      const ptr = writeBytes(exports, bytes);
      try {
        const rc = exports.bal_stream_push(this.handle, ptr, bytes.length);
        const result = readResult(exports);
        if (rc !== 0) throw new CoreError(`stream push failed (${rc})`);
        return result.payload;
      } finally {
        exports.bal_free(ptr);
      }
    });
  }

  finish() {
    this.#check();
    return guarded((exports) => {
      const rc = exports.bal_stream_finish(this.handle);
      const result = readResult(exports);
      if (rc !== 0) throw new CoreError(`stream finish failed (${rc})`);
      return result;
    });
  }

  close() {
    if (!this.handle) return;
    const handle = this.handle;
    this.handle = 0;
    if (live && live.generation === this.generation) live.exports.bal_stream_close(handle);
  }
}

export function openStreams() {
  return core().exports.bal_stream_count();
}
