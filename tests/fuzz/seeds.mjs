// seeds.mjs — starting inputs for each fuzz target, made from the golden fixtures
// (tests/fixtures/openai/) and a few hand-written cases, in the layouts of formats.mjs.
// `npm run fuzz -- --seeds` merges them (minimised) into tests/fuzz-corpus/.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writer } from './provider.mjs';
import {
  ABI_STEPS,
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
  responseFlags,
} from './formats.mjs';

const fixtures = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'fixtures', 'openai');
const encoder = new TextEncoder();
const bytes = (s) => encoder.encode(s);

function load(dir) {
  return readdirSync(join(fixtures, dir))
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(join(fixtures, dir, f), 'utf8')));
}

const requests = load('requests').map((f) => f.openai_raw ?? JSON.stringify(f.openai));
const responses = load('responses').map((f) => ({ ...f, body: f.gemini_raw ?? JSON.stringify(f.gemini) }));
const streams = load('streams');

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
    .u8(responseFlags(f.translate))
    .bytes(f.body)
    .build();
}

function streamSeed(f, sizes) {
  const sse = bytes(f.sse);
  const t = f.translate;
  const w = new Writer().u8((t.include_usage ? 1 : 0) | (t.include_reasoning ? 2 : 0) | (((t.n ?? 1) - 1) & 3) << 2);
  let at = 0;
  for (const n of sizes) {
    w.int(n, 1, 65536).bytes(sse.subarray(at, at + n));
    at += n;
  }
  return w.build();
}

function streamSeeds() {
  return streams.flatMap((f, i) => {
    const length = bytes(f.sse).length;
    return length ? [streamSeed(f, [length]), streamSeed(f, cuts(length, i + 1, 24))] : [streamSeed(f, [])];
  });
}

// One request through the router's layout (router_fuzz.cpp).
function routerSeed({ config = 3, method, path, query = '', headers = {}, flags = 1, now, body = '' }) {
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
  w.u8(now === undefined ? flags : flags | 8);
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
    { method: 'POST', path: '/v1/embeddings', headers: client, body: '{"model":"text-embedding-004","input":["a"]}' },
    { method: 'GET', path: '/v1/models', headers: client },
    { method: 'GET', path: '/v1/models/gemini-2.5-flash', headers: { 'x-goog-api-key': KEY }, config: 7 },
    { method: 'POST', path: PATHS[5], query: `alt=sse&key=${KEY}`, config: 7 },
    { method: 'OPTIONS', path: '/v1beta/models', headers: { origin: 'https://app.example' }, config: 11 },
    { method: 'GET', path: '/v1beta/models', headers: { ...client, origin: 'https://app.example' }, config: 27 },
    { method: 'POST', path: '/api/session', headers: { 'cf-connecting-ip': '2001:db8::1' }, body: '{"token":"wrong"}' },
    { method: 'POST', path: '/api/session', headers: {}, body: JSON.stringify({ token: ADMIN_TOKEN }), flags: 5 },
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

// A sequence of ABI steps (abi_fuzz.cpp); `open` counts the streams the steps leave open.
function abiSeed(steps) {
  const w = new Writer();
  let open = 0;
  const step = (kind) => w.int(ABI_STEPS.indexOf(kind), 0, ABI_STEPS.length - 1);
  const handle = (h) => (h === 'any' || open === 0 ? w.u32(12345) : w.bool(true).int(h, 0, open - 1));
  for (const s of steps) {
    step(s.kind);
    if (s.kind === 'call') {
      w.int(s.op, 0, 15).randomString(JSON.stringify(s.header), 4096).randomString(s.payload ?? '', 65536);
    } else if (s.kind === 'call_raw') {
      w.u32(s.op).randomString(s.bytes, 4096);
    } else if (s.kind === 'open') {
      w.randomString(JSON.stringify(s.header), 4096);
      if (s.header.kind === 'chat') open++; // the core opens chat streams only
    } else {
      handle(s.handle);
      if (s.kind === 'push') w.randomString(s.chunk, 65536);
      if (s.kind === 'close' && s.handle !== 'any') open--;
    }
  }
  return w.build();
}

function abiSeeds() {
  const call = (op, header, payload) => ({ kind: 'call', op, header, payload });
  const now = 1700000000000;
  const model = 'gemini-2.5-flash';
  const stream = (f) => [
    { kind: 'open', header: f.translate },
    { kind: 'push', handle: 0, chunk: f.sse },
    { kind: 'finish', handle: 0 },
    { kind: 'close', handle: 0 },
  ];
  const chat = { method: 'POST', path: '/v1/chat/completions', headers: { authorization: 'Bearer tok-a' } };
  return [
    [
      call(1, { admin_token: 'a', auth_tokens: 'tok-a', cors_origins: 'https://x.example', rate_limit_per_minute: 1 }),
      call(2, { ...chat, body_included: true, now_ms: now }, requests[0]),
    ],
    ...responses.slice(0, 6).map((f) => [call(9, { ...f.translate, status: f.status }, f.body)]),
    ...streams.slice(0, 4).map(stream),
    [
      call(5, { status: 429, now_ms: now, key_id: 2, model, attempts: 1, max_attempts: 3 }, CLASSIFY_CASES[1][1]),
      call(4, { model, now_ms: now, seed: 1, exclude: [1] }),
      call(11, { now_ms: now, model }),
      call(10, { id: 1, model: '*', action: 'disable', until_ms: now + 1000, all_models: true }),
      call(4, { model, now_ms: now }),
    ],
    [
      call(6, {}, KEY_TEXTS[0]),
      call(7, { keys: [KEY, 'x'] }),
      call(8, {}, KEY_TEXTS[5]),
      call(12, { family: 'openai', status: 429, message: 'busy', code: 'c' }),
      call(13, { sse: true }, streams[0].sse),
    ],
    [call(3, { seed: 3 }, `K 5 ${KEY} a\nK 6 ${KEY2} d\nC 5 * ${now + 5000}\n`), call(11, { now_ms: now })],
    [
      { kind: 'call_raw', op: 2, bytes: '\x05\x00\x00\x00{"a":' },
      { kind: 'push', handle: 'any', chunk: 'data: x\n\n' },
      { kind: 'finish', handle: 'any' },
      { kind: 'open', header: { kind: 'embeddings' } },
      call(14, {}),
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

function multipartBody(parts, boundary) {
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename !== undefined) head += `; filename="${p.filename}"`;
    head += '\r\n';
    if (p.content_type) head += `Content-Type: ${p.content_type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`), p.base64 !== undefined ? Buffer.from(p.base64, 'base64') : Buffer.from(p.text ?? ''), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

function multipartSeeds() {
  const out = [];
  for (const f of media.filter((m) => m.multipart && MULTIPART_ROUTES.includes(m.route))) {
    const w = new Writer().bytes(multipartBody(f.multipart, 'XyZ'));
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

function liveSeeds() {
  const cases = [
    [1007, 'API key not valid. Please pass a valid API key.', '{"setup":{"model":"models/gemini-3.1-flash-live-preview"}}'],
    [1008, 'Your API key was reported as leaked. Please use another API key.', '{"setupComplete":{}}'],
    [1008, "Permission denied: Consumer 'api_key:AIzaSyA1234567890abcdefghijklmnopqrstuv' has been suspended.", '{}'],
    [1011, 'You exceeded your current quota, please check your plan and billing details.', '{"serverContent":{"turnComplete":true},"usageMetadata":{"promptTokenCount":12,"responseTokenCount":30}}'],
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
    rawjson: texts([...requests, ...responses.map((f) => f.body), ...JSON_EDGES]),
    router: routerSeeds(),
    usage: texts([...streams.map((f) => f.sse), ...responses.map((f) => f.body)]),
  };
}
