// upstream.mjs — carries out an "upstream" plan: picks keys from the core, calls Gemini,
// asks the core what each failure means, retries on another key before the first byte
// reaches the client, and hands the answer back untouched or translated.
import { OP, call, callText, CoreStream } from './core.mjs';
import { timeouts, upstreamBase } from './config.mjs';
import { recordEvent, refreshPool } from './pool-client.mjs';

const MAX_ERROR_BYTES = 256 * 1024;
const MAX_MODEL_PAGES = 20;

const encoder = new TextEncoder();
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function requestId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// The core's headers for this answer (CORS, nosniff, CSP), and the attempts it took.
function baseHeaders(plan, attempts) {
  const h = new Headers(plan.response_headers ?? {});
  h.set('x-balancer-attempts', String(attempts));
  return h;
}

// A "respond" plan from the core as a Response.
export function planResponse(plan, payload, extraHeaders) {
  const headers = new Headers(extraHeaders);
  for (const [name, value] of Object.entries(plan.headers ?? {})) headers.set(name, value);
  const status = plan.status ?? 200;
  const body = status === 204 || status === 304 ? null : payload;
  return new Response(body, { status, headers });
}

export function errorResponse(family, status, message, code, headers) {
  const r = call(OP.ERROR, { family, status, message, code });
  return planResponse(r.header, r.payload, headers);
}

async function readLimited(res, limit) {
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array(0);
  const parts = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
      size += value.length;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  const out = new Uint8Array(Math.min(size, limit));
  let at = 0;
  for (const p of parts) {
    const n = Math.min(p.length, out.length - at);
    out.set(p.subarray(0, n), at);
    at += n;
  }
  return out;
}

// Calls Gemini once with `key`. Redirects are never followed: the origin stays GEMINI_API_BASE.
async function callGemini(env, plan, key, body, signal) {
  const url = `${upstreamBase(env)}${plan.path}${plan.query ? `?${plan.query}` : ''}`;
  const headers = new Headers(plan.headers ?? {});
  headers.set('x-goog-api-key', key);
  const init = { method: plan.method, headers, redirect: 'manual', signal };
  if (body && plan.method !== 'GET' && plan.method !== 'HEAD') init.body = body;
  return fetch(url, init);
}

// The attempt loop: the core picks each key and decides, after each failure, whether and
// when to try again (classify.h: next_step). Returns a Response for the client.
export async function runUpstream(plan, body, env, ctx, request) {
  const cached = cachedModelList(plan);
  if (cached) return cached;
  const started = Date.now();
  const tried = [];
  const maxAttempts = plan.client_key ? 1 : plan.max_attempts ?? 8;
  let serverFailures = 0;
  let attempts = 0;
  let lastError = null; // { status, bytes, verdict }
  for (;;) {
    // A retry after Google's own failure may reuse a key already tried: any key will do.
    const pick = plan.client_key
      ? { id: null, key: plan.client_key }
      : selectKey(plan, tried) ?? (lastError?.verdict.backoff ? selectKey(plan, []) : null);
    if (!pick) break;
    attempts++;
    if (pick.id !== null) tried.push(pick.id);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('upstream timeout')), timeouts(env).firstByteMs);
    request?.signal?.addEventListener?.('abort', () => controller.abort(new Error('client gone')), { once: true });
    let res = null;
    try {
      res = await callGemini(env, plan, pick.key, body, controller.signal);
    } catch (err) {
      if (request?.signal?.aborted) return new Response(null, { status: 499 });
      console.warn(`upstream call failed: ${err?.message ?? err}`);
    } finally {
      clearTimeout(timer);
    }
    if (res && res.status < 300) return deliver(plan, res, pick, attempts, env, ctx, controller);
    const bytes = res ? await readLimited(res, MAX_ERROR_BYTES) : null;
    const verdict = call(
      OP.CLASSIFY,
      {
        status: res?.status ?? 0,
        model: plan.model,
        now_ms: Date.now(),
        attempts,
        max_attempts: maxAttempts,
        server_failures: serverFailures,
        elapsed_ms: Date.now() - started,
        ...(pick.id !== null ? { key_id: pick.id } : {}),
      },
      bytes,
    ).header;
    serverFailures = verdict.server_failures;
    noteEvent(env, ctx, plan, pick, verdict);
    if (verdict.dead) ctx.waitUntil(refreshPool(env).catch(() => {}));
    lastError = { status: res?.status ?? 502, bytes, verdict, headers: res?.headers };
    if (!verdict.retry) break;
    if (verdict.delay_ms) await delay(verdict.delay_ms);
  }
  return failure(plan, lastError, attempts);
}

function selectKey(plan, tried) {
  const head = { model: plan.model, now_ms: Date.now(), exclude: tried };
  if (plan.prefer_key != null) head.prefer = plan.prefer_key;
  const r = call(OP.SELECT, head).header;
  return r.id == null ? null : r;
}

// Lets the core remember what an answer made with this key owns (a created file or cache,
// thought signatures; the core decides from the request's method and path what it may learn),
// so later requests naming them use the same key. New resources are reported with the key
// event, for every isolate to learn from the pool snapshot.
function learn(plan, pick, bytes) {
  if (pick.id === null || !bytes?.length) return [];
  try {
    return call(OP.LEARN, { key_id: pick.id, method: plan.method, path: plan.path }, bytes).header.created;
  } catch (err) {
    console.warn(`affinity not learnt: ${err?.message ?? err}`);
    return [];
  }
}

function noteEvent(env, ctx, plan, pick, verdict, usage, created = []) {
  if (pick.id === null) return;
  recordEvent(env, ctx, {
    ...(verdict.count === false ? { count: false } : {}),
    ...(created.length ? { created } : {}),
    id: pick.id,
    model: plan.model,
    outcome: verdict.outcome,
    action: verdict.action ?? 'none',
    until_ms: verdict.until_ms ?? 0,
    all_models: !!verdict.all_models,
    prompt_tokens: usage?.prompt_tokens ?? 0,
    completion_tokens: usage?.completion_tokens ?? 0,
    error: verdict.outcome === 'ok' ? null : verdict.message || verdict.status_text || verdict.outcome,
    at_ms: Date.now(),
  });
}

// A streamed answer is counted as a use when it starts (a client that leaves takes the request's
// context with it, and nothing could be recorded after that); its tokens, what it created and
// any failure at the end follow as an event that adds to the figures without counting again.
function noteStreamEnd(env, ctx, plan, pick, verdict, usage, created) {
  noteEvent(env, ctx, plan, pick, { ...verdict, count: false }, usage, created);
}

// No attempt succeeded: the last upstream error (redacted or translated), or, when no key
// was usable at all, 429 with the earliest cooldown end or 503 for an empty pool.
function failure(plan, lastError, attempts) {
  const family = plan.family;
  if (!lastError) {
    const pool = call(OP.POOL_STATUS, { model: plan.model, now_ms: Date.now() }).header;
    const headers = baseHeaders(plan, attempts);
    if (pool.cooling > 0) {
      const seconds = Math.max(1, Math.ceil(pool.retry_after_ms / 1000));
      headers.set('retry-after', String(seconds));
      return errorResponse(
        family,
        429,
        `Every key is rate-limited for ${plan.model || 'this request'}; retry in ${seconds} s.`,
        'all_keys_rate_limited',
        headers,
      );
    }
    const message =
      pool.total === 0
        ? 'The key pool is empty: add Gemini API keys in the admin UI or with POST /api/keys.'
        : 'No usable key: every key in the pool is disabled.';
    return errorResponse(family, 503, message, 'no_usable_keys', headers);
  }
  const headers = baseHeaders(plan, attempts);
  if (lastError.verdict.retry_after_ms > 0) {
    headers.set('retry-after', String(Math.max(1, Math.ceil(lastError.verdict.retry_after_ms / 1000))));
  }
  if (!lastError.bytes) return errorResponse(family, 502, lastError.verdict.message, 'upstream_unreachable', headers);
  if (family === 'gemini') {
    const redacted = call(OP.REDACT, {}, lastError.bytes).payload;
    headers.set('content-type', lastError.headers?.get('content-type') ?? 'application/json; charset=utf-8');
    return new Response(redacted, { status: lastError.status, headers });
  }
  return translated(plan, lastError.status, lastError.bytes, headers, lastError.verdict).response;
}

function translated(plan, status, bytes, headers, verdict) {
  const r = call(
    OP.TRANSLATE,
    {
      ...plan.translate,
      status,
      now_ms: Date.now(),
      request_id: requestId(),
      ...(verdict?.retry_after_ms ? { retry_after_ms: verdict.retry_after_ms } : {}),
    },
    bytes,
  );
  return { response: planResponse(r.header, r.payload, headers), usage: r.header.usage };
}

async function deliver(plan, res, pick, attempts, env, ctx, controller) {
  const headers = baseHeaders(plan, attempts);
  if (plan.response === 'passthrough') {
    // Which of Gemini's headers the client sees, redacted, upload URLs led back here and
    // pinned to this key: the core decides (upload.h).
    const passed = call(OP.PASS_HEADERS, {
      headers: Object.fromEntries(res.headers),
      upstream: upstreamBase(env),
      origin: plan.origin,
      ...(pick.id !== null ? { key_id: pick.id } : {}),
    }).header.headers;
    for (const [name, value] of Object.entries(passed)) headers.set(name, value);
    return new Response(passthroughBody(plan, res, pick, env, ctx, controller), { status: res.status, headers });
  }
  if (plan.response === 'sse') return streamTranslated(plan, res, pick, headers, env, ctx, controller);
  let bytes;
  if (plan.response === 'pages') {
    bytes = await collectPages(plan, res, pick, env);
  } else {
    bytes = new Uint8Array(await res.arrayBuffer());
  }
  const out = translated(plan, res.status, bytes, headers);
  // A 200 whose body cannot be read (HTML, empty, cut short) is Google's side, not the key's.
  const verdict = out.response.status >= 500 ? { outcome: 'server_error', message: 'unreadable upstream answer' } : { outcome: 'ok' };
  noteEvent(env, ctx, plan, pick, verdict, out.usage, verdict.outcome === 'ok' ? learn(plan, pick, bytes) : []);
  if (plan.response === 'pages' && out.response.status === 200) {
    const body = await out.response.arrayBuffer();
    modelList = { at: Date.now(), body, headers: out.response.headers };
    return new Response(body, { status: 200, headers: out.response.headers });
  }
  return out.response;
}

// The model list changes rarely and every client asks for it on start: each isolate keeps
// the translated list for MODEL_LIST_TTL_MS.
const MODEL_LIST_TTL_MS = 60 * 1000;
let modelList = null;

export function cachedModelList(plan) {
  if (plan.response !== 'pages' || plan.client_key || !modelList) return null;
  if (Date.now() - modelList.at > MODEL_LIST_TTL_MS) return null;
  const headers = new Headers(modelList.headers);
  for (const [name, value] of baseHeaders(plan, 0)) headers.set(name, value);
  return new Response(modelList.body, { status: 200, headers });
}

// Follows nextPageToken (bounded) and hands the core all pages as one JSON array.
async function collectPages(plan, first, pick, env) {
  const pages = [await first.text()];
  for (let page = 1; page < MAX_MODEL_PAGES; page++) {
    let token;
    try {
      token = JSON.parse(pages[pages.length - 1]).nextPageToken;
    } catch {
      break;
    }
    if (!token) break;
    const query = `${plan.query ? `${plan.query}&` : ''}pageToken=${encodeURIComponent(token)}`;
    const res = await callGemini(env, { ...plan, query }, pick.key, null);
    if (!res.ok) break;
    pages.push(await res.text());
  }
  return encoder.encode(`[${pages.join(',')}]`);
}

// Moves an upstream body to the client chunk by chunk; `hooks.chunk(bytes)` returns what to
// send for each chunk, `hooks.end(out, error)` runs exactly once when the upstream ends or
// fails, `hooks.cancel()` when the client goes away (the upstream request is aborted).
function pump(body, controller, hooks, idleMs) {
  const reader = body.getReader();
  let ended = false;
  // An upstream that goes quiet mid-answer is cut off after idleMs, like one that drops.
  const read = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new Error('upstream stalled');
        controller.abort(err);
        reject(err);
      }, idleMs);
      reader.read().then(
        (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        (e) => {
          clearTimeout(timer);
          reject(e);
        },
      );
    });
  return new ReadableStream({
    // Reads until there is something to send: a pull that enqueues nothing is not always
    // called again, which would leave the client waiting forever.
    async pull(out) {
      for (;;) {
        let chunk;
        try {
          chunk = await read();
        } catch (err) {
          ended = true;
          hooks.end(out, err);
          return;
        }
        if (chunk.done) {
          ended = true;
          hooks.end(out, null);
          return;
        }
        let bytes;
        try {
          bytes = hooks.chunk(chunk.value);
        } catch (err) {
          ended = true;
          controller.abort(err);
          reader.cancel().catch(() => {});
          hooks.end(out, err);
          return;
        }
        if (bytes.length) {
          out.enqueue(bytes);
          return;
        }
      }
    },
    cancel() {
      controller.abort(new Error('client gone'));
      reader.cancel().catch(() => {});
      if (!ended) {
        ended = true;
        hooks.cancel();
      }
    },
  });
}

const USAGE_TAIL_BYTES = 16 * 1024;

// The last USAGE_TAIL_BYTES of what has passed so far.
function keepTail(tail, bytes) {
  const keep = Math.min(USAGE_TAIL_BYTES, tail.length + bytes.length);
  const next = new Uint8Array(keep);
  const fromBytes = Math.min(bytes.length, keep);
  next.set(tail.subarray(tail.length - (keep - fromBytes)), 0);
  next.set(bytes.subarray(bytes.length - fromBytes), keep - fromBytes);
  return next;
}

// Only JSON and SSE answers can be checked for a proper end (media downloads cannot).
function looksLikeJson(res) {
  const type = res.headers.get('content-type') ?? '';
  return /json|event-stream/i.test(type);
}

// A native body goes to the client untouched; only its last few KB are kept, for the token
// counts in the final usageMetadata. A failure mid-body errors the client's stream so the
// client can tell the answer is incomplete.
function passthroughBody(plan, res, pick, env, ctx, controller) {
  noteEvent(env, ctx, plan, pick, { outcome: 'ok' });
  if (!res.body) return null;
  let tail = new Uint8Array(0);
  return pump(res.body, controller, {
    chunk(bytes) {
      tail = keepTail(tail, bytes);
      return bytes;
    },
    end(out, error) {
      const sse = /event-stream/i.test(res.headers.get('content-type') ?? '');
      let usage = null;
      let complete = !error;
      try {
        const found = call(OP.USAGE, { sse }, tail).header;
        if (found.found) usage = found;
        if (complete && looksLikeJson(res)) complete = found.complete;
      } catch (err) {
        console.warn(`usage not read: ${err?.message ?? err}`);
      }
      if (complete) {
        out.close();
        noteStreamEnd(env, ctx, plan, pick, { outcome: 'ok' }, usage, learn(plan, pick, tail));
        return;
      }
      // Cut short: the key is not to blame, but the client must be able to tell.
      noteStreamEnd(env, ctx, plan, pick, { outcome: 'server_error', message: 'upstream answer cut short' }, usage, []);
      if (!sse) {
        out.error(error ?? new Error('upstream answer cut short'));
        return;
      }
      const r = call(OP.ERROR, { family: 'gemini', status: 502, message: 'The upstream stream ended before the answer was complete.' });
      out.enqueue(encoder.encode('\r\n\r\ndata: '));
      out.enqueue(r.payload);
      out.enqueue(encoder.encode('\r\n\r\n'));
      out.close();
    },
    cancel() {},
  }, timeouts(env).idleMs);
}

// Pumps the upstream SSE body through a core stream handle. The handle is closed on every
// path: end of stream, upstream failure (the client gets a closing error event, not a
// hang) and client cancel.
function streamTranslated(plan, res, pick, headers, env, ctx, controller) {
  const stream = new CoreStream({ ...plan.translate, now_ms: Date.now(), request_id: requestId() });
  noteEvent(env, ctx, plan, pick, { outcome: 'ok' });
  let tail = new Uint8Array(0);
  const body = pump(res.body, controller, {
    chunk(bytes) {
      tail = keepTail(tail, bytes);
      return stream.push(bytes);
    },
    end(out, error) {
      if (error) console.warn(`upstream stream failed: ${error?.message ?? error}`);
      try {
        const end = stream.finish();
        if (end.payload.length) out.enqueue(end.payload);
        const ok = end.header.ok !== false;
        const verdict = ok ? { outcome: 'ok' } : { outcome: 'server_error', message: 'upstream stream ended early' };
        noteStreamEnd(env, ctx, plan, pick, verdict, end.header, ok ? learn(plan, pick, tail) : []);
      } finally {
        stream.close();
        out.close();
      }
    },
    cancel() {
      stream.close();
    },
  }, timeouts(env).idleMs);
  headers.set('content-type', 'text/event-stream; charset=utf-8');
  headers.set('cache-control', 'no-cache');
  return new Response(body, { status: 200, headers });
}
