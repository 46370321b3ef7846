// live-route.mjs — the Live API route in today's shim: the upgrade check, the client's token
// checked by the core's router, and live.mjs's callbacks bound to the core (decisions, key
// selection) and the key pool (events). The request machine (issue 11) takes these bindings
// over; live.mjs stays as it is.
import { OP, call } from './core.mjs';
import { upstreamBase } from './config.mjs';
import { serveLive } from './live.mjs';
import { ensurePool, recordEvent, refreshPool } from './pool-client.mjs';
import { planResponse } from './upstream.mjs';

const media = (header, payload) => call(OP.MEDIA, header, payload).header;

// A Response for a Live API upgrade, or null when the request is not one.
export async function routeLive(request, env, ctx, url, head) {
  if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return null;
  const live = media({ action: 'live_path', path: url.pathname });
  if (!live.version) return null;
  // Any proxied GET is authorised the same way: ask the router about one.
  const auth = call(OP.ROUTE, { ...head, method: 'GET', path: '/v1beta/models' });
  if (auth.header.action === 'respond') return planResponse(auth.header, auth.payload);
  const clientKey = auth.header.client_key;
  if (!clientKey) await ensurePool(env, ctx);
  const event = (pick, model, verdict, usage) => {
    if (pick.id == null) return;
    recordEvent(env, ctx, {
      ...(usage ? { count: false } : {}),
      id: pick.id,
      model,
      outcome: verdict.outcome,
      action: verdict.action ?? 'none',
      until_ms: verdict.until_ms ?? 0,
      all_models: !!verdict.all_models,
      prompt_tokens: usage?.prompt_tokens ?? 0,
      completion_tokens: usage?.completion_tokens ?? 0,
      error: verdict.outcome === 'ok' ? null : verdict.message || verdict.outcome,
      at_ms: Date.now(),
    });
  };
  let model = '';
  return serveLive(request, {
    upstreamUrl: `${upstreamBase(env)}${live.upstream_path}`,
    pick(forModel, exclude) {
      model = forModel;
      if (clientKey) return exclude.length ? { none: { code: 1011, reason: 'The key was refused.' } } : { id: null, key: clientKey };
      const r = call(OP.SELECT, { model, now_ms: Date.now(), exclude }).header;
      if (r.id != null) return r;
      const pool = call(OP.POOL_STATUS, { model, now_ms: Date.now() }).header;
      const c = media({ action: 'live_no_key', cooling: pool.cooling > 0, retry_after_ms: pool.retry_after_ms });
      return { none: { code: c.client_code, reason: c.client_reason } };
    },
    report(pick, verdict) {
      if (pick.id != null && verdict.action !== 'none') {
        call(OP.POOL_EVENT, { id: pick.id, model, action: verdict.action, until_ms: verdict.until_ms, all_models: !!verdict.all_models, now_ms: Date.now() });
      }
      event(pick, model, verdict);
      if (verdict.dead) ctx.waitUntil(refreshPool(env).catch(() => {}));
    },
    record: (pick, usage) => event(pick, model, { outcome: 'ok' }, usage),
    decide: {
      setup: (bytes) => media({ action: 'live_setup' }, bytes),
      close: (code, reason) => media({ action: 'live_close', code, reason, now_ms: Date.now() }),
      usage: (bytes) => media({ action: 'live_usage' }, bytes),
    },
  });
}
