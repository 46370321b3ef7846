// replay.mjs — runs every committed fuzz input (tests/fuzz-corpus/<target>/) through the Wasm
// core the Worker ships, by way of worker-shim/core.mjs and the way worker-shim/index.mjs
// calls it: a request is a CoreRequest opened with its head and fed the events the Worker
// would feed. The native targets call the core's functions directly under ASan and UBSan;
// this checks that the artifact built by Emscripten (another compiler, 32-bit, its own libc)
// never traps, never refuses a well-framed record, always answers with something the Worker
// can send, and leaves no request open.
//
//   node --import ./scripts/wasm-loader.mjs tests/fuzz/replay.mjs [target...]
//
// Prints one line per target and exits with 1 if any input failed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ABI, CoreError, CoreRequest, call, tables } from '../../worker-shim/core.mjs';
import { ABI_IDS, ABI_NOW, abiFollow, abiReset, abiSteps, concat, wellFramed } from './abi-input.mjs';
import { REQUEST_ID, TARGETS, decode, text } from './formats.mjs';
import { translatorDrivers } from './replay-translators.mjs';

const corpusRoot = new URL('../fuzz-corpus/', import.meta.url).pathname;
const encoder = new TextEncoder();
const KEY = /AIza[0-9A-Za-z_-]{35}/;
const POOL = 'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\nK 2 AIzaSyB1234567890abcdefghijklmnopqrstuv a\n';
const QUOTA = encoder.encode(
  '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"}]}]}}',
);
const RANDOM = `${REQUEST_ID}${REQUEST_ID}`;
// Enough for every retry a request may make (MAX_ATTEMPTS keys, backoffs, pages).
const MAX_ROUNDS = 64;

// The ids formats.mjs read from balancer.h are the ones the core was built with.
function checkTables() {
  tables();
  for (const kind of ['op', 'field', 'action', 'task', 'event', 'flag', 'reason']) {
    for (const [name, id] of Object.entries(ABI_IDS[kind])) {
      const got = kind === 'field' ? ABI.field[name]?.id : ABI[kind][name];
      if (got !== id) throw new Error(`${kind} ${name} is ${got} in core.wasm, ${id} in balancer.h: rebuild core.wasm`);
    }
  }
  if (ABI.header.join() !== ABI_IDS.header.join()) throw new Error('the request headers differ: rebuild core.wasm');
}

const isRefusal = (err) => err instanceof CoreError && /refused \(\d+\)/.test(err.message);

// A call whose input may be malformed: the core refuses it (and stays sound) exactly when it is.
function framed(bytes, fn) {
  try {
    const out = fn();
    if (!wellFramed(bytes)) throw new Error('the core accepted a malformed record');
    return out;
  } catch (err) {
    if (isRefusal(err) && !wellFramed(bytes)) return undefined;
    throw err;
  }
}

// What worker-shim/index.mjs does with an answer: a Response it can build.
function checkAnswer(action) {
  const status = action.STATUS;
  if (!(Number.isInteger(status) && status >= 200 && status <= 599)) throw new Error(`answered status ${status}`);
  const headers = new Headers();
  const lines = (action.HEADERS ?? '').split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) headers.append(lines[i], lines[i + 1]);
  if (action.KIND === ABI.action.RESPOND) {
    return new Response(status === 204 || status === 304 ? null : action.BODY, { status, headers });
  }
  return null;
}

// One request as the Worker drives it, over an open CoreRequest: `upstream(task)` answers a
// FETCH ({ status, headers, body }), `pool(task)` a key pool CALL (its result as JSON, or
// bytes), `media(task)` a MEDIA fetch (MEDIA_DONE's fields); the streamed answer's chunks go
// through the core (after a keep-alive with `ping`). Returns { action, streamed, end } (the
// last action, the bytes a stream sent the client, and END's record).
function drive(req, { body = new Uint8Array(0), upstream, pool = () => 'null', media, chunks = (b) => [b], endReason = 0, ping = false }) {
  const A = ABI.action;
  const E = ABI.event;
  const pending = [];
  const answers = new Map(); // slot -> the upstream answer it got
  try {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const a = req.action;
      if (a.KIND === A.RESPOND) {
        checkAnswer(a);
        return { action: a };
      }
      if (a.KIND === A.READ_BODY) {
        const inspect = (a.FLAGS ?? 0) & ABI.flag.INSPECT;
        req.feed({ KIND: E.BODY, ...(inspect ? { BODY: body } : { SIZE: body.length }), NOW: ABI_NOW });
      } else if (a.KIND === A.TASKS) {
        pending.push(...(a.TASK ?? []));
        const task = pending.shift();
        if (!task) throw new Error('TASKS with nothing to await');
        if (task.KIND === ABI.task.FETCH) {
          const answer = upstream(task);
          answers.set(task.SLOT, answer);
          const { status, headers } = answer;
          req.feed({ KIND: E.UPSTREAM_HEAD, SLOT: task.SLOT, STATUS: status, HEADERS: headers, NOW: ABI_NOW });
        } else if (task.KIND === ABI.task.WAIT) {
          req.feed({ KIND: E.WAITED, SLOT: task.SLOT, NOW: ABI_NOW });
        } else if (task.KIND === ABI.task.POOL) {
          req.feed({ KIND: E.POOL_READY, SLOT: task.SLOT, OK: 1, NOW: ABI_NOW });
        } else if (task.KIND === ABI.task.MEDIA) {
          if (!media) throw new Error(`a media fetch of ${task.URL}`);
          req.feed({ KIND: E.MEDIA_DONE, SLOT: task.SLOT, ...media(task), NOW: ABI_NOW });
        } else {
          const result = pool(task);
          req.feed({ KIND: E.CALLED, SLOT: task.SLOT, OK: 1, ...(result instanceof Uint8Array ? { BODY: result } : { RESULT: result }), NOW: ABI_NOW });
        }
      } else if (a.KIND === A.READ_UPSTREAM) {
        req.feed({ KIND: E.UPSTREAM_BODY, SLOT: a.SLOT, BODY: answers.get(a.SLOT).body, NOW: ABI_NOW });
      } else if (a.KIND === A.STREAM) {
        checkAnswer(a);
        const sent = [];
        if (ping) sent.push(req.tick());
        if (a.MODE === 1) for (const c of chunks(answers.get(a.SLOT).body)) sent.push(req.chunk(c));
        const end = req.end(endReason, a.MODE === 1 ? new Uint8Array(0) : answers.get(a.SLOT).body);
        sent.push(end.BODY ?? new Uint8Array(0));
        return { action: a, streamed: concat(sent), end };
      } else {
        throw new Error(`unknown action ${a.KIND}`);
      }
    }
    throw new Error(`no answer after ${MAX_ROUNDS} actions`);
  } finally {
    req.close();
  }
}

const ORIGIN = 'https://worker.example';

function head(method, path, { query = '', headers = 'authorization\nBearer tok-a\n' } = {}) {
  return { METHOD: method, PATH: path, QUERY: query, HEADERS: headers, ORIGIN, NOW: ABI_NOW, RANDOM };
}

function setUp(bindings = { AUTH_TOKENS: 'tok-a' }) {
  call('CONFIGURE', { BODY: JSON.stringify(bindings) });
  call('POOL_LOAD', { NOW: ABI_NOW, SEED: 7, BODY: POOL });
  call('EVENTS', { NOW: ABI_NOW });
}

function expectJson(bytes, what) {
  try {
    return JSON.parse(text(bytes));
  } catch {
    throw new Error(`${what} is not JSON: ${text(bytes).slice(0, 200)}`);
  }
}

// A client's OpenAI request whose upstream calls `upstream` answers.
function openaiRequest(method, path, body, upstream, options) {
  return drive(new CoreRequest(head(method, path)), { body, upstream, ...options });
}

function expectOpenAiAnswer(r) {
  if (r.action.KIND !== ABI.action.RESPOND) throw new Error(`expected an answer, got action ${r.action.KIND}`);
  const body = expectJson(r.action.BODY, 'the answer');
  if (body.error && KEY.test(JSON.stringify(body.error))) throw new Error('a key in an error message');
}

// --- abi -------------------------------------------------------------------------------

// After OPEN or FEED: the request's action, and the tasks it leaves to await.
function applyAction(open, o, action) {
  if (action.KIND === ABI.action.RESPOND) {
    checkAnswer(action);
    open.splice(open.indexOf(o), 1);
    return;
  }
  if (action.KIND === ABI.action.CLOSE) {
    checkClose(action.STATUS, action.TEXT);
    open.splice(open.indexOf(o), 1);
    return;
  }
  if (action.KIND === ABI.action.STREAM) {
    checkAnswer(action);
    o.pending = [];
  }
  if (action.KIND === ABI.action.RELAY) o.pending = [];
  if (action.KIND === ABI.action.TASKS) {
    for (const t of action.TASK ?? []) o.pending.push([t.KIND, t.SLOT]);
    if (o.pending.length === 0) throw new Error('TASKS with nothing to await: the Worker would wait forever');
  }
  o.action = action;
}

function abiStep(step, open) {
  const index = step.handle ? step.handle.index : step.index;
  const o = index === undefined ? null : open[index];
  switch (step.kind) {
    case 'open': {
      const req = framed(step.bytes, () => new CoreRequest(step.bytes));
      if (!req) return;
      const entry = { req, pending: [] };
      open.push(entry);
      applyAction(open, entry, req.action);
      return;
    }
    case 'follow': {
      if (!o) return;
      const next = abiFollow(o, step.choice);
      if (!next) return;
      if (next.op === 'FEED') {
        for (const part of next.chunks ?? []) {
          try {
            o.req.bodyChunk(part);
          } catch (err) {
            if (!isRefusal(err)) throw err;
          }
        }
        applyAction(open, o, o.req.feed(next.bytes));
      } else if (next.op === 'CHUNK') {
        const out = o.req.chunk(next.bytes);
        if (o.action.KIND === ABI.action.RELAY && out.length) throw new Error('a relayed message answered bytes');
      } else if (next.op === 'END_SESSION') {
        const out = o.req.endSession(next.reason, next.code, next.text);
        checkClose(out.STATUS, out.TEXT);
        open.splice(open.indexOf(o), 1);
      } else {
        o.req.end(next.reason, next.tail);
        open.splice(open.indexOf(o), 1);
      }
      return;
    }
    case 'feed': {
      // The shim only ever feeds its own open requests.
      if (!o) return;
      const action = framed(step.bytes, () => o.req.feed(step.bytes));
      if (action) applyAction(open, o, action);
      return;
    }
    case 'chunk':
      if (o) o.req.chunk(step.bytes);
      return;
    case 'end':
      if (!o) return;
      o.req.end(step.reason, step.tail);
      open.splice(open.indexOf(o), 1);
      return;
    case 'close':
      if (!o) return;
      o.req.close();
      open.splice(open.indexOf(o), 1);
      return;
    case 'configure':
      framed(step.bytes, () => call('CONFIGURE', step.bytes));
      return;
    case 'pool_load':
      framed(step.bytes, () => call('POOL_LOAD', step.bytes));
      return;
    default:
      if (step.op === 'REDACT') {
        if (KEY.test(text(call('REDACT', step.bytes)))) throw new Error('a key survived REDACT');
      } else if (typeof step.op === 'string') {
        const out = framed(step.bytes, () => call(step.op, step.bytes));
        if (out && (out.BODY || step.op === 'CLASSIFY') && (step.op === 'EVENTS' || step.op === 'CLASSIFY')) {
          expectJson(out.BODY, `${step.op}'s answer`);
        }
      }
  }
}

function replayAbi(bytes) {
  const reset = abiReset();
  call('CONFIGURE', reset.configure);
  call('POOL_LOAD', reset.poolLoad);
  call('EVENTS', reset.events);
  const open = []; // { req, action, pending }, in the order they opened
  const state = { open: 0 };
  try {
    for (const step of abiSteps(bytes, state)) {
      abiStep(step, open);
      state.open = open.length;
      const count = call('OPEN_COUNT').COUNT;
      if (count !== open.length) throw new Error(`${count} requests open in the core, ${open.length} in the shim`);
    }
  } finally {
    for (const o of open) o.req.close();
  }
  const left = call('OPEN_COUNT').COUNT;
  if (left !== 0) throw new Error(`${left} request handles left open`);
}

// --- the other targets -------------------------------------------------------------------

const json = (status, body) => ({ status, headers: 'content-type\napplication/json\n', body });

function chatBody(exchange) {
  const body = { model: exchange.model, messages: [{ role: 'user', content: 'hi' }], n: exchange.n };
  if (exchange.grounded) body.web_search_options = {};
  if (exchange.stream) {
    body.stream = true;
    if (exchange.include_usage) body.stream_options = { include_usage: true };
  }
  return encoder.encode(JSON.stringify(body));
}

// The request of an exchange's kind (openai_response_fuzz.cpp), its calls answered by
// `upstream`.
function exchangeRequest(exchange, upstream) {
  if (exchange.kind === 'embeddings') {
    const body = { model: 'gemini-embedding-001', input: ['a', 'b'], encoding_format: exchange.encoding_format };
    return openaiRequest('POST', '/v1/embeddings', encoder.encode(JSON.stringify(body)), upstream);
  }
  if (exchange.kind === 'models') return openaiRequest('GET', '/v1/models', undefined, upstream);
  if (exchange.kind === 'model') {
    return openaiRequest('GET', `/v1/models/${exchange.id ?? exchange.model}`, undefined, upstream);
  }
  return openaiRequest('POST', '/v1/chat/completions', chatBody(exchange), upstream);
}

function streamed(exchange, chunks, fails) {
  const answer = { status: 200, headers: 'content-type\ntext/event-stream\n', body: concat(chunks) };
  const r = openaiRequest('POST', '/v1/chat/completions', chatBody(exchange), () => answer, {
    chunks: () => chunks,
    endReason: fails ? ABI.reason.TIMEOUT : 0,
  });
  if (r.action.KIND !== ABI.action.STREAM) throw new Error(`expected a stream, got action ${r.action.KIND}`);
  if (!text(r.streamed).endsWith('data: [DONE]\n\n')) throw new Error('the stream does not end with [DONE]');
  return r.streamed;
}

// --- media ----------------------------------------------------------------------------

const MEDIA_PATHS = {
  'images.generations': '/v1/images/generations',
  'images.edits': '/v1/images/edits',
  speech: '/v1/audio/speech',
  transcriptions: '/v1/audio/transcriptions',
  translations: '/v1/audio/translations',
};

// A media route's request as the Worker drives it: every Gemini call must be a JSON body to a
// model's generateContent; the answer is one a Response can carry, JSON whenever it is an
// error (speech's 200 is audio bytes).
function mediaRequest(route, contentType, body, answer) {
  setUp();
  const headers = `authorization\nBearer tok-a\n${contentType ? `content-type\n${contentType}\n` : ''}`;
  const r = drive(new CoreRequest(head('POST', MEDIA_PATHS[route], { headers })), {
    body,
    upstream: (task) => {
      if (!/^https:\/\/generativelanguage\.googleapis\.com\/v1beta\/models\/[^/:]+:generateContent$/.test(task.URL)) {
        throw new Error(`an upstream call to ${task.URL}`);
      }
      expectJson(task.BODY, 'the Gemini request');
      return answer;
    },
  });
  if (r.action.KIND !== ABI.action.RESPOND) throw new Error(`expected an answer, got action ${r.action.KIND}`);
  if (r.action.STATUS !== 200) expectJson(r.action.BODY, 'the error');
  return r.action;
}

// How a MEDIA fetch ends (formats.mjs FETCH_ENDS), as the shim reports it (media_url_fuzz.cpp):
// a redirect leads to the content type; "too many redirects" keeps redirecting.
function mediaAnswer({ end, status, contentType, bytes }, task) {
  const R = ABI.reason;
  switch (end) {
    case 'timeout':
      return { REASON: R.TIMEOUT };
    case 'too_large':
      return { REASON: R.TOO_LARGE };
    case 'network':
      return { REASON: R.NETWORK };
    case 'too_many_redirects':
      return { STATUS: 302, URL: `${task.URL}x` };
    case 'bad_redirect':
      return { STATUS: 302, URL: contentType };
    default:
      return { STATUS: status, MIME: contentType, BODY: bytes };
  }
}

// --- live ------------------------------------------------------------------------------

const LIVE_PATH = '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent';
const sendable = (c) => (c >= 1000 && c <= 1003) || (c >= 1007 && c <= 1014) || (c >= 3000 && c <= 4999);

function checkClose(code, reason) {
  if (!sendable(code)) throw new Error(`a close code no peer may send: ${code}`);
  if (encoder.encode(reason).length > 123) throw new Error('a close reason over 123 bytes');
  if (KEY.test(reason)) throw new Error('a key in a close reason');
}

// A Live session as live.mjs drives it: `message` is the client's setup; each upstream socket
// closes with `code` and `reason`, or (code 0) answers, is shown `message` and then closed.
function liveSession({ code, reason, message }) {
  setUp();
  const A = ABI.action;
  const E = ABI.event;
  const req = new CoreRequest(head('GET', LIVE_PATH, { headers: 'upgrade\nwebsocket\nx-goog-api-key\ntok-a\n' }));
  try {
    if (req.action.KIND !== A.ACCEPT) throw new Error(`expected ACCEPT, got ${req.action.KIND}`);
    let a = req.feed({ KIND: E.BODY, BODY: message, NOW: ABI_NOW });
    for (let round = 0; round < MAX_ROUNDS && a.KIND === A.TASKS; round++) {
      const [task] = a.TASK ?? [];
      if (!task) throw new Error('TASKS with nothing to await');
      if (task.KIND === ABI.task.WAIT) a = req.feed({ KIND: E.WAITED, SLOT: task.SLOT, NOW: ABI_NOW });
      else if (task.KIND === ABI.task.POOL) a = req.feed({ KIND: E.POOL_READY, SLOT: task.SLOT, OK: 1, NOW: ABI_NOW });
      else if (task.KIND !== ABI.task.SOCKET) throw new Error(`a task ${task.KIND} in a session`);
      else if (code === 0) a = req.feed({ KIND: E.SOCKET_OPEN, SLOT: task.SLOT, NOW: ABI_NOW });
      else a = req.feed({ KIND: E.SOCKET_CLOSED, SLOT: task.SLOT, STATUS: code, TEXT: reason, NOW: ABI_NOW });
    }
    if (a.KIND === A.CLOSE) return checkClose(a.STATUS, a.TEXT);
    if (a.KIND !== A.RELAY) throw new Error(`expected RELAY or CLOSE, got ${a.KIND}`);
    if (req.chunk(message).length) throw new Error('a relayed message answered bytes');
    const out = req.endSession(0, code, reason);
    return checkClose(out.STATUS, out.TEXT);
  } finally {
    req.close();
  }
}

const DRIVERS = {
  abi: replayAbi,
  classify({ status, now, body }) {
    const verdict = call('CLASSIFY', { STATUS: status, BODY: body, MODEL: 'gemini-2.5-flash', NOW: now });
    expectJson(verdict.BODY, 'the verdict');
  },
  live: liveSession,
  media_answer({ request, body }) {
    mediaRequest(request.route, request.contentType, encoder.encode(request.body), json(200, body));
  },
  media_request({ route, body }) {
    mediaRequest(route, '', body, json(200, encoder.encode('{}')));
  },
  media_url(input) {
    // The URL as chat's image_url, and as an Anthropic document's url source.
    setUp();
    const answer = json(200, encoder.encode('{}'));
    const chat = { model: 'gemini-2.5-flash', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: input.url } }] }] };
    const doc = { model: 'gemini-2.5-flash', max_tokens: 5, messages: [{ role: 'user', content: [{ type: 'document', source: { type: 'url', url: input.url } }] }] };
    for (const [path, body, headers] of [
      ['/v1/chat/completions', chat, undefined],
      ['/v1/messages', doc, 'x-api-key\ntok-a\nanthropic-version\n2023-06-01\n'],
    ]) {
      const r = drive(new CoreRequest(head('POST', path, headers ? { headers } : {})), {
        body: encoder.encode(JSON.stringify(body)),
        upstream: () => answer,
        media: (task) => mediaAnswer(input, task),
      });
      if (r.action.KIND !== ABI.action.RESPOND) throw new Error(`expected an answer, got action ${r.action.KIND}`);
      const out = expectJson(r.action.BODY, 'the answer');
      if (r.action.STATUS !== 200 && KEY.test(JSON.stringify(out))) throw new Error('a key in an error');
    }
  },
  multipart({ route, contentType, body }) {
    mediaRequest(route, contentType, body, json(200, encoder.encode('{}')));
  },
  keys({ text: t }) {
    if (KEY.test(text(call('REDACT', t)))) throw new Error('a key survived REDACT');
    // A pasted key list, as POST /api/keys reads it: only whole keys reach the pool.
    setUp({ ADMIN_TOKEN: 'fuzz-admin' });
    const req = new CoreRequest(head('POST', '/api/keys', { headers: 'authorization\nBearer fuzz-admin\n' }));
    const pool = (task) => {
      const [keys] = JSON.parse(task.ARGS);
      for (const k of keys) if (!/^AIza[0-9A-Za-z_-]{35}$/.test(k)) throw new Error(`${task.NAME} got ${k}`);
      return JSON.stringify({ added: keys.length, existing: 0, total: keys.length });
    };
    checkAnswer(drive(req, { body: t, upstream: () => json(500, ''), pool }).action);
  },
  openai_request({ body }) {
    setUp();
    const answer = json(200, encoder.encode('{}'));
    // An http(s) image URL is fetched first: it answers a PNG.
    const png = { STATUS: 200, MIME: 'image/png', BODY: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1]) };
    for (const path of ['/v1/chat/completions', '/v1/embeddings']) {
      const r = drive(new CoreRequest(head('POST', path)), {
        body,
        media: () => png,
        upstream: (task) => {
          if (!task.URL.startsWith('https://generativelanguage.googleapis.com/v1beta/models/')) {
            throw new Error(`an upstream call to ${task.URL}`);
          }
          expectJson(task.BODY, 'the Gemini request');
          return answer;
        },
      });
      checkAnswer(r.action);
    }
  },
  openai_response({ exchange, status, body, split }) {
    setUp();
    // Several bodies, one a line: the answers of successive calls (a list's pages).
    const bodies = [];
    let rest = body;
    while (split && rest.indexOf(10) >= 0) {
      bodies.push(rest.subarray(0, rest.indexOf(10)));
      rest = rest.subarray(rest.indexOf(10) + 1);
    }
    bodies.push(rest);
    let n = 0;
    const upstream = () => ({ status, headers: 'content-type\napplication/json\n', body: bodies[n++ % bodies.length] });
    expectOpenAiAnswer(exchangeRequest(exchange, upstream));
  },
  openai_stream({ exchange, fails, chunks }) {
    setUp();
    const chunked = streamed({ ...exchange, stream: true }, chunks, fails);
    const whole = streamed({ ...exchange, stream: true }, [concat(chunks)], fails);
    if (Buffer.compare(chunked, whole) !== 0) throw new Error('the output depends on where the input was cut');
  },
  path({ text: t }) {
    setUp();
    const s = text(t);
    const r = drive(new CoreRequest(head('GET', s, { query: s })), { upstream: () => json(200, new Uint8Array(0)) });
    checkAnswer(r.action);
  },
  pool({ text: t }) {
    // pool_fuzz.cpp: a snapshot, then change batches (every other one keeping unused keys),
    // each the next version's, on the pool setUp() loaded; after each, requests that every key
    // answers with a quota error run through keys the pool was sent, never one twice.
    setUp();
    const sent = `${text(t)}\n${POOL}`;
    let version = 0;
    text(t)
      .split('\n---\n')
      .forEach((changes, part) => {
        const info =
          part === 0
            ? call('POOL_LOAD', { SEED: 7, VERSION: 0, NOW: ABI_NOW, BODY: changes })
            : call('POOL_APPLY', { FROM: version, TO: version + 1, NOW: ABI_NOW, FLAGS: part % 2 ? 0 : ABI.flag.KEEP_UNUSED, BODY: changes });
        if (info.OK && part > 0) version++;
        if (info.VERSION !== version) throw new Error(`the pool is at version ${info.VERSION}, not ${version}`);
        for (const model of ['m', 'gemini-2.5-flash']) {
          const tried = new Set();
          const upstream = (task) => {
            const lines = task.HEADERS.split('\n');
            const key = lines[lines.indexOf('x-goog-api-key') + 1];
            if (!key || !sent.includes(key)) throw new Error('a request was sent with a key the pool was never sent');
            if (tried.has(key)) throw new Error('a request was sent with a key twice');
            tried.add(key);
            return json(429, QUOTA);
          };
          drive(new CoreRequest(head('POST', `/v1beta/models/${model}:generateContent`)), { body: encoder.encode('{}'), upstream });
        }
      });
  },
  rawjson({ text: t }) {
    setUp();
    expectJson(call('CLASSIFY', { STATUS: 400, BODY: t, NOW: ABI_NOW }).BODY, 'the verdict');
    for (const status of [200, 400]) {
      expectOpenAiAnswer(exchangeRequest({ kind: 'chat', model: 'gemini-2.5-flash', n: 1 }, () => json(status, t)));
    }
  },
  router(r) {
    call('CONFIGURE', { BODY: JSON.stringify(r.bindings) });
    const headers = r.headers.map(([name, value]) => `${name}\n${value}\n`).join('');
    for (let round = 0; round < r.rounds; round++) {
      const req = new CoreRequest({
        METHOD: r.method,
        PATH: r.path,
        QUERY: r.query,
        HEADERS: headers,
        ORIGIN: r.secure ? 'https://worker.example' : 'http://worker.example',
        NOW: r.now,
        RANDOM,
      });
      try {
        let a = req.action;
        if (a.KIND === ABI.action.READ_BODY) {
          const failed = r.bodyTooLarge ? ABI.reason.TOO_LARGE : r.bodyUnreadable ? ABI.reason.UNREADABLE : 0;
          const inspect = (a.FLAGS ?? 0) & ABI.flag.INSPECT;
          const event = failed
            ? { KIND: ABI.event.BODY_FAILED, REASON: failed, NOW: r.now }
            : inspect
              ? { KIND: ABI.event.BODY, BODY: r.body, NOW: r.now }
              : { KIND: ABI.event.BODY, SIZE: r.body.length, NOW: r.now };
          a = req.feed(event);
        }
        if (a.KIND === ABI.action.RESPOND || a.KIND === ABI.action.STREAM) checkAnswer(a);
      } finally {
        req.close();
      }
    }
  },
  ...translatorDrivers({ drive, head, setUp }),
  usage({ text: t }) {
    setUp();
    for (const [path, type] of [
      ['/v1beta/models/gemini-2.5-flash:streamGenerateContent', 'text/event-stream'],
      ['/v1beta/models/gemini-2.5-flash:generateContent', 'application/json'],
    ]) {
      const answer = { status: 200, headers: `content-type\n${type}\n`, body: t };
      const req = new CoreRequest(head('POST', path, { query: 'alt=sse' }));
      drive(req, { body: encoder.encode('{}'), upstream: () => answer });
      for (const e of expectJson(call('EVENTS', { NOW: ABI_NOW }).BODY, 'the key events').keys) {
        if (!(e.prompt_tokens >= 0 && e.completion_tokens >= 0)) {
          throw new Error(`negative tokens: ${JSON.stringify(e)}`);
        }
      }
    }
  },
};

// One corpus file through the core; throws what went wrong.
export function replayInput(target, bytes) {
  DRIVERS[target](target === 'abi' ? bytes : decode(target, bytes));
  const left = call('OPEN_COUNT').COUNT;
  if (left !== 0) throw new Error(`${left} request handles left open`);
}

export function replayTarget(target) {
  checkTables();
  const dir = join(corpusRoot, target);
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  const failures = [];
  for (const name of names) {
    try {
      replayInput(target, new Uint8Array(readFileSync(join(dir, name))));
    } catch (err) {
      failures.push(`${target}/${name}: ${err?.message ?? err}`);
    }
  }
  return { inputs: names.length, failures };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const targets = process.argv.length > 2 ? process.argv.slice(2) : TARGETS;
  let failed = 0;
  for (const t of targets) {
    const started = Date.now();
    const r = replayTarget(t);
    failed += r.failures.length;
    console.log(`${t}: ${r.inputs} inputs, ${r.failures.length} failed (${Date.now() - started} ms)`);
    for (const f of r.failures.slice(0, 20)) console.log(`  ${f}`);
  }
  process.exit(failed ? 1 : 0);
}
