// formats.mjs — how each fuzz target in cpp/fuzz/ reads its input, in JavaScript: the lists
// and constants the targets use, and a decoder per target that turns a corpus file into the
// calls the target makes. The Wasm replay (replay.mjs) runs those calls through core.mjs;
// seeds.mjs writes files in the same layouts. Keep this file and cpp/fuzz/*_fuzz.cpp in step.
import { createHmac } from 'node:crypto';
import { Provider } from './provider.mjs';

export const TARGETS = [
  'abi',
  'classify',
  'keys',
  'live',
  'media_answer',
  'media_request',
  'media_url',
  'multipart',
  'openai_request',
  'openai_response',
  'openai_stream',
  'path',
  'rawjson',
  'router',
  'usage',
];

const decoder = new TextDecoder();
export const text = (bytes) => decoder.decode(bytes);

// openai_response_fuzz.cpp
export const RESPONSE_KINDS = ['chat', 'embeddings', 'models', 'model', 'other'];
export const NOW_MS = 1700000000123;
export const REQUEST_ID = '0123456789abcdef';

export function responseFlags(h) {
  return (
    (h.include_usage ? 1 : 0) |
    (h.include_reasoning ? 2 : 0) |
    (h.encoding_format === 'base64' ? 4 : 0) |
    ((Math.max(1, Math.min(4, h.n ?? 1)) - 1) << 3) |
    (h.retry_after_ms ? 32 : 0) |
    (h.id ? 64 : 0)
  );
}

function decodeResponse(p) {
  const header = { kind: p.pick(RESPONSE_KINDS), model: 'gemini-2.5-flash', request_id: REQUEST_ID, now_ms: NOW_MS };
  header.status = p.int(0, 1100);
  const flags = p.u8();
  header.include_usage = (flags & 1) !== 0;
  header.include_reasoning = (flags & 2) !== 0;
  header.encoding_format = flags & 4 ? 'base64' : 'float';
  header.n = 1 + ((flags >> 3) & 3);
  if (flags & 32) header.retry_after_ms = 12345;
  if (flags & 64) header.id = 'gemini-2.5-pro';
  return { header, body: p.rest() };
}

// openai_stream_fuzz.cpp
export function streamHeader(flags) {
  return {
    kind: 'chat',
    model: 'gemini-2.5-flash',
    stream: true,
    include_usage: (flags & 1) !== 0,
    include_reasoning: (flags & 2) !== 0,
    n: 1 + ((flags >> 2) & 3),
    now_ms: NOW_MS,
    request_id: REQUEST_ID,
  };
}

function decodeStream(p) {
  const header = streamHeader(p.u8());
  const chunks = [];
  while (p.remaining > 0) chunks.push(p.bytes(p.int(1, 65536)));
  return { header, chunks };
}

// router_fuzz.cpp
export const ADMIN_TOKEN = 'fuzz-admin-token-0123';
export const ROUTER_NOW_MS = 1700000000000;
export const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD'];
export const PATHS = [
  '/v1/chat/completions',
  '/v1/embeddings',
  '/v1/models',
  '/v1/models/gemini-2.5-flash',
  '/v1beta/models/gemini-2.5-flash:generateContent',
  '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
  '/v1beta/models',
  '/upload/v1beta/files',
  '/models/gemini-2.5-pro:countTokens',
  '/api/session',
  '/api/keys',
  '/api/keys/check',
  '/api/keys/check/status',
  '/api/keys/enable',
  '/api/keys/disable',
  '/api/stats',
  '/',
];
export const HEADER_NAMES = [
  'authorization',
  'x-goog-api-key',
  'content-type',
  'cookie',
  'origin',
  'cf-connecting-ip',
  'accept',
  'x-goog-upload-protocol',
  'content-length',
  'x-goog-api-client',
];

// A session cookie the router accepts at ROUTER_NOW_MS (router_admin.cpp signs them so).
function validCookie() {
  const expiry = String(ROUTER_NOW_MS + 3600 * 1000);
  const mac = createHmac('sha256', ADMIN_TOKEN).update(`session:${expiry}`).digest('hex');
  return `bal_session=${expiry}.${mac}`;
}

export const HEADER_VALUES = [
  'Bearer tok-a',
  `Bearer ${ADMIN_TOKEN}`,
  'application/json',
  'https://app.example',
  validCookie(),
  '2001:db8::1',
  'AIzaSyA1234567890abcdefghijklmnopqrstuv',
];

export function routerConfig(bits) {
  const h = {};
  if (bits & 1) h.admin_token = ADMIN_TOKEN;
  if (bits & 2) h.auth_tokens = 'tok-a, tok-b';
  h.allow_client_keys = (bits & 4) !== 0;
  if (bits & 8) h.cors_origins = 'https://app.example';
  if (bits & 16) h.rate_limit_per_minute = 2;
  if (bits & 32) h.max_body_bytes = 1024;
  return h;
}

const pickOrFree = (p, list, max) => (p.bool() ? p.pick(list) : text(p.randomString(max)));

function decodeRouter(p) {
  const config = routerConfig(p.u8());
  const method = pickOrFree(p, METHODS, 16);
  const path = pickOrFree(p, PATHS, 2100);
  const query = text(p.randomString(512));
  const headers = {};
  for (let n = p.int(0, 8); n > 0; n--) {
    const name = p.pick(HEADER_NAMES);
    headers[name] = pickOrFree(p, HEADER_VALUES, 512);
  }
  const flags = p.u8();
  const now_ms = flags & 8 ? p.int(0, 4102444800000) : ROUTER_NOW_MS;
  const header = {
    method,
    path,
    query,
    headers,
    now_ms,
    body_included: (flags & 1) !== 0,
    body_too_large: (flags & 2) !== 0,
    secure: (flags & 4) !== 0,
  };
  return { config, header, body: p.rest() };
}

// classify_fuzz.cpp
export const CLASSIFY_MAX_NOW = 4102444800000;

function decodeClassify(p) {
  const status = p.int(0, 999);
  const now_ms = p.int(0, CLASSIFY_MAX_NOW);
  return { header: { status, now_ms }, body: p.rest() };
}

// abi_fuzz.cpp
export const ABI_STEPS = ['call', 'call_raw', 'open', 'push', 'finish', 'close'];
export const ABI_RESET = {
  config: { admin_token: 'fuzz-admin', auth_tokens: 'tok-a' },
  pool:
    'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n' +
    'K 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\nC 2 gemini-2.5-flash 1700000060000\n',
};

// The steps of one input, decoded as they run: which handle a step picks depends on how many
// streams the earlier steps left open, so the caller keeps `state.open` (that count) current.
// A picked handle is an index into the open ones, in handle order, or any number.
export function* abiSteps(bytes, state) {
  const p = new Provider(bytes);
  const pickHandle = () => (state.open > 0 && p.bool() ? { index: p.int(0, state.open - 1) } : { number: p.u32() });
  for (let n = 0; n < 32 && p.remaining > 0; n++) {
    const kind = ABI_STEPS[p.int(0, ABI_STEPS.length - 1)];
    if (kind === 'call') {
      const op = p.int(0, 15);
      const header = p.randomString(4096);
      yield { kind, op, header, payload: p.randomString(65536) };
    } else if (kind === 'call_raw') {
      const op = p.u32();
      yield { kind, op, bytes: p.randomString(4096) };
    } else if (kind === 'open') {
      yield { kind, header: p.randomString(4096) };
    } else if (kind === 'push') {
      const handle = pickHandle();
      yield { kind, handle, chunk: p.randomString(65536) };
    } else {
      yield { kind, handle: pickHandle() };
    }
  }
}

// multipart_fuzz.cpp
export const MULTIPART_ROUTES = ['images.edits', 'transcriptions', 'translations'];
export const MULTIPART_BOUNDARIES = ['XyZ', '----formdata-undici-045550360370', 'a'];

function decodeMultipart(p) {
  const route = MULTIPART_ROUTES[p.int(0, 2)];
  const boundary = MULTIPART_BOUNDARIES[p.int(0, 2)];
  return { route, contentType: `multipart/form-data; boundary=${boundary}`, body: p.rest() };
}

// media_request_fuzz.cpp
export const JSON_MEDIA_ROUTES = ['images.generations', 'speech'];

// media_answer_fuzz.cpp: the requests whose answers are fuzzed, in its order.
const WAV_FORM =
  '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF\0\0\0\0WAVE\r\n' +
  '--b\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n--b\r\n' +
  'Content-Disposition: form-data; name="response_format"\r\n\r\n';
export const ANSWER_REQUESTS = [
  { route: 'images.generations', body: '{"prompt":"a fox","n":2}' },
  { route: 'images.generations', body: '{"prompt":"a fox","response_format":"url"}' },
  { route: 'speech', body: '{"input":"hi","voice":"alloy"}' },
  { route: 'speech', body: '{"input":"hi","voice":"alloy","response_format":"pcm"}' },
  { route: 'transcriptions', contentType: 'multipart/form-data; boundary=b', body: `${WAV_FORM}json\r\n--b--` },
  { route: 'translations', contentType: 'multipart/form-data; boundary=b', body: `${WAV_FORM}text\r\n--b--` },
];

// media_url_fuzz.cpp
export const FETCH_ENDS = ['ok', 'timeout', 'too_many_redirects', 'too_large', 'network', 'bad_redirect'];
export const MEDIA_KINDS = ['image', 'audio', 'document', 'video'];

function decodeMediaUrl(p) {
  const end = FETCH_ENDS[p.int(0, 5)];
  const status = p.int(0, 999);
  const kind = MEDIA_KINDS[p.int(0, 3)];
  const url = text(p.randomString(300));
  const contentType = text(p.randomString(100));
  return { end, status, kind, url, contentType, bytes: p.rest() };
}

// live_fuzz.cpp
function decodeLive(p) {
  const code = p.int(0, 4999);
  const now_ms = p.int(0, 4102444800000);
  const reason = text(p.randomString(300));
  return { code, now_ms, reason, message: p.rest() };
}

// Each decoder returns what one corpus file asks the target to do (abi: see abiSteps).
export const DECODERS = {
  classify: decodeClassify,
  keys: (p) => ({ text: p.rest() }),
  live: decodeLive,
  media_answer: (p) => ({ request: ANSWER_REQUESTS[p.int(0, 5)], body: p.rest() }),
  media_request: (p) => ({ route: JSON_MEDIA_ROUTES[p.int(0, 1)], body: p.rest() }),
  media_url: decodeMediaUrl,
  multipart: decodeMultipart,
  openai_request: (p) => ({ body: p.rest() }),
  openai_response: decodeResponse,
  openai_stream: decodeStream,
  path: (p) => ({ text: p.rest() }),
  rawjson: (p) => ({ text: p.rest() }),
  router: decodeRouter,
  usage: (p) => ({ text: p.rest() }),
};

export function decode(target, bytes) {
  return DECODERS[target](new Provider(bytes));
}
