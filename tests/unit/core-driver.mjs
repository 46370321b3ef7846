// Drives core.wasm the way worker-shim/index.mjs does, without a Worker around it: open a
// request with its head, feed the events the shim would feed. For unit tests of the shim's
// pieces and of the ABI, and for the replays of the golden fixtures (tests/fixtures/).
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { ABI, CoreRequest, call, callRemembered, tables } from '../../worker-shim/core.mjs';

export const CLIENT = 'client-token';

export function configure(bindings = { ADMIN_TOKEN: 'admin', AUTH_TOKENS: CLIENT }) {
  tables();
  callRemembered('CONFIGURE', { BODY: JSON.stringify(bindings) });
}

export function open(method, target, headers = { 'x-goog-api-key': CLIENT }, now = Date.now()) {
  const url = new URL(target, 'https://worker.example');
  let pairs = '';
  for (const [name, value] of Object.entries(headers)) pairs += `${name}\n${value}\n`;
  return new CoreRequest({
    METHOD: method,
    PATH: url.pathname,
    QUERY: url.search.slice(1),
    HEADERS: pairs,
    ORIGIN: url.origin,
    NOW: now,
    RANDOM: '0123456789abcdef0123456789abcdef',
  });
}

export function headerValue(pairs, name) {
  const lines = pairs.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) if (lines[i] === name) return lines[i + 1];
  return null;
}

// The first FETCH task of an action, or null.
export function fetchTask(action) {
  return (action.TASK ?? []).find((t) => t.KIND === ABI.task.FETCH) ?? null;
}

// A native request whose JSON answer is read whole and delivered: the use of one key,
// recorded as the Worker records it. Returns the key the core chose.
export function servedRequest(now = Date.now()) {
  const req = open('GET', '/v1beta/models/gemini-2.5-flash', undefined, now);
  const task = fetchTask(req.action);
  if (!task) {
    req.close();
    return null;
  }
  const read = req.feed({
    KIND: ABI.event.UPSTREAM_HEAD,
    SLOT: task.SLOT,
    STATUS: 200,
    HEADERS: 'content-type\napplication/json\n',
    NOW: now,
  });
  if (read.KIND !== ABI.action.READ_UPSTREAM) throw new Error(`expected READ_UPSTREAM, got ${read.KIND}`);
  const done = req.feed({ KIND: ABI.event.UPSTREAM_BODY, SLOT: task.SLOT, BODY: '{"name":"models/gemini-2.5-flash"}', NOW: now });
  if (done.KIND !== ABI.action.RESPOND || done.STATUS !== 200) throw new Error(`expected a 200, got ${done.KIND} ${done.STATUS}`);
  return headerValue(task.HEADERS, 'x-goog-api-key');
}

// The key a native generateContent request for `model` is sent with (null when it is
// answered at once: no usable key), closed before any answer: one pick, as requests make it.
export function pickKey(model, now = Date.now()) {
  const req = open('POST', `/v1beta/models/${model}:generateContent`, { 'x-goog-api-key': CLIENT }, now);
  try {
    let action = req.action;
    if (action.KIND === ABI.action.READ_BODY) {
      action = req.feed({ KIND: ABI.event.BODY, BODY: '{"contents":[{"parts":[{"text":"Hi"}]}]}', NOW: now });
    }
    const task = fetchTask(action);
    return task && headerValue(task.HEADERS, 'x-goog-api-key');
  } finally {
    req.close();
  }
}

// ---- Replaying golden fixtures ------------------------------------------------------------

export const FIXTURES = new URL('../fixtures/', import.meta.url);
// The clock and request id the fixtures assume unless they say otherwise.
export const FIXTURE_NOW = 1700000000123;
export const FIXTURE_REQUEST_ID = '0123456789abcdef';
export const UPSTREAM = 'https://generativelanguage.googleapis.com';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
export const text = (bytes) => decoder.decode(bytes ?? new Uint8Array(0));

// The .json files of tests/fixtures/<dir>/ in name order, each with its file `name`.
export function fixtures(dir) {
  const at = new URL(`${dir}/`, FIXTURES);
  return readdirSync(at)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, ...JSON.parse(readFileSync(new URL(f, at), 'utf8')) }));
}

// A tool call's "arguments" is a JSON text: compared by meaning (see the fixtures' READMEs);
// an item just opened has empty arguments.
export function normalized(v) {
  if (Array.isArray(v)) return v.map(normalized);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = k === 'arguments' && typeof x === 'string' && x !== '' ? JSON.parse(x) : normalized(x);
    return out;
  }
  return v;
}

// A pool of keys with these ids ("K <id> <key> a" lines), loaded as the pool client does,
// with the key events of earlier requests drained.
export const keyOf = (id) => `AIzaSy${String(id).padStart(33, 'k')}`;
export function loadPool(ids, now = FIXTURE_NOW, seed = 0) {
  callRemembered('POOL_LOAD', { SEED: seed, NOW: now, BODY: ids.map((id) => `K ${id} ${keyOf(id)} a\n`).join('') });
  call('EVENTS', { NOW: now });
}

// Opens a request as index.mjs does: the head with only the headers the core reads (a client
// sends a content-length with its body), then the body when the core asks for it.
export function send({ method = 'POST', path, query = '', headers = {}, body, now = FIXTURE_NOW, requestId = FIXTURE_REQUEST_ID }) {
  const bytes = typeof body === 'string' ? encoder.encode(body) : body;
  const all = { ...headers };
  if (bytes) all['content-length'] = String(bytes.length);
  let pairs = '';
  for (const [name, value] of Object.entries(all)) if (tables().header.includes(name.toLowerCase())) pairs += `${name.toLowerCase()}\n${value}\n`;
  const req = new CoreRequest({
    METHOD: method,
    PATH: path,
    QUERY: query,
    HEADERS: pairs,
    ORIGIN: 'https://worker.example',
    NOW: now,
    RANDOM: `${requestId}${'0'.repeat(16)}`.slice(0, 32),
  });
  if (req.action.KIND === ABI.action.READ_BODY) {
    const b = bytes ?? new Uint8Array(0);
    const inspect = (req.action.FLAGS ?? 0) & ABI.flag.INSPECT;
    req.feed(inspect ? { KIND: ABI.event.BODY, BODY: b, NOW: now } : { KIND: ABI.event.BODY, SIZE: b.length, NOW: now });
  }
  return req;
}

export const jsonAnswer = (body, status = 200) => ({ status, headers: 'content-type\napplication/json\n', body });
export const sseAnswer = (body) => ({ status: 200, headers: 'content-type\ntext/event-stream\n', body });

// Carries out a request's tasks as index.mjs does, one at a time in the order they were
// started, until it answers or streams: `on.fetch(task, n)` answers the n-th FETCH with
// { status, headers, body } (the body is read when the core asks for it; without `on.fetch`
// the replay stops at the first FETCH), `on.call(task)` a key pool CALL with the CALLED fields
// ({ OK, RESULT } or { OK, BODY }, maybe a promise), `on.media(task)` a MEDIA fetch with the
// MEDIA_DONE fields (mediaFrom); a WAIT is over at once, a POOL ready.
// Returns { action, fetch }: the last action, and the FETCH it stopped at.
export async function carry(req, now, on = {}) {
  const A = ABI.action;
  const E = ABI.event;
  const pending = [];
  const answers = new Map();
  let fetches = 0;
  for (let step = 0; step < 64; step++) {
    const act = req.action;
    if (act.KIND === A.RESPOND || act.KIND === A.STREAM) return { action: act };
    if (act.KIND === A.READ_UPSTREAM) {
      req.feed({ KIND: E.UPSTREAM_BODY, SLOT: act.SLOT, BODY: answers.get(act.SLOT).body, NOW: now });
      continue;
    }
    assert.equal(act.KIND, A.TASKS, `an action the Worker knows (${act.KIND})`);
    pending.push(...(act.TASK ?? []));
    const task = pending.shift();
    assert.ok(task, 'TASKS with nothing to await: the Worker would wait forever');
    if (task.KIND === ABI.task.FETCH) {
      if (!on.fetch) return { action: act, fetch: task };
      const answer = on.fetch(task, fetches++);
      answers.set(task.SLOT, answer);
      req.feed({ KIND: E.UPSTREAM_HEAD, SLOT: task.SLOT, STATUS: answer.status, HEADERS: answer.headers, NOW: now });
    } else if (task.KIND === ABI.task.CALL) {
      assert.ok(on.call, `a key pool call the replay did not expect: ${task.NAME}`);
      req.feed({ KIND: E.CALLED, SLOT: task.SLOT, ...(await on.call(task)), NOW: now });
    } else if (task.KIND === ABI.task.MEDIA) {
      assert.ok(on.media, `a media fetch the replay did not expect: ${task.URL}`);
      req.feed({ KIND: E.MEDIA_DONE, SLOT: task.SLOT, ...on.media(task), NOW: now });
    } else if (task.KIND === ABI.task.WAIT) {
      req.feed({ KIND: E.WAITED, SLOT: task.SLOT, NOW: now });
    } else {
      assert.equal(task.KIND, ABI.task.POOL, `a task the Worker knows (${task.KIND})`);
      req.feed({ KIND: E.POOL_READY, SLOT: task.SLOT, OK: 1, NOW: now });
    }
  }
  throw new Error('no answer after 64 actions');
}

// A fixture's "fetched" ({ url: { status, content_type, base64 } }) as what MEDIA tasks get:
// a URL it does not name fails as an unreachable server would.
export function mediaFrom(fetched = {}) {
  return (task) => {
    const page = fetched[task.URL];
    if (!page) return { REASON: ABI.reason.NETWORK };
    return { STATUS: page.status, MIME: page.content_type ?? '', BODY: Buffer.from(page.base64 ?? '', 'base64') };
  };
}

// A streamed answer's bytes through CHUNK, cut at `cuts` (ascending offsets) as a network may
// cut them, then END, as stream.mjs does. Returns { out, end }: every byte the client got, and
// END's record (its TASKs are the key pool calls to make before the last bytes go out).
export function streamThrough(req, bytes, cuts = []) {
  const parts = [];
  let size = 0;
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut === at) continue; // a network hands over no empty chunk
    const piece = req.chunk(bytes.subarray(at, cut));
    parts.push(piece);
    size += piece.length;
    at = cut;
  }
  const end = req.end(0, null);
  parts.push(end.BODY ?? new Uint8Array(0));
  const out = new Uint8Array(size + parts.at(-1).length);
  let to = 0;
  for (const p of parts) {
    out.set(p, to);
    to += p.length;
  }
  return { out, end };
}

// Where a network may cut `size` bytes: nowhere, every 7 bytes, every byte, and random cuts
// (a seeded generator: the same cuts every run), as the C++ stream tests do.
export function cutsFor(size, rounds = 20) {
  const every = (n) => Array.from({ length: Math.max(0, Math.ceil(size / n) - 1) }, (_, i) => (i + 1) * n);
  const out = [[], every(7), every(1)];
  let seed = 20240611;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let r = 0; r < rounds; r++) {
    const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * (size + 1)));
    out.push(cuts.sort((a, b) => a - b));
  }
  return out;
}

// "event: <type>\ndata: <JSON>\n\n" events (Anthropic's and the Responses API's framing) as
// [{ event, data }], checking the framing and that each data's type names its event.
export function sseEvents(body) {
  const out = [];
  let at = 0;
  while (at < body.length) {
    const end = body.indexOf('\n\n', at);
    assert.ok(end >= 0, `an event that does not end: ${body.slice(at, at + 200)}`);
    const m = /^event: ([^\n]+)\ndata: ([^\n]*)$/.exec(body.slice(at, end));
    assert.ok(m, `an event not framed as event + data: ${body.slice(at, end).slice(0, 200)}`);
    const data = JSON.parse(m[2]);
    assert.equal(data.type, m[1], `the event's name is its data's type`);
    out.push({ event: m[1], data });
    at = end + 2;
  }
  return out;
}

// The key rows of the events the core has gathered since the last drain (events.h).
export function keyRows(now = FIXTURE_NOW) {
  const out = call('EVENTS', { NOW: now });
  return out.BODY ? JSON.parse(text(out.BODY)).keys : [];
}
