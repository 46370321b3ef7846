// formats.mjs — how each fuzz target in cpp/fuzz/ reads its input, in JavaScript: the lists
// and constants the targets use, and a decoder per target that turns a corpus file into the
// calls the target makes (the abi target's: abi-input.mjs). The Wasm replay (replay.mjs) runs
// those calls through core.mjs; seeds.mjs writes files in the same layouts. Keep this file and
// cpp/fuzz/*_fuzz.cpp in step.
import { createHmac } from 'node:crypto';
import { ABI_IDS } from './abi-input.mjs';
import { Provider } from './provider.mjs';

export const TARGETS = [
  'abi',
  'anthropic_request',
  'anthropic_stream',
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
  'pool',
  'rawjson',
  'responses_request',
  'responses_stream',
  'router',
  'usage',
];

const decoder = new TextDecoder();
const encoder = new TextEncoder();
export const text = (bytes) => decoder.decode(bytes);
const asBytes = (v) => (typeof v === 'string' ? encoder.encode(v) : v);

// openai_response_fuzz.cpp
export const RESPONSE_KINDS = ['chat', 'embeddings', 'models', 'model', 'other'];
export const NOW_MS = 1700000000123;
export const REQUEST_ID = '0123456789abcdef';

export function responseFlags(d) {
  return (
    // Bit 0 asks for usage chunks (streams only) and, on chat, Google Search (whole answers).
    (d.include_usage || d.grounded ? 1 : 0) |
    (d.include_reasoning ? 2 : 0) |
    (d.encoding_format === 'base64' ? 4 : 0) |
    ((Math.max(1, Math.min(4, d.n ?? 1)) - 1) << 3) |
    (d.retry_after_ms ? 32 : 0) |
    (d.id ? 64 : 0) |
    (d.split ? 128 : 0)
  );
}

function decodeResponse(p) {
  const kind = p.pick(RESPONSE_KINDS);
  const status = p.int(0, 1100);
  const flags = p.u8();
  const exchange = { kind, model: 'gemini-2.5-flash', request_id: REQUEST_ID, now_ms: NOW_MS };
  exchange.include_usage = (flags & 1) !== 0;
  exchange.grounded = (flags & 1) !== 0;
  exchange.include_reasoning = (flags & 2) !== 0;
  exchange.encoding_format = flags & 4 ? 'base64' : 'float';
  exchange.n = 1 + ((flags >> 3) & 3);
  if (flags & 64) exchange.id = 'gemini-2.5-pro';
  return { exchange, status, retryAfter: (flags & 32) !== 0, split: (flags & 128) !== 0, body: p.rest() };
}

// openai_stream_fuzz.cpp
export function streamExchange(flags) {
  return {
    kind: 'chat',
    model: 'gemini-2.5-flash',
    stream: true,
    include_usage: (flags & 1) !== 0,
    include_reasoning: (flags & 2) !== 0,
    n: 1 + ((flags >> 2) & 3),
    grounded: (flags & STREAM_GROUNDED) !== 0,
    now_ms: NOW_MS,
    request_id: REQUEST_ID,
  };
}

export const STREAM_FAILS = 16;
export const STREAM_GROUNDED = 32;

function decodeStream(p) {
  const flags = p.u8();
  const chunks = [];
  while (p.remaining > 0) chunks.push(p.bytes(p.int(1, 65536)));
  return { exchange: streamExchange(flags), fails: (flags & STREAM_FAILS) !== 0, chunks };
}

// anthropic_stream_fuzz.cpp: bit 0 a Claude model name (else a Gemini 3 one), bit 1 a ping
// before the first chunk.
function decodeAnthropicStream(p) {
  const flags = p.u8();
  const chunks = [];
  while (p.remaining > 0) chunks.push(p.bytes(p.int(1, 65536)));
  return { flags, chunks };
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
  '/v1/images/edits',
  '/v1/audio/speech',
  '//ws/google.ai.generativelanguage.v1.GenerativeService.BidiGenerateContent',
];
export const HEADER_NAMES = ABI_IDS.header;

export const ROUTER_URL_ORIGIN = 'https://app.example';
export const ROUTER_NONCE = '0123456789abcdef0123456789abcdef';

// A session cookie the router accepts at ROUTER_NOW_MS (session.cpp signs them so).
function validCookie() {
  const key = createHmac('sha256', ADMIN_TOKEN).update('bal-admin-session-key-v1').digest('hex');
  const value = `${ROUTER_NONCE}.${ROUTER_NOW_MS + 3600 * 1000}`;
  const mac = createHmac('sha256', key).update(`session:${value}`).digest('hex');
  return `bal_session=${value}.${mac}`;
}

export const HEADER_VALUES = [
  'Bearer tok-a',
  `Bearer ${ADMIN_TOKEN}`,
  'application/json',
  'https://app.example',
  validCookie(),
  '2001:db8::1',
  'AIzaSyA1234567890abcdefghijklmnopqrstuv',
  'websocket',
];

const pickOrFreeBytes = (p, list, max) => (p.bool() ? asBytes(p.pick(list)) : p.randomString(max));
const pickOrFree = (p, list, max) => text(pickOrFreeBytes(p, list, max));

// The Worker's bindings for a configuration byte.
export function routerBindings(bits) {
  const b = {};
  if (bits & 1) b.ADMIN_TOKEN = ADMIN_TOKEN;
  if (bits & 2) b.AUTH_TOKENS = 'tok-a, tok-b';
  if (bits & 4) b.ALLOW_CLIENT_KEYS = 'true';
  if (bits & 8) b.CORS_ORIGINS = 'https://app.example';
  if (bits & 16) b.RATE_LIMIT_PER_MINUTE = '2';
  if (bits & 32) b.MAX_BODY_BYTES = '1024';
  if (bits & 64) b.CORS_ORIGINS = '*';
  if (bits & 128) b.ADMIN_TOKEN = `${ADMIN_TOKEN},second`;
  return b;
}

function decodeRouter(p) {
  const bindings = routerBindings(p.u8());
  const method = pickOrFree(p, METHODS, 16);
  const path = pickOrFree(p, PATHS, 2100);
  const query = text(p.randomString(512));
  const headers = [];
  for (let n = p.int(0, 8); n > 0; n--) {
    const name = p.pick(HEADER_NAMES);
    headers.push([name, pickOrFree(p, HEADER_VALUES, 512)]);
  }
  const flags = p.u8();
  const now = flags & 8 ? p.int(0, 4102444800000) : ROUTER_NOW_MS;
  return {
    bindings,
    method,
    path,
    query,
    headers,
    now,
    body: p.rest(),
    bodyIncluded: (flags & 1) !== 0,
    bodyTooLarge: (flags & 2) !== 0,
    secure: (flags & 4) !== 0,
    bodyUnreadable: (flags & 16) !== 0,
    rounds: 1 + ((flags >> 5) & 3),
  };
}

// classify_fuzz.cpp
export const CLASSIFY_MAX_NOW = 4102444800000;

function decodeClassify(p) {
  const status = p.int(0, 999);
  const now = p.int(0, CLASSIFY_MAX_NOW);
  return { status, now, body: p.rest() };
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

// Each decoder returns what one corpus file asks the target to do (abi: abi-input.mjs).
export const DECODERS = {
  anthropic_request: (p) => ({ body: p.rest() }),
  anthropic_stream: decodeAnthropicStream,
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
  pool: (p) => ({ text: p.rest() }),
  rawjson: (p) => ({ text: p.rest() }),
  responses_request: (p) => ({ body: p.rest() }),
  responses_stream: (p) => {
    const flags = p.u8();
    const chunks = [];
    while (p.remaining > 0) chunks.push(p.bytes(p.int(1, 65536)));
    return { flags, chunks };
  },
  router: decodeRouter,
  usage: (p) => ({ text: p.rest() }),
};

export function decode(target, bytes) {
  return DECODERS[target](new Provider(bytes));
}
