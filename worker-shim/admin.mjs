// admin.mjs — carries out the core's "admin" plans against the KeyPool Durable Object.
// The core has already checked the admin credentials and parsed and validated the input.
import { poolStub, refreshPool } from './pool-client.mjs';

const CHECK_BUDGET_MS = 20 * 1000;
// Each step is one Durable Object call, a subrequest of this request: stay well inside the
// free plan's 50 (the object's alarm carries a large check on after this request).
const CHECK_MAX_STEPS = 40;
const MAX_REJECTED_SHOWN = 200;

function json(body, status = 200) {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
  });
}

async function runCheck(stub, plan, env) {
  const started = Date.now();
  let status = await stub.startCheck(plan.ids ?? null);
  for (let step = 0; status.running && step < CHECK_MAX_STEPS && Date.now() - started < CHECK_BUDGET_MS; step++) {
    status = await stub.checkStep();
  }
  await refreshPool(env);
  return json(status, status.running ? 202 : 200);
}

const OPS = {
  async 'keys.list'(stub, plan) {
    const r = await stub.listKeys({
      offset: plan.offset,
      limit: plan.limit,
      status: plan.status,
      q: plan.q,
      sort: plan.sort,
      order: plan.order,
    });
    return json({ keys: r.keys, total: r.total, page: plan.page, limit: plan.limit, counts: r.counts });
  },
  async 'keys.add'(stub, plan, env) {
    const r = await stub.addKeys(plan.keys, plan.masked);
    if (r.added) await refreshPool(env);
    return json({
      added: r.added,
      duplicates: plan.duplicates + r.existing,
      rejected: plan.rejected.length,
      rejected_items: plan.rejected.slice(0, MAX_REJECTED_SHOWN),
      total: r.total,
    });
  },
  async 'keys.delete'(stub, plan, env) {
    const r = await stub.deleteKeys(plan.ids, plan.keys);
    if (r.deleted) await refreshPool(env);
    return json(r);
  },
  async 'keys.enable'(stub, plan, env) {
    const r = await stub.setDisabled(plan.ids, false);
    await refreshPool(env);
    return json(r);
  },
  async 'keys.disable'(stub, plan, env) {
    const r = await stub.setDisabled(plan.ids, true);
    await refreshPool(env);
    return json(r);
  },
  'keys.check': (stub, plan, env) => runCheck(stub, plan, env),
  async 'keys.check_status'(stub) {
    return json(await stub.checkStatus());
  },
  async stats(stub, plan) {
    return json(await stub.stats({ hours: plan.hours, keyId: plan.key_id || null, dayStartMs: plan.day_start_ms }));
  },
  async 'session.create'(stub, plan) {
    await stub.createSession(plan.new_session, plan.expires_ms);
    return json({ ok: true, expires_ms: plan.expires_ms });
  },
  async 'session.end'(stub, plan) {
    await stub.endSession(plan.end_session);
    return json({ ok: true });
  },
  'session.status': () => json({ ok: true }),
};

// Runs the plan's operation; the answer carries the core's headers for it (nosniff, CSP, a
// session cookie). A plan made on a session cookie names the session: the core has checked
// the cookie's signature, the pool says whether the session is still live.
export async function runAdmin(plan, env) {
  const op = OPS[plan.op];
  const stub = poolStub(env);
  let res;
  if (!op) {
    res = json({ error: { message: 'Unknown admin operation.', code: 'not_found' } }, 404);
  } else if (plan.session && !(await stub.sessionLive(plan.session))) {
    res = json({ error: { message: 'This session has ended: log in again.', code: 'unauthorized' } }, 401);
  } else {
    res = await op(stub, plan, env);
  }
  for (const [name, value] of Object.entries(plan.response_headers ?? {})) res.headers.set(name, value);
  return res;
}
