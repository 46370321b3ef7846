// seeds.mjs — starting inputs for each fuzz target, made from the golden fixtures
// (tests/fixtures/openai/) and a few hand-written cases, in the layouts of formats.mjs.
// `npm run fuzz -- --seeds` merges them (minimised) into tests/fuzz-corpus/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writer } from './provider.mjs';
import { multipartBody } from '../helpers/multipart.mjs';
import {
  ABI_BODIES,
  ABI_HEADER_VALUES,
  ABI_IDS,
  ABI_METHODS,
  ABI_NUMS,
  ABI_OTHER,
  ABI_PATHS,
  ABI_POOLS,
  ABI_QUERIES,
  ABI_RESULTS,
  ABI_STATUSES,
  ABI_STEPS,
  ABI_UPSTREAM_HEADERS,
} from './abi-input.mjs';
import {
  ADMIN_TOKEN,
  CLASSIFY_MAX_NOW,
  HEADER_NAMES,
  HEADER_VALUES,
  METHODS,
  PATHS,
  ANSWER_REQUESTS,
  FETCH_ENDS,
  JSON_MEDIA_ROUTES,
  MEDIA_KINDS,
  MULTIPART_BOUNDARIES,
  MULTIPART_ROUTES,
  RESPONSE_KINDS,
  STREAM_FAILS,
  STREAM_GROUNDED,
  responseFlags,
} from './formats.mjs';

const fixtureRoot = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'fixtures');
const fixtures = join(fixtureRoot, 'openai');
const encoder = new TextEncoder();
const bytes = (s) => encoder.encode(s);

function load(dir) {
  return readdirSync(join(fixtures, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(fixtures, dir, f), 'utf8')));
}

const requests = load('requests').map((f) => f.openai_raw ?? JSON.stringify(f.openai));
// A list's pages go one a line (openai_response_fuzz.cpp, flag 128).
const responses = load('responses').map((f) => {
  const pages = Array.isArray(f.gemini) && f.translate.kind === 'models';
  const body = pages ? f.gemini.map((p) => JSON.stringify(p)).join('\n') : JSON.stringify(f.gemini);
  return { ...f, pages, body: f.gemini_raw ?? body };
});

// The Anthropic fixtures: request bodies (the captured Claude Code ones included) and
// upstream streams.
function loadAnthropic(dir) {
  const at = join(fixtureRoot, 'anthropic', dir);
  return readdirSync(at)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(at, f), 'utf8')));
}
const anthropicRequests = loadAnthropic('requests').map((f) => {
  if (f.capture) return JSON.stringify(JSON.parse(readFileSync(join(fixtureRoot, 'anthropic', 'captures', f.capture), 'utf8')).body);
  return f.anthropic_raw ?? JSON.stringify(f.anthropic);
});
const anthropicStreams = loadAnthropic('streams');
const streams = load('streams');

const responsesFixtures = join(fixtures, '..', 'responses');
const loadResponses = (dir) =>
  readdirSync(join(responsesFixtures, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(responsesFixtures, dir, f), 'utf8')));
const responsesRequests = loadResponses('requests').map((f) => f.request_raw ?? JSON.stringify(f.request));
const responsesStreams = loadResponses('streams');

// Deterministic cuts (xorshift), so the seeds do not change from one run to the next.
function cuts(length, seed, max) {
  let x = seed | 1;
  const sizes = [];
  for (let left = length; left > 0; ) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const n = Math.min(left, 1 + ((x >>> 0) % max));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

const KEY = 'AIzaSyA1234567890abcdefghijklmnopqrstuv';
const KEY2 = 'AIzaSyB1234567890abcdefghijklmnopqrstuv';

function errorBody(code, status, message, details = []) {
  return JSON.stringify({ error: { code, message, status, details } });
}
const quota = (id, delay) => [
  { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'm', quotaId: id }] },
  { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay },
];
const reason = (r) => [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: r, domain: 'googleapis.com' }];

const SUSPENDED = `Consumer 'api_key:${KEY}' has been suspended.`;
const CLASSIFY_CASES = [
  [429, errorBody(429, 'RESOURCE_EXHAUSTED', 'quota', quota('GenerateRequestsPerDayPerProjectPerModel', '30s'))],
  [429, errorBody(429, 'RESOURCE_EXHAUSTED', 'quota', quota('GenerateRequestsPerMinutePerProject', '1.5s'))],
  [429, errorBody(429, 'RESOURCE_EXHAUSTED', 'quota', quota('Other', '250ms'))],
  [400, errorBody(400, 'INVALID_ARGUMENT', 'API key not valid.', reason('API_KEY_INVALID'))],
  [403, errorBody(403, 'PERMISSION_DENIED', SUSPENDED, reason('CONSUMER_SUSPENDED'))],
  [403, errorBody(403, 'PERMISSION_DENIED', 'Your API key was reported as leaked.')],
  [400, errorBody(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.')],
  [401, errorBody(401, 'UNAUTHENTICATED', 'Request had invalid authentication credentials.')],
  [500, '<html><body>Internal error</body></html>'],
  [0, ''],
  [200, '{}'],
];

const KEY_TEXTS = [
  JSON.stringify({ keys: [KEY, 'junk', KEY, `  ${KEY2} `] }),
  JSON.stringify([KEY, 42, KEY2]),
  JSON.stringify({ keys: `${KEY}\n${KEY2}` }),
  `${KEY}, ${KEY2}; AIzaShort\tnot-a-key\n`,
  `GEMINI_API_KEY=${KEY}\n# api_key=${KEY2}\nlog: key=${KEY}&alt=sse`,
  `Consumer 'api_key:${KEY}' has been suspended.`,
  '{"keys": [',
];

// pool_fuzz.cpp: a snapshot, then change batches after lines "---" (pool.h's lines).
const POOL_TEXTS = [
  `T 5\nW 0 0\nK 1 ${KEY} a\nK 2 ${KEY2} a\nC 2 gemini-2.5-flash 1700000060000\nP 9 ${KEY} d\nA 9 files/abc`,
  `W 1 3\nK 1 ${KEY} a\nK 2 ${KEY2} a\n---\nK 3 ${KEY} a\nD 1\nC 2 * 1700000900000\n---\nW 3 1\nK 4 ${KEY2} a\nR 2\nF files/x`,
  `W 5 2\nK 6 ${KEY} a\nK 1 ${KEY2} d\n---\nA 6 cachedContents/c1\nW 7 8\n---\nF cachedContents/c1\nT 0\n---\nK 7 ${KEY} a`,
  'K x y z\n---\nC 1 m\n---\nW 0',
];

const PATH_TEXTS = [
  ...PATHS,
  `key=${KEY}&alt=sse`,
  'alt=sse&key&$fields=x&key=2&&',
  '/v1beta/../api/keys',
  '/v1beta/models/%2e%2e/x',
  '/v1beta//models',
  '/v1beta/models/gemini%2Dpro:generateContent',
  '/v1beta/models\\x',
  '/a/%2F/b%00',
];

const JSON_EDGES = ['"\\ud83d\\ude00\\u0000"', '[1e400,-0.0e+1]', '{"a":1,"a":[]}'];

function responseSeed(f) {
  return new Writer()
    .pick(RESPONSE_KINDS, f.translate.kind)
    .int(f.status, 0, 1100)
    .u8(responseFlags({ ...f.translate, split: f.pages }))
    .bytes(f.body)
    .build();
}

function streamSeed(f, sizes, fails = false) {
  const sse = bytes(f.sse);
  const t = f.translate;
  const choices = ((t.n ?? 1) - 1) & 3;
  const flags = (t.include_usage ? 1 : 0) | (t.include_reasoning ? 2 : 0) | (choices << 2) | (t.grounded ? STREAM_GROUNDED : 0);
  const w = new Writer().u8(flags | (fails ? STREAM_FAILS : 0));
  let at = 0;
  for (const n of sizes) {
    w.int(n, 1, 65536).bytes(sse.subarray(at, at + n));
    at += n;
  }
  return w.build();
}

function anthropicStreamSeeds() {
  return anthropicStreams.flatMap((f, i) => {
    const sse = bytes(f.sse);
    const seed = (flags, sizes) => {
      const w = new Writer().u8(flags);
      let at = 0;
      for (const n of sizes) {
        w.int(n, 1, 65536).bytes(sse.subarray(at, at + n));
        at += n;
      }
      return w.build();
    };
    return sse.length ? [seed(1, [sse.length]), seed(2, cuts(sse.length, i + 7, 24))] : [seed(3, [])];
  });
}

// responses_stream_fuzz.cpp: flags say Gemini 3, summary, encrypted_content.
function responsesStreamSeed(f, sizes) {
  const sse = bytes(f.sse);
  const r = f.request;
  const w = new Writer().u8(
    (r.model.startsWith('gemini-3') ? 1 : 0) | (r.reasoning?.summary ? 2 : 0) | (r.include?.length ? 4 : 0),
  );
  let at = 0;
  for (const n of sizes) {
    w.int(n, 1, 65536).bytes(sse.subarray(at, at + n));
    at += n;
  }
  return w.build();
}

function responsesStreamSeeds() {
  return responsesStreams.flatMap((f, i) => {
    const length = bytes(f.sse).length;
    return [responsesStreamSeed(f, [length]), responsesStreamSeed(f, cuts(length, i + 1, 24))];
  });
}

function streamSeeds() {
  return streams.flatMap((f, i) => {
    const length = bytes(f.sse).length;
    if (!length) return [streamSeed(f, [])];
    const cut = cuts(length, i + 1, 24);
    return [streamSeed(f, [length]), streamSeed(f, cut), streamSeed(f, cut.slice(0, 2), true)];
  });
}

// One request through the router's layout (router_fuzz.cpp). `rounds` routes it that many
// times against one RouterState.
function routerSeed({ config = 3, method, path, query = '', headers = {}, flags = 1, rounds = 1, now, body = '' }) {
  const w = new Writer().u8(config);
  const pickOrFree = (list, v, max) =>
    list.includes(v) ? w.bool(true).pick(list, v) : w.bool(false).randomString(v, max);
  pickOrFree(METHODS, method, 16);
  pickOrFree(PATHS, path, 2100);
  w.randomString(query, 512);
  const entries = Object.entries(headers);
  w.int(entries.length, 0, 8);
  for (const [name, value] of entries) {
    w.pick(HEADER_NAMES, name);
    pickOrFree(HEADER_VALUES, value, 512);
  }
  w.u8(flags | ((rounds - 1) << 5) | (now === undefined ? 0 : 8));
  if (now !== undefined) w.int(now, 0, CLASSIFY_MAX_NOW);
  return w.bytes(body).build();
}

function routerSeeds() {
  const client = { authorization: 'Bearer tok-a', 'content-type': 'application/json' };
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'cf-connecting-ip': '2001:db8::1' };
  const cookie = { cookie: HEADER_VALUES[4] };
  return [
    { method: 'POST', path: '/v1/chat/completions', headers: client, body: requests[0] },
    { method: 'POST', path: '/v1/chat/completions', headers: client, flags: 0 },
    { method: 'POST', path: '/v1/embeddings', headers: client, body: '{"model":"gemini-embedding-001","input":["a"]}' },
    { method: 'GET', path: '/v1/models', headers: client },
    { method: 'GET', path: '/v1/models', headers: client, config: 19, rounds: 3 },
    { method: 'GET', path: '/v1/models/gemini-2.5-flash', headers: { 'x-goog-api-key': KEY }, config: 7 },
    { method: 'POST', path: PATHS[5], query: `alt=sse&key=${KEY}`, config: 7 },
    { method: 'OPTIONS', path: '/v1beta/models', headers: { origin: 'https://app.example' }, config: 11 },
    { method: 'OPTIONS', path: '/v1beta/models', headers: { origin: 'https://app.example' }, config: 67 },
    { method: 'GET', path: '/v1beta/models', headers: { ...client, origin: 'https://app.example' }, config: 27 },
    { method: 'PUT', path: PATHS[7], headers: { ...client, 'x-goog-upload-protocol': 'resumable' }, flags: 16 },
    { method: 'POST', path: '/api/session', headers: { 'cf-connecting-ip': '2001:db8::1' }, body: '{"token":"wrong"}' },
    { method: 'POST', path: '/api/session', headers: {}, body: JSON.stringify({ token: ADMIN_TOKEN }), flags: 5 },
    { method: 'POST', path: '/api/session', headers: {}, body: JSON.stringify({ token: ADMIN_TOKEN }), config: 130 },
    { method: 'DELETE', path: '/api/session', headers: {} },
    { method: 'GET', path: '/api/keys', query: 'page=2&limit=10&status=active&sort=requests&q=Sy', headers: cookie },
    { method: 'POST', path: '/api/keys', headers: admin, body: KEY_TEXTS[0] },
    { method: 'DELETE', path: '/api/keys', headers: cookie, body: `{"ids":[1,2],"keys":["${KEY}"]}` },
    { method: 'POST', path: '/api/keys/check', headers: admin, body: '{"ids":[3]}' },
    { method: 'GET', path: '/api/keys/check/status', headers: cookie },
    { method: 'POST', path: '/api/keys/enable', headers: cookie, body: '{"ids":[1]}' },
    { method: 'GET', path: '/api/stats', query: 'hours=5&key_id=3', headers: cookie, now: 1762000000000 },
    { method: 'PROPFIND', path: '/v1beta/../api/keys', headers: client },
    { method: 'POST', path: '/upload/v1beta/files', headers: { 'x-goog-upload-protocol': 'resumable' }, flags: 3 },
  ].map(routerSeed);
}

// A sequence of steps in abi_fuzz.cpp's layout (abi-input.mjs). Which handle a step picks
// depends on how many requests are open, so each step says what it does to that count: an
// `open` whose head is answered at once has `answered: true`; a `follow` (or a `feed`) that
// ends its request has `ends: true`.
function abiSeed(steps) {
  const w = new Writer();
  let open = 0;
  const pickOrFree = (list, v, max) =>
    list.includes(v) ? w.bool(true).pick(list, v) : w.bool(false).randomString(v, max);
  // A listed number by its index; any other as the bits of its double.
  const num = (v) => {
    const i = ABI_NUMS.findIndex((n) => Object.is(n, v));
    if (i >= 0) return w.u8(i);
    const view = new DataView(new ArrayBuffer(8));
    view.setFloat64(0, v, true);
    return w.u8(255).u64(view.getBigUint64(0, true));
  };
  const mangle = (m = 0) => w.u8(m);
  // An index into the open requests, or a number no request has.
  const handle = (h) => {
    if (open > 0) w.bool(h !== undefined);
    if (h !== undefined && open > 0) w.int(h, 0, open - 1);
    else w.u32(4000000000);
  };
  for (const s of steps) {
    w.int(ABI_STEPS.indexOf(s.kind), 0, ABI_STEPS.length - 1);
    switch (s.kind) {
      case 'open': {
        pickOrFree(ABI_METHODS, s.method, 16);
        pickOrFree(ABI_PATHS, s.path, 512);
        pickOrFree(ABI_QUERIES, s.query ?? '', 256);
        const headers = Object.entries(s.headers ?? {});
        w.int(headers.length, 0, 6);
        for (const [name, value] of headers) {
          w.pick(ABI_IDS.header, name);
          pickOrFree(ABI_HEADER_VALUES, value, 256);
        }
        w.bool(true);
        num(s.now ?? 1700000000000);
        mangle(s.mangle);
        if (!s.answered && !s.mangle) open++;
        break;
      }
      case 'follow':
        w.int(s.index ?? 0, 0, open - 1).u8(s.which ?? 0);
        w.pick(ABI_STATUSES, s.status ?? 200).pick(ABI_UPSTREAM_HEADERS, s.headers ?? '');
        pickOrFree(ABI_BODIES, s.body ?? '', 65536);
        w.pick(ABI_RESULTS, s.result ?? 'null').int(s.delta ?? 0, 0, 600000);
        if (s.ends) open--;
        break;
      case 'feed':
        handle(s.handle);
        for (const f of ['KIND', 'SLOT', 'STATUS']) num(s[f] ?? 0);
        pickOrFree(ABI_UPSTREAM_HEADERS, s.HEADERS ?? '', 256);
        pickOrFree(ABI_BODIES, s.BODY ?? '', 65536);
        for (const f of ['REASON', 'SIZE', 'OK']) num(s[f] ?? 0);
        pickOrFree(ABI_RESULTS, s.RESULT ?? 'null', 4096);
        num(s.NOW ?? 1700000000000);
        mangle(s.mangle);
        if (s.ends) open--;
        break;
      case 'chunk':
        handle(s.handle);
        w.randomString(s.bytes, 65536);
        break;
      case 'end':
        handle(s.handle);
        num(s.reason ?? 0);
        w.randomString(s.tail ?? '', 16384);
        if (s.handle !== undefined) open--;
        break;
      case 'close':
        handle(s.handle);
        if (s.handle !== undefined) open--;
        break;
      case 'configure':
        w.u8(s.bits ?? 0).bool(s.raw === undefined);
        if (s.raw !== undefined) w.randomString(s.raw, 1024);
        mangle(s.mangle);
        break;
      case 'pool_load': {
        num(s.now ?? 1700000000000);
        num(s.seed ?? 7);
        const choice = s.body === undefined ? ABI_POOLS.length + 1 : ABI_POOLS.indexOf(s.body);
        w.int(choice < 0 ? ABI_POOLS.length : choice, 0, ABI_POOLS.length + 1);
        if (choice < 0) w.randomString(s.body, 4096);
        mangle(s.mangle);
        break;
      }
      default:
        w.int(ABI_OTHER.indexOf(s.op), 0, ABI_OTHER.length - 1);
        if (s.op === 'EVENTS') {
          num(1700000000000);
          mangle();
        } else if (s.op === 'CLASSIFY') {
          num(s.status ?? 429);
          pickOrFree(ABI_BODIES, s.body ?? '', 65536);
          num(1700000000000);
          mangle(s.mangle);
        } else if (s.op === 'REDACT') {
          w.randomString(s.text, 4096);
        } else if (s.op === 'any') {
          w.u32(s.number).randomString(s.bytes ?? '', 4096);
        }
    }
  }
  return w.build();
}

function abiSeeds() {
  const client = { authorization: 'Bearer tok-a', 'content-type': 'application/json' };
  const native = { 'x-goog-api-key': 'tok-a', 'content-type': 'application/json' };
  const admin = { authorization: 'Bearer fuzz-admin', 'content-type': 'application/json' };
  const [, answer, sse, quota429, invalidKey, overloaded, embeddings, modelsPage, file, chatStream, embed, keys] =
    ABI_BODIES;
  const [session, ids] = ABI_BODIES.slice(12);
  const json = ABI_UPSTREAM_HEADERS[1];
  const eventStream = ABI_UPSTREAM_HEADERS[2];
  const upload = ABI_UPSTREAM_HEADERS[4];
  const chat = '{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hi"}]}';
  const open = (method, path, headers, more = {}) => ({ kind: 'open', method, path, headers, ...more });
  const follow = (more = {}) => ({ kind: 'follow', ...more });
  return [
    // A Live session: the setup held, a dead key's close judged, the next key relayed, its
    // usage counted and the client's close passed on; and a client that never says anything.
    [
      open('GET', '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent', {
        upgrade: 'websocket',
        authorization: 'Bearer tok-a',
      }),
      follow({ body: '{"setup":{"model":"models/gemini-3.1-flash-live-preview"}}' }),
      follow({ which: 0x10, status: 1007, result: 'API key not valid. Please pass a valid API key.' }),
      follow({ which: 0 }),
      follow({ body: '{"usageMetadata":{"promptTokenCount":12,"responseTokenCount":30}}' }),
      follow({ which: 7, status: 1000, ends: true }),
      open('GET', '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent', {
        upgrade: 'websocket',
        'x-goog-api-key': 'tok-a',
      }),
      follow({ which: 3, ends: true }),
    ],
    // A streamed chat answer, start to end.
    [
      open('POST', '/v1/chat/completions', client),
      follow({ body: chatStream }),
      follow({ status: 200, headers: eventStream }),
      follow({ body: sse }),
      follow({ which: 3, ends: true }),
    ],
    // A chat answer after a rate-limited key: the other key's cooldown has ended by then.
    [
      open('POST', '/v1/chat/completions', client),
      follow({ body: chat, delta: 70000 }),
      follow({ status: 429, headers: json, delta: 70000 }),
      follow({ body: quota429, delta: 70000 }),
      follow({ status: 200, headers: json, delta: 70000 }),
      follow({ body: answer, delta: 70000, ends: true }),
    ],
    // Every key refused: the last error, in OpenAI's format.
    [
      open('POST', '/v1/chat/completions', client),
      follow({ body: chat }),
      follow({ status: 400, headers: json }),
      follow({ body: invalidKey, ends: true }),
    ],
    // A native answer after Google's own failure and a backoff, passed through untouched.
    [
      open('POST', '/v1beta/models/gemini-2.5-flash:generateContent', native),
      follow({ body: '{}' }),
      follow({ status: 503, headers: json }),
      follow({ body: overloaded }),
      follow({ delta: 2000 }),
      follow({ status: 200, headers: json, delta: 2000 }),
      follow({ which: 3, body: answer, ends: true }),
    ],
    // A native stream that breaks off, and one whose connection fails.
    [
      open('POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', native, { query: 'alt=sse' }),
      follow({ body: '{}' }),
      follow({ status: 200, headers: eventStream }),
      follow({ which: 7, body: sse.slice(0, 40), ends: true }),
      open('POST', '/v1beta/models/gemini-2.5-flash:generateContent', native),
      follow({ body: '{}' }),
      follow({ which: 0x30 }),
    ],
    // A resumable upload's start, then its upload on the same key.
    [
      open('POST', '/upload/v1beta/files', {
        ...native,
        'x-goog-upload-protocol': 'resumable',
        'x-goog-upload-command': 'start',
      }),
      follow({ body: '{}' }),
      follow({ status: 200, headers: upload }),
      follow({ which: 3, body: '{}', ends: true }),
      open('PUT', '/upload/v1beta/files', { ...native, 'x-goog-upload-command': 'upload, finalize' }, {
        query: 'upload_id=u-1&upload_protocol=resumable',
      }),
      follow({ body: 'bytes' }),
      follow({ status: 200, headers: json }),
      follow({ which: 3, body: file, ends: true }),
    ],
    // Embeddings, and the model list over two pages.
    [
      open('POST', '/v1/embeddings', client),
      follow({ body: embed }),
      follow({ status: 200, headers: json }),
      follow({ body: embeddings, ends: true }),
      open('GET', '/v1/models', client),
      follow({ status: 200, headers: json }),
      follow({ body: modelsPage }),
      follow({ status: 200, headers: json }),
      follow({ body: '{"models":[]}', ends: true }),
    ],
    // The admin API: a session, keys added (then the pool reloaded), a key check in steps.
    [
      open('POST', '/api/session', { 'content-type': 'application/json' }),
      follow({ body: session, ends: true }),
      open('POST', '/api/keys', admin),
      follow({ body: keys }),
      follow({ result: ABI_RESULTS[2] }),
      follow({ ends: true }),
      open('POST', '/api/keys/check', admin),
      follow({ body: ids }),
      follow({ result: ABI_RESULTS[3] }),
      follow({ result: ABI_RESULTS[4] }),
      follow({ ends: true }),
      open('GET', '/api/keys', admin, { query: 'page=2&limit=10' }),
      follow({ which: 0x30, ends: true }),
    ],
    // Two requests at once, fed in turns; one closed early, one streamed through CHUNK.
    [
      open('POST', '/v1/chat/completions', client),
      open('POST', '/v1beta/models/gemini-2.5-flash:streamGenerateContent', native),
      follow({ index: 0, body: chatStream }),
      follow({ index: 1, body: '{}' }),
      follow({ index: 0, status: 200, headers: eventStream }),
      { kind: 'chunk', handle: 0, bytes: sse.slice(0, 30) },
      { kind: 'close', handle: 1 },
      { kind: 'chunk', handle: 0, bytes: sse.slice(30) },
      { kind: 'end', handle: 0, reason: 3 },
    ],
    // Events out of order, on wrong handles, malformed; a body too large.
    [
      open('POST', '/v1/chat/completions', client),
      { kind: 'feed', handle: 0, KIND: 4, SLOT: 0, BODY: answer, mangle: 224 },
      { kind: 'feed', handle: 0, KIND: 3, SLOT: 1000, STATUS: 200, HEADERS: json, ends: true },
      { kind: 'feed', KIND: 1, BODY: chat },
      { kind: 'chunk', bytes: sse },
      { kind: 'end', reason: 1e300 },
      { kind: 'close' },
      open('POST', '/v1/chat/completions', client),
      { kind: 'feed', handle: 0, KIND: 1, BODY: chat, SIZE: 9007199254740991, NOW: NaN },
      { kind: 'feed', handle: 0, KIND: 7, SLOT: 4294967296, OK: 1, RESULT: '[', ends: true },
      open('POST', '/v1/embeddings', client, { now: -1 }),
      follow({ which: 3, ends: true }),
      open('GET', '/v1/models', client, { mangle: 240 }),
    ],
    // Numbers past every range where the core reads one (tests/fuzz-corpus/abi/regression-huge-numbers).
    [
      open('POST', '/v1/chat/completions', client, { now: 1e300 }),
      { kind: 'feed', handle: 0, KIND: 1, BODY: chat, SIZE: Infinity, NOW: -1e300 },
      { kind: 'feed', handle: 0, KIND: 3, SLOT: 2 ** 32, STATUS: 1e300, REASON: -1e300, OK: NaN, ends: true },
      open('POST', '/v1beta/models/gemini-2.5-flash:generateContent', native, { now: -Infinity }),
      { kind: 'feed', handle: 0, KIND: 1, SLOT: -1, STATUS: -1, SIZE: 1e300, NOW: 9007199254740991 },
      { kind: 'end', handle: 0, reason: 1e300 },
      { kind: 'pool_load', now: 1e300, seed: -1e300, body: `K 5 ${KEY} a\nC 5 * 99999999999999999999\n` },
      { kind: 'other', op: 'CLASSIFY', status: 1e300, body: '' },
      { kind: 'other', op: 'EVENTS' },
    ],
    // Upstream statuses no fetch gives (the explicit feeds answer the FETCH; `which` then picks
    // the WAIT among the tasks the harness still counts as pending).
    [
      open('GET', '/v1beta/models', native),
      { kind: 'feed', handle: 0, KIND: 3, SLOT: 0, STATUS: 150, HEADERS: json },
      follow({ body: '{}', ends: true }),
      open('GET', '/v1beta/models', native),
      { kind: 'feed', handle: 0, KIND: 3, SLOT: 0, STATUS: 999, HEADERS: json },
      follow({ body: overloaded }),
      follow({ which: 1, delta: 1000 }),
      { kind: 'feed', handle: 0, KIND: 3, SLOT: 0, STATUS: 999, HEADERS: json, NOW: 1700000001000 },
      follow({ body: overloaded, delta: 1000 }),
      follow({ which: 2, delta: 2000 }),
      { kind: 'feed', handle: 0, KIND: 3, SLOT: 0, STATUS: 999, HEADERS: json, NOW: 1700000002000 },
      follow({ body: overloaded, delta: 2000, ends: true }),
    ],
    // Configuration and pool changes between requests; the other operations.
    [
      { kind: 'configure', bits: 255 },
      open('OPTIONS', '/v1/models', { origin: 'https://app.example' }, { answered: true }),
      open('GET', '/', client, { answered: true }),
      { kind: 'configure', raw: '{"AUTH_TOKENS":"tok-a","GEMINI_API_BASE":"http://127.0.0.1:1"}' },
      { kind: 'configure', bits: 2, mangle: 250 },
      { kind: 'pool_load', body: ABI_POOLS[1] },
      open('POST', '/v1/chat/completions', client),
      follow({ body: chat, ends: true }),
      { kind: 'pool_load', body: ABI_POOLS[4], seed: 3 },
      { kind: 'pool_load' },
      { kind: 'pool_load', body: `K 5 ${KEY} a\nC 5 * 99999999999999\nK x\n`, now: 1e300 },
      { kind: 'other', op: 'EVENTS' },
      { kind: 'other', op: 'CLASSIFY', status: 429, body: quota429 },
      { kind: 'other', op: 'REDACT', text: `key=${KEY}&alt=sse` },
      { kind: 'other', op: 'OPEN_COUNT' },
      { kind: 'other', op: 'any', number: 99, bytes: 'x' },
    ],
  ].map(abiSeed);
}

function classifySeeds() {
  const cases = [...responses.filter((f) => f.status >= 400).map((f) => [f.status, f.body]), ...CLASSIFY_CASES];
  return cases.map(([status, body], i) =>
    new Writer()
      .int(status, 0, 999)
      .int(1700000000000 + i * 3600e3, 0, CLASSIFY_MAX_NOW)
      .bytes(body)
      .build(),
  );
}

// The media fixtures (tests/fixtures/media/) and the multipart bodies recorded from the SDK.
const mediaDir = join(fixtures, '..', 'media');
const media = readdirSync(mediaDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(join(mediaDir, f), 'utf8')));

// A fixture's multipart parts ({ name, filename?, content_type?, text or base64 }) as a body.
function fixtureForm(parts, boundary) {
  return multipartBody(
    boundary,
    parts.map((p) => ({ ...p, type: p.content_type, data: p.base64 !== undefined ? Buffer.from(p.base64, 'base64') : p.text })),
  );
}

function multipartSeeds() {
  const out = [];
  for (const f of media.filter((m) => m.multipart && MULTIPART_ROUTES.includes(m.route))) {
    const w = new Writer().bytes(fixtureForm(f.multipart, 'XyZ'));
    out.push(w.int(MULTIPART_ROUTES.indexOf(f.route), 0, 2).int(0, 0, 2).build());
  }
  const recorded = join(mediaDir, 'recorded');
  for (const [file, route] of [['openai-node-6.30.1-images-edit.bin', 0], ['openai-node-6.30.1-transcription.bin', 1]]) {
    out.push(new Writer().bytes(readFileSync(join(recorded, file))).int(route, 0, 2).int(1, 0, 2).build());
  }
  return out;
}

function mediaRequestSeeds() {
  return media
    .filter((m) => JSON_MEDIA_ROUTES.includes(m.route))
    .map((m) => new Writer().bytes(m.raw_request ?? JSON.stringify(m.request)).int(JSON_MEDIA_ROUTES.indexOf(m.route), 0, 1).build());
}

function mediaAnswerSeeds() {
  const variant = { 'images.generations': 0, 'images.edits': 0, speech: 2, transcriptions: 4, translations: 5 };
  const out = [];
  for (const m of media.filter((f) => f.upstream)) {
    for (const u of m.upstream) out.push(new Writer().bytes(typeof u === 'string' ? u : JSON.stringify(u)).int(variant[m.route], 0, 5).build());
  }
  return out;
}

// live_fuzz.cpp: the message is the client's setup and, once a socket answers (code 0), an
// upstream message; every other code closes each upstream socket with the reason.
function liveSeeds() {
  const setup = '{"setup":{"model":"models/gemini-3.1-flash-live-preview"}}';
  const turn =
    '{"setup":{"model":"models/gemini-3.1-flash-live-preview"},"serverContent":{"turnComplete":true},' +
    '"usageMetadata":{"promptTokenCount":12,"responseTokenCount":30,"thoughtsTokenCount":2}}';
  const cases = [
    [0, 'Goodbye.', turn],
    [0, '', setup],
    [1007, 'API key not valid. Please pass a valid API key.', setup],
    [1007, 'API key expired. Please renew the API key.', setup],
    [1008, 'Your API key was reported as leaked. Please use another API key.', setup],
    [1008, "Permission denied: Consumer 'api_key:AIzaSyA1234567890abcdefghijklmnopqrstuv' has been suspended.", setup],
    [1008, 'User location is not supported for the API use.', setup],
    [1011, 'You exceeded your current quota, please check your plan and billing details.', turn],
    [1011, 'Internal error encountered.', setup],
    [1007, 'Invalid JSON payload received. Unknown name "foo" at \'setup\': Cannot find field.', setup],
    [1006, '', setup],
    [4000, 'custom', setup],
    [1011, 'Internal error encountered.', '{"setup":{}}'],
    [1006, '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent', 'not json'],
    [1000, '//ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContent', '{"setup":{"model":"models/../x"}}'],
  ];
  return cases.map(([code, reason, message]) => new Writer().randomString(reason, 300).bytes(message).int(code, 0, 4999).int(1700000000000, 0, 4102444800000).build());
}

function mediaUrlSeeds() {
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(8, 1)]);
  const cases = [
    ['ok', 200, 'image', 'https://images.test/cat.png', 'image/png', png],
    ['ok', 200, 'image', 'https://images.test/page', 'text/html; charset=utf-8', Buffer.from('<html>')],
    ['ok', 404, 'image', 'http://127.0.0.1:8080/x', 'text/plain', Buffer.from('no')],
    ['ok', 200, 'document', 'https://docs.test/a.pdf', 'application/pdf', Buffer.from('%PDF-1.7')],
    ['bad_redirect', 302, 'image', 'https://a.test/r', 'ftp://b.test/x', Buffer.alloc(0)],
    ['timeout', 0, 'audio', 'https://user:pw@a.test/x', '', Buffer.alloc(0)],
    ['too_large', 0, 'video', 'file:///etc/passwd', '', Buffer.alloc(0)],
  ];
  return cases.map(([end, status, kind, url, type, body]) =>
    new Writer()
      .randomString(url, 300)
      .randomString(type, 100)
      .bytes(body)
      .int(FETCH_ENDS.indexOf(end), 0, 5)
      .int(status, 0, 999)
      .int(MEDIA_KINDS.indexOf(kind), 0, 3)
      .build(),
  );
}

// target -> list of inputs (Uint8Array)
export function seeds() {
  const texts = (list) => list.map(bytes);
  return {
    abi: abiSeeds(),
    anthropic_request: texts(anthropicRequests),
    anthropic_stream: anthropicStreamSeeds(),
    classify: classifySeeds(),
    keys: texts([...KEY_TEXTS, ...responses.filter((f) => f.status >= 400).map((f) => f.body)]),
    live: liveSeeds(),
    media_answer: mediaAnswerSeeds(),
    media_request: mediaRequestSeeds(),
    media_url: mediaUrlSeeds(),
    multipart: multipartSeeds(),
    openai_request: texts(requests),
    openai_response: responses.map(responseSeed),
    openai_stream: streamSeeds(),
    path: texts(PATH_TEXTS),
    pool: texts(POOL_TEXTS),
    responses_request: texts(responsesRequests),
    responses_stream: responsesStreamSeeds(),
    rawjson: texts([...requests, ...responses.map((f) => f.body), ...JSON_EDGES]),
    router: routerSeeds(),
    usage: texts([...streams.map((f) => f.sse), ...responses.map((f) => f.body)]),
  };
}
