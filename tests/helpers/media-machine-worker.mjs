// A test Worker that stands in for the request machine (issue 11) on the media routes until
// the machine carries them: it runs the core's media translators (BAL_OP_MEDIA translate and
// answer) with pool keys, one upstream call after another, each with its own failover, and
// hands every other request to the real Worker. The SDK tests (tests/clients/media-sdk.test.mjs)
// run against it today and against the real Worker once the routes are wired.
import worker from '../../worker-shim/index.mjs';
import { OP, call, callRemembered } from '../../worker-shim/core.mjs';
import { coreConfig, upstreamBase } from '../../worker-shim/config.mjs';
import { ensurePool } from '../../worker-shim/pool-client.mjs';

export { KeyPool } from '../../worker-shim/key-pool.mjs';

const ROUTES = {
  '/v1/images/generations': 'images.generations',
  '/v1/images/edits': 'images.edits',
  '/v1/audio/speech': 'speech',
  '/v1/audio/transcriptions': 'transcriptions',
  '/v1/audio/translations': 'translations',
};
const MAX_ATTEMPTS = 4;
const media = (header, payload) => call(OP.MEDIA, { action: 'translate', ...header }, payload);

function reply(r) {
  const headers = new Headers(r.header.headers ?? {});
  headers.set('content-type', r.header.content_type);
  return new Response(r.payload, { status: r.header.status, headers });
}

// One call with failover: a key from the pool, another after a key's failure.
async function runCall(env, c, body) {
  const tried = [];
  let last = null;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const pick = call(OP.SELECT, { model: c.model, now_ms: Date.now(), exclude: tried }).header;
    if (pick.id == null) break;
    tried.push(pick.id);
    const res = await fetch(`${upstreamBase(env)}${c.path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': pick.key },
      body,
    });
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (res.ok) return { bytes };
    const verdict = call(OP.CLASSIFY, { status: res.status, model: c.model, now_ms: Date.now(), key_id: pick.id, attempts: attempt, max_attempts: MAX_ATTEMPTS }, bytes).header;
    last = { status: res.status, message: verdict.message };
    if (!verdict.retry) break;
  }
  return { error: last ?? { status: 503, message: 'No usable key.' } };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const route = ROUTES[url.pathname];
    if (!route || request.method !== 'POST') return worker.fetch(request, env, ctx);
    callRemembered(OP.CONFIGURE, coreConfig(env));
    const head = { method: 'GET', path: '/v1/models', query: url.search.slice(1), headers: Object.fromEntries(request.headers), now_ms: Date.now() };
    const auth = call(OP.ROUTE, head);
    if (auth.header.action === 'respond') return new Response(auth.payload, { status: auth.header.status, headers: auth.header.headers });
    await ensurePool(env, ctx);
    const body = new Uint8Array(await request.arrayBuffer());
    const header = { route, content_type: request.headers.get('content-type') ?? '', now_ms: Date.now(), request_id: '0123456789abcdef', model_map: env.MODEL_MAP ?? '' };
    const t = media(header, body);
    if (t.header.error) return reply(t);
    let at = 0;
    const answers = [];
    for (const c of t.header.calls) {
      const callBody = t.payload.subarray(at, at + c.size);
      at += c.size;
      const r = await runCall(env, c, callBody);
      if (r.error) {
        const e = call(OP.ERROR, { family: 'openai', status: r.error.status, message: r.error.message });
        return new Response(e.payload, { status: e.header.status, headers: e.header.headers });
      }
      answers.push(r.bytes);
    }
    const joined = new Uint8Array(body.length + answers.reduce((n, a) => n + a.length, 0));
    joined.set(body, 0);
    let off = body.length;
    for (const a of answers) {
      joined.set(a, off);
      off += a.length;
    }
    return reply(call(OP.MEDIA, { ...header, action: 'answer', sizes: [body.length, ...answers.map((a) => a.length)] }, joined));
  },
};
