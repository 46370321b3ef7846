// index.mjs — the Worker: bytes in, bytes out. The core (core.wasm, via core.mjs) decides
// what every request means; this file only moves bytes between the client, the core,
// Gemini (upstream.mjs) and the key pool (admin.mjs, pool-client.mjs).
import { OP, call, callRemembered } from './core.mjs';
import { coreConfig } from './config.mjs';
import { runAdmin } from './admin.mjs';
import { ensurePool } from './pool-client.mjs';
import { errorResponse, planResponse, runUpstream } from './upstream.mjs';

export { KeyPool } from './key-pool.mjs';

// The request headers the core looks at; no other header reaches it (or Gemini).
const ROUTED_HEADERS = [
  'authorization',
  'x-goog-api-key',
  'cookie',
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
// discarded, see discardBody).
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
    const { done, value } = await reader.read();
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
  let plan = call(OP.ROUTE, head);
  let body = null;
  if (plan.header.action === 'need_body' || plan.header.forward_body) {
    const read = await readBody(request, plan.header.max_bytes);
    if (read.tooLarge) {
      plan = call(OP.ROUTE, { ...head, body_included: true, body_too_large: true });
    } else if (plan.header.action === 'need_body') {
      plan = call(OP.ROUTE, { ...head, body_included: true }, read.bytes);
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
      return runUpstream(upstreamPlan, plan.header.forward_body ? body : plan.payload, env, ctx, request);
    }
    default:
      throw new Error(`unknown plan action ${plan.header.action}`);
  }
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
