// A strict mock of the Gemini API on 127.0.0.1, for tests that run the Worker against it.
// It answers like the real service (error shapes, validation, SSE framing split at awkward
// byte boundaries) so that a sloppy proxy fails here rather than in production.
//
//   const mock = await startMockGemini({ keys: { [KEY]: 'quota_day' }, chunking: 'byte' });
//   try { ... point GEMINI_API_BASE at mock.url ... } finally { await mock.close(); }
//
// Options (all optional):
//   keys                 { [key]: behaviour } — see mock/behaviours.mjs for the forms
//   chunking             'random' (default) | 'byte' | 'whole' — how stream bytes are cut
//   seed                 PRNG seed for 'random' (default 1); each request records its own seed
//   chunkDelayMs         pause between stream writes: 0 = setImmediate (default), at most 5
//   stallMs              wait before answering every request (a step's stallMs wins)
//   disconnectMidStream  drop every stream after N events (a step's value wins)
//   retryDelay           RetryInfo.retryDelay of the quota errors (default '28s')
//   forbiddenValues      strings that must never reach upstream (e.g. the client's token):
//                        any occurrence in a URL, header or body is recorded as a violation
//   bindSignaturesToKey  Gemini 3 signatures only valid on the key that got them (default false)
//   maxBodyBytes         request body limit (default 20 MiB, like the inline-data limit)
//
// The returned object: { url, requests, violations, signatures, setKeyBehaviour(key, b),
// reset(), stats(), close() }. `requests[i]` is { seq, method, url (path + query as sent), path,
// query (URLSearchParams), headers (lower-case), body (Buffer), key (x-goog-api-key or null),
// version, model, action, kind (the behaviour applied), status, seed, json() }.
// `violations` ({ type, seq, path, message }) must stay empty in a correct proxy's tests.
// `signatures` maps each Gemini 3 thought signature issued to { key, name, model }.

import http from 'node:http';
import {
  GeminiError,
  KEY_ERRORS,
  htmlNotFound,
  keyInUrl,
  oauthExpected,
  unregisteredCaller,
} from './mock/errors.mjs';
import { EARLY_KINDS, MAX_STALL_MS, compileBehaviour, defaultStep, stepApplies } from './mock/behaviours.mjs';
import { findHandler, parseJsonBody, parsePath, rpcName, unboundQueryParams } from './mock/routes.mjs';
import { CHUNKING_MODES, Waits, mulberry32, writeBody, writeEventStream } from './mock/wire.mjs';

export { KEY_PATTERN, KINDS } from './mock/behaviours.mjs';
export { IMAGE_PNG, PCM_MIME, REPLIES, SOURCES, citations, speechPcm } from './mock/answers.mjs';
export { MODELS } from './mock/models.mjs';
export { DUMMY_SIGNATURES, VOICES } from './mock/validate.mjs';

const DEFAULTS = {
  keys: {},
  chunking: 'random',
  seed: 1,
  chunkDelayMs: 0,
  stallMs: 0,
  disconnectMidStream: null,
  retryDelay: '28s',
  forbiddenValues: [],
  bindSignaturesToKey: false,
  maxBodyBytes: 20 * 1024 * 1024,
};

// Headers the real front end sends; a passthrough test can check which ones a proxy keeps.
const GOOGLE_HEADERS = {
  vary: 'Origin, X-Origin, Referer',
  server: 'scaffolding on HTTPServer2',
  'x-xss-protection': '0',
  'x-frame-options': 'SAMEORIGIN',
  'x-content-type-options': 'nosniff',
  'server-timing': 'gfet4t7; dur=412',
  'alt-svc': 'h3=":443"; ma=2592000,h3-29=":443"; ma=2592000',
};

const LATE_ERRORS = ['quota_minute', 'quota_day', 'overloaded', 'server_error', 'no_grounding'];

// What a 200 from a broken front end or captive portal might carry instead of JSON.
const OUTAGE_PAGE = '<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1></body></html>';

export async function startMockGemini(options = {}) {
  const opts = { ...DEFAULTS, ...options };
  if (!CHUNKING_MODES.includes(opts.chunking)) {
    throw new TypeError(`mock: chunking must be one of ${CHUNKING_MODES}`);
  }
  opts.chunkDelayMs = Math.min(Math.max(0, opts.chunkDelayMs), 5);
  const state = createState(opts);
  const sockets = new Set();
  const server = http.createServer({ requestTimeout: 30000, headersTimeout: 10000 }, (req, res) => {
    handle(req, res, state).catch((error) => failInside(res, state, error));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  state.url = `http://127.0.0.1:${server.address().port}`;

  let closing = null;
  return {
    url: state.url,
    get requests() {
      return state.requests;
    },
    get violations() {
      return state.violations;
    },
    get signatures() {
      return state.signatures;
    },
    setKeyBehaviour: (key, behaviour) => state.behaviours.set(key, compileBehaviour(behaviour)),
    reset: () => resetState(state),
    stats: () => stats(state.requests),
    close() {
      closing ??= new Promise((resolve) => {
        state.waits.closeAll();
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      });
      return closing;
    },
  };
}

function createState(opts) {
  const state = { options: opts, url: '', waits: new Waits() };
  resetState(state);
  return state;
}

function resetState(state) {
  Object.assign(state, {
    seq: 0,
    requests: [],
    violations: [],
    signatures: new Map(),
    uploads: new Map(),
    files: new Map(),
    batches: new Map(),
    madeFiles: new Map(),
    interactions: new Map(),
    behaviours: new Map(),
  });
  for (const [key, behaviour] of Object.entries(state.options.keys)) {
    state.behaviours.set(key, compileBehaviour(behaviour));
  }
}

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => resolve({ body: Buffer.concat(chunks), tooLarge: size > limit }));
    req.on('error', reject);
  });
}

async function handle(req, res, state) {
  const { body, tooLarge } = await readBody(req, state.options.maxBodyBytes);
  const record = makeRecord(req, body, state);
  state.requests.push(record);
  checkViolations(record, state);
  const refusal = refuse(record, tooLarge, state.options);
  if (refusal) return sendError(res, record, refusal);

  // A resumable upload's later requests are authorised by their upload_id alone.
  const step = isUploadContinuation(record) ? { kind: 'ok' } : nextStep(record, state);
  if (step.raw) {
    record.kind = 'raw';
    return sendRaw(res, record, step.raw);
  }
  record.kind = stepApplies(step, record) ? step.kind : 'ok';
  await state.waits.pause(Math.min(step.stallMs ?? state.options.stallMs, MAX_STALL_MS));
  if (state.waits.closed) return undefined;
  return answer(res, record, step, state);
}

const isUploadContinuation = (record) => record.path.startsWith('/upload/') && record.query.has('upload_id');

/** Answers that come before any key behaviour: size, leaks, no key at all. */
function refuse(record, tooLarge, options) {
  if (tooLarge) {
    const message = `Request payload size exceeds the limit: ${options.maxBodyBytes} bytes.`;
    return new GeminiError(400, 'INVALID_ARGUMENT', message);
  }
  if (systemParam(record.query, 'key') !== null) return keyInUrl();
  if (record.headers.authorization !== undefined) return oauthExpected();
  if (OAUTH_PARAMS.some((name) => systemParam(record.query, name) !== null)) return oauthExpected();
  if (!record.key && !isUploadContinuation(record)) return unregisteredCaller();
  return null;
}

function answer(res, record, step, state) {
  const { kind } = record;
  if (kind === 'disconnect') return res.socket?.destroy();
  const errorContext = {
    key: record.key,
    // An interaction names its model in the body.
    model: record.model ?? (record.action === 'interactions' ? bodyModel(record) : null),
    rpc: rpcName(record.action),
    retryDelay: step.retryDelay || state.options.retryDelay,
  };
  if (EARLY_KINDS.includes(kind)) return sendError(res, record, KEY_ERRORS[kind](errorContext));

  const handler = findHandler(record.method, record);
  if (!handler) return sendHtml(res, record, 404, htmlNotFound(record.path));
  const unbound = unboundQueryParams(record);
  if (unbound) return sendError(res, record, unbound);
  let result;
  try {
    result = handler({ req: record, body: () => parseJsonBody(record.body), state });
  } catch (error) {
    if (error instanceof GeminiError) return sendError(res, record, error);
    throw error;
  }
  // The request was valid; only now does a busy or broken key get its say.
  if (LATE_ERRORS.includes(kind)) return sendError(res, record, KEY_ERRORS[kind](errorContext));
  if (kind === 'html') return sendHtml(res, record, 200, OUTAGE_PAGE);
  if (kind === 'empty') {
    const headers = { 'content-type': 'application/json; charset=UTF-8' };
    return sendRaw(res, record, { status: 200, headers, body: '' });
  }
  const disconnect = step.disconnectMidStream ?? state.options.disconnectMidStream;
  if (result.events) return sendEvents(res, record, result.events, { step, disconnect, state });
  if (result.bytes) return sendRaw(res, record, { status: 200, headers: { ...GOOGLE_HEADERS, ...result.headers }, body: result.bytes });
  const payload = result.json ?? result.text;
  return sendJson(res, record, result.status || 200, payload, result.headers, disconnect);
}

function bodyModel(record) {
  try {
    return String(record.json()?.model ?? '').replace(/^models\//, '') || null;
  } catch {
    return null;
  }
}

function makeRecord(req, body, state) {
  const url = new URL(req.url, 'http://127.0.0.1');
  const parsed = parsePath(url.pathname);
  const seq = state.seq++;
  const record = {
    seq,
    method: req.method,
    path: url.pathname,
    query: url.searchParams,
    url: req.url,
    headers: { ...req.headers },
    body,
    key: req.headers['x-goog-api-key'] ?? null,
    version: parsed.version ?? null,
    model: parsed.model ?? null,
    action: parsed.action ?? null,
    kind: null,
    status: null,
    seed: (state.options.seed + seq * 7919) >>> 0,
  };
  Object.defineProperty(record, 'json', {
    enumerable: false,
    value: () => (body.length ? JSON.parse(body.toString('utf8')) : undefined),
  });
  return record;
}

// Google reads system parameters under their name or with a '$' in front ($key, %24key,
// %6bey: names are percent-decoded, which URLSearchParams does too). The value, or null.
function systemParam(query, name) {
  return query.get(name) ?? query.get(`$${name}`);
}

// Credentials Google takes from the query besides the key: an OAuth token, checked first.
const OAUTH_PARAMS = ['access_token', 'oauth_token', 'bearer_token'];
// Parameters that make Google treat the request as another method.
const METHOD_OVERRIDES = ['$httpMethod', '$method', 'X-HTTP-Method-Override'];

function checkViolations(record, state) {
  const add = (type, message) => state.violations.push({ type, seq: record.seq, path: record.path, message });
  if (systemParam(record.query, 'key') !== null) add('key-in-url', 'an API key was sent in the URL query (?key=)');
  for (const name of OAUTH_PARAMS) {
    if (systemParam(record.query, name) !== null) add('credential-in-url', `a ${name} parameter reached upstream`);
  }
  for (const name of METHOD_OVERRIDES) {
    if (record.query.has(name)) add('method-override', `a ${name} parameter reached upstream`);
  }
  if (record.headers.authorization !== undefined) {
    add('authorization-forwarded', 'an Authorization header reached upstream');
  }
  const haystacks = {
    url: record.url,
    headers: JSON.stringify(record.headers),
    body: record.body.toString('utf8'),
  };
  for (const value of state.options.forbiddenValues) {
    for (const [where, text] of Object.entries(haystacks)) {
      if (value && text.includes(value)) {
        add('forbidden-value', `a forbidden value reached upstream in the ${where}`);
      }
    }
  }
}

function nextStep(record, state) {
  const compiled = state.behaviours.get(record.key);
  return compiled ? compiled.next(record) : defaultStep(record.key);
}

function finish(record, status) {
  record.status = status;
}

function sendJson(res, record, status, payload, headers = {}, disconnect = null) {
  const isText = typeof payload === 'string';
  const body = Buffer.from(isText ? payload : JSON.stringify(payload, null, 2));
  finish(record, status);
  res.writeHead(status, {
    'content-type': isText ? headers['content-type'] || 'text/plain' : 'application/json; charset=UTF-8',
    ...GOOGLE_HEADERS,
    ...headers,
    'content-length': body.length,
  });
  writeBody(res, body, disconnect !== null && disconnect !== undefined);
}

const sendError = (res, record, error) => sendJson(res, record, error.code, error.toBody());

function sendHtml(res, record, status, html) {
  finish(record, status);
  res.writeHead(status, { 'content-type': 'text/html; charset=UTF-8', ...GOOGLE_HEADERS });
  res.end(html);
}

function sendRaw(res, record, { status, headers = {}, body = '' }) {
  const bytes = Buffer.isBuffer(body) || typeof body === 'string' ? body : JSON.stringify(body);
  finish(record, status);
  res.writeHead(status, headers);
  res.end(bytes);
}

async function sendEvents(res, record, events, { step, disconnect, state }) {
  finish(record, 200);
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'content-disposition': 'attachment',
    ...GOOGLE_HEADERS,
  });
  await writeEventStream(res, events, {
    chunking: step.chunking || state.options.chunking,
    rand: mulberry32(record.seed),
    delayMs: state.options.chunkDelayMs,
    waits: state.waits,
    disconnectAfter: disconnect,
  });
}

// A bug in the mock itself: answer 500 and make the test's violations check fail loudly.
function failInside(res, state, error) {
  state.violations.push({ type: 'mock-error', message: String(error?.stack || error) });
  if (!res.headersSent) {
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ error: { code: 500, message: `mock error: ${error?.message}`, status: 'INTERNAL' } }),
    );
  } else {
    res.socket?.destroy();
  }
}

function stats(requests) {
  const byKey = {};
  for (const r of requests) {
    const entry = (byKey[r.key ?? '(none)'] ??= { total: 0, byStatus: {}, byAction: {}, byKind: {} });
    entry.total += 1;
    entry.byStatus[r.status] = (entry.byStatus[r.status] || 0) + 1;
    entry.byAction[r.action] = (entry.byAction[r.action] || 0) + 1;
    entry.byKind[r.kind] = (entry.byKind[r.kind] || 0) + 1;
  }
  return byKey;
}
