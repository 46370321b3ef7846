// abi-input.mjs — the abi fuzz target's input (cpp/fuzz/abi_fuzz.cpp and abi_input.h) in
// JavaScript: the values a step picks and the records it builds, byte for byte, decoded step
// by step as the C++ target decodes them, and what the target feeds a request for its last
// action (abiFollow). The Wasm replay (replay.mjs) makes the same calls through core.mjs;
// seeds.mjs writes inputs in this layout. Change this file and the C++ ones together.
import { readFileSync } from 'node:fs';
import { Provider } from './provider.mjs';

const encoder = new TextEncoder();
const asBytes = (v) => (typeof v === 'string' ? encoder.encode(v) : v);
const pickOrFreeBytes = (p, list, max) => (p.bool() ? asBytes(p.pick(list)) : p.randomString(max));

// The ABI's tables, read from cpp/abi/balancer.h as the C++ targets read them (its X-macros),
// so that nothing here is a copy by hand: { op, field, action, task, event, flag, reason:
// name -> id; header: the request header names, in order }.
export const ABI_IDS = (() => {
  const source = readFileSync(new URL('../../cpp/abi/balancer.h', import.meta.url), 'utf8');
  const macro = (name) => {
    const lines = [];
    for (const line of source.slice(source.indexOf(`#define ${name}(X)`)).split('\n')) {
      lines.push(line);
      if (!line.trimEnd().endsWith('\\')) break;
    }
    return lines.join('\n');
  };
  const ids = (name) =>
    Object.fromEntries([...macro(name).matchAll(/X\((\w+), (\d+)/g)].map((m) => [m[1], Number(m[2])]));
  return {
    op: ids('BAL_OPS'),
    field: ids('BAL_FIELDS'),
    action: ids('BAL_ACTIONS'),
    task: ids('BAL_TASKS'),
    event: ids('BAL_EVENTS'),
    flag: ids('BAL_FLAGS'),
    reason: ids('BAL_REASONS'),
    header: [...macro('BAL_REQUEST_HEADERS').matchAll(/X\("([^"]+)"\)/g)].map((m) => m[1]),
  };
})();

// A record (balancer.h): [u16 id][u32 length][value] fields, built byte for byte as the C++
// targets build them. Numbers are f64, or raw bits (a BigInt) for NaN payloads and the like.
export class Record {
  constructor() {
    this.parts = [];
  }

  raw(field, value) {
    const bytes = asBytes(value);
    const head = new Uint8Array(6);
    const view = new DataView(head.buffer);
    view.setUint16(0, ABI_IDS.field[field], true);
    view.setUint32(2, bytes.length, true);
    this.parts.push(head, bytes);
    return this;
  }

  num(field, value) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setFloat64(0, value, true);
    return this.raw(field, b);
  }

  bits(field, value) {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, value, true);
    return this.raw(field, b);
  }

  build() {
    return concat(this.parts);
  }
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Whether `bytes` is a sequence of whole fields (what the core must accept).
export function wellFramed(bytes) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 0;
  while (bytes.length - at >= 6) {
    const n = view.getUint32(at + 2, true);
    if (n > bytes.length - at - 6) return false;
    at += 6 + n;
  }
  return at === bytes.length;
}

export const ABI_STEPS = ['open', 'follow', 'feed', 'chunk', 'end', 'close', 'configure', 'pool_load', 'other'];
export const ABI_NOW = 1700000000000;
// Numbers a field may carry: kinds, slots, reasons, statuses, times, and what no shim sends.
export const ABI_NUMS = [
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  ...[200, 204, 302, 400, 401, 403, 404, 429, 500, 503, 599, 600, 999, 1000, 1001],
  ...[-1, 0.5, 1e9, 4294967295, 4294967296, 1700000000000, 1700000060000, 9007199254740991],
  ...[1e300, -1e300, NaN, Infinity, -Infinity],
];
export const ABI_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD'];
export const ABI_PATHS = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/models',
  '/v1/models/gemini-2.5-flash',
  '/v1beta/models/gemini-2.5-flash:generateContent',
  '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
  '/v1beta/models',
  '/upload/v1beta/files',
  '/v1beta/files/abc',
  '/api/session',
  '/api/keys',
  '/api/keys/check',
  '/api/stats',
  '/',
  '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent',
];
export const ABI_QUERIES = ['', 'alt=sse', 'key=tok-a', 'upload_id=u-1&upload_protocol=resumable', 'page=2&limit=10'];
export const ABI_HEADER_VALUES = [
  'Bearer tok-a',
  'Bearer fuzz-admin',
  'tok-a',
  'application/json',
  'https://app.example',
  'resumable',
  'start',
  'upload, finalize',
  '0',
  '12',
  'text/event-stream',
  'websocket',
];
export const ABI_UPSTREAM_HEADERS = [
  '',
  'content-type\napplication/json\n',
  'content-type\ntext/event-stream\n',
  'content-type\napplication/json\nretry-after\n7\n',
  'x-goog-upload-status\nactive\nx-goog-upload-url\nhttps://generativelanguage.googleapis.com/upload/v1beta/' +
    'files?upload_id=u-1&upload_protocol=resumable\n',
  'content-type\ntext/html\n',
];
export const ABI_BODIES = [
  '',
  '{"candidates":[{"content":{"parts":[{"text":"hi"}],"role":"model"},"finishReason":"STOP"}],' +
    '"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}}',
  'data: {"candidates":[{"content":{"parts":[{"text":"a"}]}}]}\r\n\r\n' +
    'data: {"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}],' +
    '"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2}}\r\n\r\n',
  '{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":' +
    '"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProject"}]},' +
    '{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"2s"}]}}',
  '{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT","details":[{"@type":' +
    '"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID"}]}}',
  '{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}',
  '{"embeddings":[{"values":[0.1,0.2]},{"values":[0.3,0.4]}]}',
  '{"models":[{"name":"models/gemini-2.5-flash","supportedGenerationMethods":["generateContent"]}],' +
    '"nextPageToken":"p2"}',
  '{"file":{"name":"files/abc","uri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}',
  '{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}],"stream":true,' +
    '"stream_options":{"include_usage":true}}',
  '{"model":"gemini-embedding-001","input":["a","b"]}',
  '{"keys":["AIzaSyC1234567890abcdefghijklmnopqrstuv"]}',
  '{"token":"fuzz-admin"}',
  '{"ids":[1,2]}',
];
export const ABI_RESULTS = [
  'null',
  '{"keys":[],"total":0,"counts":{}}',
  '{"added":1,"existing":0,"total":3}',
  '{"running":true}',
  '{"running":false,"checked":2}',
  '{"deleted":1}',
  '[',
  'API key not valid. Please pass a valid API key.',
];
// What a follow step answers a FETCH with (no fetch gives 101 or 999, but the ABI carries them),
// and a socket closes with.
export const ABI_STATUSES = [200, 200, 200, 204, 302, 400, 401, 403, 404, 429, 429, 500, 503, 504, 101, 999, 1000, 1007, 1008, 1011];
export const ABI_POOLS = [
  'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nK 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\n' +
    'C 2 gemini-2.5-flash 1700000060000\n',
  'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nC 1 * 1700000060000\n',
  'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv d\n',
  '',
  'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nK 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\nA 2 files/abc\n',
];
export const ABI_BINDINGS = [
  ['ADMIN_TOKEN', 'fuzz-admin'],
  ['AUTH_TOKENS', 'tok-a'],
  ['ALLOW_CLIENT_KEYS', 'true'],
  ['CORS_ORIGINS', 'https://app.example'],
  ['RATE_LIMIT_PER_MINUTE', '2'],
  ['MAX_BODY_BYTES', '1024'],
  ['MAX_ATTEMPTS', '2'],
  ['MODEL_MAP', 'gpt-*=gemini-2.5-flash'],
];
export const ABI_OTHER = ['EVENTS', 'CLASSIFY', 'REDACT', 'OPEN_COUNT', 'any'];

export function abiBindings(bits) {
  return JSON.stringify(Object.fromEntries(ABI_BINDINGS.filter((_, i) => bits & (1 << i))));
}

// What a shim takes from a Headers object or a URL never holds CR or NUL.
const headerText = (bytes) => bytes.map((c) => (c === 13 || c === 0 ? 32 : c));


function numField(p, rec, field) {
  const i = p.u8();
  return i < ABI_NUMS.length ? rec.num(field, ABI_NUMS[i]) : rec.bits(field, p.u64());
}

// mangled() in abi_input.h: most records go as built; some are cut, padded, given a huge
// length, or doubled.
function mangled(p, rec) {
  const m = p.u8();
  if (m < 224) return rec;
  const k = m - 224;
  if (k < 8) return rec.subarray(0, rec.length - Math.min(rec.length, k + 1));
  if (k < 16) return concat([rec, new Uint8Array(k - 7).fill(0xff)]);
  if (k < 24) {
    const out = rec.slice();
    if (out.length >= 6) out.fill(0xff, 2, 6);
    return out;
  }
  return concat([rec, rec]);
}

function abiHead(p) {
  const r = new Record();
  r.raw('METHOD', pickOrFreeBytes(p, ABI_METHODS, 16));
  r.raw('PATH', pickOrFreeBytes(p, ABI_PATHS, 512));
  r.raw('QUERY', pickOrFreeBytes(p, ABI_QUERIES, 256));
  const pairs = [];
  for (let n = p.int(0, 6); n > 0; n--) {
    const name = asBytes(`${p.pick(ABI_IDS.header)}\n`);
    pairs.push(name, headerText(pickOrFreeBytes(p, ABI_HEADER_VALUES, 256)), asBytes('\n'));
  }
  r.raw('HEADERS', concat(pairs));
  r.raw('ORIGIN', p.bool() ? asBytes('https://worker.example') : headerText(p.randomString(64)));
  numField(p, r, 'NOW');
  r.raw('RANDOM', '0123456789abcdef0123456789abcdef');
  return mangled(p, r.build());
}

function abiEvent(p) {
  const r = new Record();
  numField(p, r, 'KIND');
  numField(p, r, 'SLOT');
  numField(p, r, 'STATUS');
  r.raw('HEADERS', headerText(pickOrFreeBytes(p, ABI_UPSTREAM_HEADERS, 256)));
  r.raw('BODY', pickOrFreeBytes(p, ABI_BODIES, 65536));
  numField(p, r, 'REASON');
  numField(p, r, 'SIZE');
  numField(p, r, 'OK');
  r.raw('RESULT', pickOrFreeBytes(p, ABI_RESULTS, 4096));
  numField(p, r, 'NOW');
  return mangled(p, r.build());
}

function abiPoolLoad(p) {
  const r = new Record();
  numField(p, r, 'NOW');
  numField(p, r, 'SEED');
  const choice = p.int(0, ABI_POOLS.length + 1);
  if (choice < ABI_POOLS.length) r.raw('BODY', ABI_POOLS[choice]);
  else if (choice === ABI_POOLS.length) r.raw('BODY', p.randomString(4096));
  return mangled(p, r.build());
}

function abiOther(p) {
  const which = ABI_OTHER[p.int(0, ABI_OTHER.length - 1)];
  if (which === 'EVENTS') {
    const r = new Record();
    numField(p, r, 'NOW');
    return { op: 'EVENTS', bytes: mangled(p, r.build()) };
  }
  if (which === 'CLASSIFY') {
    const r = new Record();
    numField(p, r, 'STATUS');
    r.raw('BODY', pickOrFreeBytes(p, ABI_BODIES, 65536)).raw('MODEL', 'gemini-2.5-flash');
    numField(p, r, 'NOW');
    return { op: 'CLASSIFY', bytes: mangled(p, r.build()) };
  }
  if (which === 'REDACT') return { op: 'REDACT', bytes: p.randomString(4096) };
  if (which === 'OPEN_COUNT') return { op: 'OPEN_COUNT', bytes: new Uint8Array(0) };
  let op = p.u32();
  if (op >= 1 && op <= 7) op += 100;
  return { op, bytes: p.randomString(4096) };
}

// The steps of one input, decoded as they run: which handle a step picks depends on how many
// requests the earlier steps left open, so the caller keeps `state.open` (that count)
// current. A picked handle is an index into the open requests, in the order they opened, or
// any number (the C++ target checks that the core refuses those; the shim cannot send them).
export function* abiSteps(bytes, state) {
  const p = new Provider(bytes);
  const pickHandle = () => (state.open > 0 && p.bool() ? { index: p.int(0, state.open - 1) } : { number: p.u32() });
  for (let n = 0; n < 32 && p.remaining > 0; n++) {
    const kind = ABI_STEPS[p.int(0, ABI_STEPS.length - 1)];
    if (kind === 'open') {
      yield { kind, bytes: abiHead(p) };
    } else if (kind === 'follow') {
      if (state.open === 0) {
        yield { kind };
        continue;
      }
      const index = p.int(0, state.open - 1);
      const which = p.u8();
      const status = p.pick(ABI_STATUSES);
      const headers = p.pick(ABI_UPSTREAM_HEADERS);
      const body = pickOrFreeBytes(p, ABI_BODIES, 65536);
      const result = p.pick(ABI_RESULTS);
      const now = ABI_NOW + p.int(0, 600000);
      yield { kind, index, choice: { which, status, headers, body, result, now } };
    } else if (kind === 'feed') {
      const handle = pickHandle();
      yield { kind, handle, bytes: abiEvent(p) };
    } else if (kind === 'chunk') {
      const handle = pickHandle();
      yield { kind, handle, bytes: p.randomString(65536) };
    } else if (kind === 'end') {
      const handle = pickHandle();
      const r = new Record();
      numField(p, r, 'REASON');
      const reason = new DataView(r.build().buffer).getFloat64(6, true);
      yield { kind, handle, reason, tail: p.randomString(16384) };
    } else if (kind === 'close') {
      yield { kind, handle: pickHandle() };
    } else if (kind === 'configure') {
      const bits = p.u8();
      const body = p.bool() ? asBytes(abiBindings(bits)) : p.randomString(1024);
      yield { kind, bytes: mangled(p, new Record().raw('BODY', body).build()) };
    } else if (kind === 'pool_load') {
      yield { kind, bytes: abiPoolLoad(p) };
    } else {
      yield { kind, ...abiOther(p) };
    }
  }
}

// The records reset() in abi_fuzz.cpp sends before each input.
export function abiReset() {
  return {
    configure: new Record().raw('BODY', abiBindings(3)).build(),
    poolLoad: new Record().num('NOW', ABI_NOW).num('SEED', 7).raw('BODY', ABI_POOLS[0]).build(),
    events: new Record().num('NOW', ABI_NOW).build(),
  };
}

// follow() in abi_fuzz.cpp: what the shim does for a request's last action (`req`: { action,
// pending: [[task kind, slot]] }, updated by the caller), from the input's choices. Returns
// { op: 'FEED', bytes, chunks? } (chunks: the body's BODY_CHUNKs, to pass before the FEED),
// { op: 'CHUNK', bytes }, { op: 'END', reason, tail }, or null.
export function abiFollow(req, c) {
  const A = ABI_IDS.action;
  const E = ABI_IDS.event;
  const T = ABI_IDS.task;
  const R = ABI_IDS.reason;
  const ev = new Record();
  const a = req.action;
  let chunks;
  if (a.KIND === A.READ_BODY) {
    if ((c.which & 3) === 3) ev.num('KIND', E.BODY_FAILED).num('REASON', 1 + ((c.which >> 2) % 3));
    else if ((a.FLAGS ?? 0) & ABI_IDS.flag.INSPECT && c.which & 4) {
      const half = Math.floor(c.body.length / 2);
      chunks = [c.body.subarray(0, half), c.body.subarray(half)];
      ev.num('KIND', E.BODY).num('SIZE', c.body.length + (c.which & 8 ? 1 : 0));
    } else if ((a.FLAGS ?? 0) & ABI_IDS.flag.INSPECT) ev.num('KIND', E.BODY).raw('BODY', c.body);
    else ev.num('KIND', E.BODY).num('SIZE', c.body.length);
  } else if (a.KIND === A.TASKS) {
    const i = c.which % req.pending.length;
    const [task, slot] = req.pending[i];
    req.pending.splice(i, 1);
    const variant = (c.which >> 4) & 3;
    if (task === T.FETCH) {
      if (variant === 3) {
        ev.num('KIND', E.UPSTREAM_FAILED).num('SLOT', slot).num('REASON', c.which & 64 ? R.TIMEOUT : R.NETWORK);
      } else {
        ev.num('KIND', E.UPSTREAM_HEAD).num('SLOT', slot).num('STATUS', c.status).raw('HEADERS', c.headers);
      }
    } else if (task === T.WAIT) {
      ev.num('KIND', E.WAITED).num('SLOT', slot);
    } else if (task === T.CALL) {
      ev.num('KIND', E.CALLED).num('SLOT', slot).num('OK', variant === 3 ? 0 : 1).raw('RESULT', c.result);
    } else if (task === T.POOL) {
      ev.num('KIND', E.POOL_READY).num('SLOT', slot).num('OK', 1);
    } else if (task === T.MEDIA) {
      ev.num('KIND', E.MEDIA_DONE).num('SLOT', slot).num('STATUS', c.status);
      ev.raw('MIME', 'image/png').raw('BODY', c.body);
    } else if (variant === 0) {
      ev.num('KIND', E.SOCKET_OPEN).num('SLOT', slot);
    } else {
      ev.num('KIND', E.SOCKET_CLOSED).num('SLOT', slot).num('STATUS', c.status).raw('TEXT', c.result);
      if (variant === 3) ev.num('REASON', R.TIMEOUT);
    }
  } else if (a.KIND === A.ACCEPT) {
    if ((c.which & 3) === 3) ev.num('KIND', E.BODY_FAILED).num('REASON', R.TIMEOUT);
    else if ((c.which & 3) === 2) ev.num('KIND', E.CLIENT_CLOSED).num('STATUS', c.status).raw('TEXT', c.result);
    else ev.num('KIND', E.BODY).raw('BODY', c.body);
  } else if (a.KIND === A.READ_UPSTREAM) {
    ev.num('KIND', E.UPSTREAM_BODY).num('SLOT', a.SLOT).raw('BODY', c.body);
    if ((c.which & 3) === 3) ev.num('REASON', R.NETWORK);
  } else if (a.KIND === A.STREAM) {
    if ((c.which & 3) !== 3) return a.MODE === 1 ? { op: 'CHUNK', bytes: c.body } : null;
    return { op: 'END', reason: c.which & 4 ? R.TIMEOUT : 0, tail: c.body };
  } else if (a.KIND === A.RELAY) {
    if ((c.which & 3) !== 3) return { op: 'CHUNK', bytes: c.body };
    return { op: 'END_SESSION', reason: c.which & 4 ? R.ABORTED : 0, code: c.status, text: c.result };
  } else {
    return null;
  }
  ev.num('NOW', c.now);
  return { op: 'FEED', bytes: ev.build(), chunks };
}
