// index.mjs — the Worker: bytes in, bytes out. The core (core.wasm, via core.mjs) decides
// what every request means; this file only moves bytes between the client, the core,
// Gemini (upstream.mjs) and the key pool (admin.mjs, pool-client.mjs).
import { OP, call, callRemembered } from './core.mjs';
import { coreConfig } from './config.mjs';
import { runAdmin } from './admin.mjs';
import { ensurePool } from './pool-client.mjs';
import { errorResponse, planResponse, runUpstream } from './upstream.mjs';
import { routeLive } from './live-route.mjs';

export { KeyPool } from './key-pool.mjs';

// The request headers the core looks at; no other header reaches it. Of these, only the
// core's own allowlist (router.cpp) is ever forwarded to Gemini: never the credentials, the
// cookie, the Origin or the client's address.
const ROUTED_HEADERS = [
  'authorization',
  'x-goog-api-key',
  'cookie',
  'origin',
  'cf-connecting-ip',
  'content-type',
  'accept',
  'x-goog-api-client',
  'x-goog-upload-protocol',
  'x-goog-upload-command',
  'x-goog-upload-offset',
  'x-goog-upload-header-content-length',
  'x-goog-upload-header-content-type',
];

let configured = null;

function configure(env) {
  const config = coreConfig(env);
  const signature = JSON.stringify(config);
  if (signature !== configured) {
    callRemembered(OP.CONFIGURE, config);
    configured = signature;
  }
}

function routedHeaders(headers) {
  const out = {};
  for (const name of ROUTED_HEADERS) {
    const v = headers.get(name);
    if (v !== null) out[name] = v;
  }
  return out;
}

// Reads at most `max` bytes of the body; { tooLarge: true } past that (the rest is
// discarded, see discardBody), { unreadable: true } when the body breaks off or its
// framing is malformed (a client error, answered 400, not an internal one).
async function readBody(request, max) {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) {
    await discardBody(request);
    return { tooLarge: true };
  }
  if (!request.body) return { bytes: new Uint8Array(0) };
  const reader = request.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch {
      return { unreadable: true };
    }
    const { done, value } = chunk;
    if (done) break;
    size += value.length;
    if (size > max) {
      await discardRest(reader, DISCARD_LIMIT);
      return { tooLarge: true };
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes };
}

// Past DISCARD_LIMIT the body is cancelled instead: a huge unauthenticated upload is not
// worth reading.
const DISCARD_LIMIT = 1024 * 1024;

async function discardBody(request) {
  if (!request.body || request.bodyUsed) return;
  await discardRest(request.body.getReader(), DISCARD_LIMIT);
}

async function discardRest(reader, limit) {
  let size = 0;
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) return;
      size += value.length;
    }
    await reader.cancel();
  } catch {
    // the client went away: nothing to keep usable
  }
}

async function handle(request, env, ctx) {
  configure(env);
  const url = new URL(request.url);
  const head = {
    method: request.method,
    path: url.pathname,
    query: url.search.slice(1),
    headers: routedHeaders(request.headers),
    now_ms: Date.now(),
    secure: url.protocol === 'https:',
  };
  const live = await routeLive(request, env, ctx, url, head);
  if (live) return live;
  let plan = call(OP.ROUTE, head);
  let body = null;
  if (plan.header.action === 'need_body' || plan.header.forward_body) {
    const read = await readBody(request, plan.header.max_bytes);
    if (read.tooLarge || read.unreadable) {
      const flags = { body_too_large: !!read.tooLarge, body_unreadable: !!read.unreadable };
      plan = call(OP.ROUTE, { ...head, body_included: true, ...flags });
    } else if (plan.header.action === 'need_body') {
      // The core reads the body (a translation, an admin write, or a native request that may
      // name a file only one key can reach); a native plan then forwards these same bytes.
      plan = call(OP.ROUTE, { ...head, body_included: true }, read.bytes);
      body = read.bytes;
    } else {
      body = read.bytes;
    }
  }
  switch (plan.header.action) {
    case 'respond':
      await discardBody(request);
      return planResponse(plan.header, plan.payload);
    case 'admin':
      return runAdmin(plan.header, env);
    case 'upstream': {
      if (!plan.header.client_key) await ensurePool(env, ctx);
      const upstreamPlan = { ...plan.header, origin: url.origin };
      const res = await runUpstream(upstreamPlan, plan.header.forward_body ? body : plan.payload, env, ctx, request);
      return finishUpstream(plan.header, res);
    }
    default:
      throw new Error(`unknown plan action ${plan.header.action}`);
  }
}

// The answer to a proxied request: marked as depending on Origin when CORS_ORIGINS is a
// list (so no cache hands one origin's answer to another), and logged when it failed on
// this side (no usable key, every key limited, Google unreachable). The log line names the
// route and status only: never a key, a token or a body.
function finishUpstream(plan, res) {
  if (plan.vary) {
    try {
      res.headers.append('vary', plan.vary);
    } catch {
      res = new Response(res.body, res); // immutable headers: copy the response
      res.headers.append('vary', plan.vary);
    }
  }
  if (res.status >= 500 || res.status === 429) {
    const attempts = res.headers.get('x-balancer-attempts') ?? '0';
    // The path names a model the client chose: keep it on one line.
    const path = String(plan.path).replace(/[^\x21-\x7e]/g, '?').slice(0, 200);
    console.warn(`${plan.family} ${plan.method} ${path}: ${res.status} after ${attempts} attempt(s)`);
  }
  return res;
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (err) {
      // Messages can quote upstream text: redact before logging.
      const text = String(err?.stack ?? err);
      let safe = text;
      try {
        safe = new TextDecoder().decode(call(OP.REDACT, {}, text).payload);
      } catch {
        safe = text.replace(/AIza[0-9A-Za-z_-]{10,}/g, 'AIza…[redacted]');
      }
      console.error(`internal error: ${safe}`);
      try {
        return errorResponse('admin', 500, 'Internal error.', 'internal');
      } catch {
        return new Response('{"error":{"message":"Internal error.","code":"internal"}}', {
          status: 500,
          headers: { 'content-type': 'application/json; charset=utf-8' },
        });
      }
    }
  },
};
