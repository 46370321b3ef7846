// pool-client.mjs — the isolate's side of the key pool: a slice of it in the core, kept
// current by the changes the KeyPool Durable Object sends (pull), one pull at a time and,
// once loaded, never on a request's path unless the core asks for one (a POOL task); the
// core's key events, drained and reported in the background, each report carrying the pull
// the core says is due (the flags of cpp/abi/balancer.h).
import { ABI, call, callRemembered } from './core.mjs';

const decoder = new TextDecoder();

let version = -1; // the core's pool version; -1 until it holds one the object can build on
let slice = null; // { lo, hi }: the ids this isolate holds (lo === hi: every key)
let refreshing = null;
let flushing = null;
let unsent = []; // batches whose report failed: retried later under the same batch id

export function poolStub(env) {
  return env.KEY_POOL.get(env.KEY_POOL.idFromName('pool'));
}

// Carries out a CALL task on the key pool object: { OK, RESULT (JSON) or BODY (bytes) }.
// A task's BODY bytes are the `body` field of its last argument.
export async function callPool(env, task) {
  const args = JSON.parse(task.ARGS);
  if (task.BODY && args.length) args[args.length - 1].body = task.BODY;
  try {
    const r = await poolStub(env)[task.NAME](...args);
    return r instanceof Uint8Array ? { OK: 1, BODY: r } : { OK: 1, RESULT: JSON.stringify(r ?? null) };
  } catch (err) {
    console.warn(`key pool call ${task.NAME} failed: ${err?.message ?? err}`);
    return { OK: 0 };
  }
}

// Applies what the object sent: a snapshot (kept by the core across a restart), the changes
// since this isolate's version, or nothing new (the pool is fresh again); then the key a
// request asked for, if any.
function apply(r) {
  const NOW = Date.now();
  let info;
  if (typeof r.snapshot === 'string') {
    const SEED = crypto.getRandomValues(new Uint32Array(1))[0];
    info = callRemembered('POOL_LOAD', { SEED, VERSION: r.version, NOW, BODY: r.snapshot });
    if (!info.OK) throw new Error('the core refused the pool snapshot');
  } else if (typeof r.changes === 'string') {
    info = call('POOL_APPLY', { FROM: version, TO: r.version, NOW, FLAGS: ABI.flag.KEEP_UNUSED, BODY: r.changes });
  } else {
    info = call('POOL_LOAD', { NOW });
  }
  // A core rebuilt since holds its last snapshot's version; one that holds none refuses.
  version = info.OK ? info.VERSION : -1;
  if (r.slice) slice = r.slice;
  if (r.key && info.OK) call('POOL_APPLY', { FROM: version, TO: version, NOW, BODY: r.key });
}

// One call at a time brings the pool up to date: `ask(stub, since, slice, next)` makes it (a
// pull, or a report that carries one); POOL_NEXT in `flags` asks for the next slice.
function load(env, ask, flags) {
  refreshing ??= (async () => {
    try {
      apply(await ask(poolStub(env), version, slice, (flags & ABI.flag.POOL_NEXT) !== 0));
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// Brings the pool up to date now, with key `want` too when the core needs it outside the
// slice; with POOL_STALE or POOL_NEXT in `flags` (a POOL task's), after the refresh under
// way, if any, since that one may predate what the core needs.
export async function refreshPool(env, flags = 0, want = 0) {
  if (refreshing && flags & (ABI.flag.POOL_STALE | ABI.flag.POOL_NEXT)) await refreshing.catch(() => {});
  return load(env, (stub, ...pull) => stub.pull(...pull, want), flags);
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Reports a batch; with POOL_STALE in `flags` the report brings the pool up to date too.
async function report(env, batch, flags) {
  const { REPORT_TRIES, REPORT_RETRY_MS } = ABI.policy;
  for (let attempt = 0; attempt < REPORT_TRIES; attempt++) {
    try {
      if (refreshing || !(flags & ABI.flag.POOL_STALE)) return await poolStub(env).report(batch.id, batch.events);
      await load(env, (stub, ...pull) => stub.report(batch.id, batch.events, ...pull), flags);
      return true;
    } catch (err) {
      console.warn(`key report failed (try ${attempt + 1}): ${err?.message ?? err}`);
      if (attempt + 1 < REPORT_TRIES) await delay(REPORT_RETRY_MS * 2 ** attempt);
    }
  }
  return null;
}

async function flush(env) {
  await delay(ABI.policy.REPORT_DELAY_MS);
  flushing = null;
  const out = call('EVENTS', { NOW: Date.now() });
  const batches = unsent;
  unsent = [];
  if (out.BODY) batches.push({ id: crypto.randomUUID(), events: decoder.decode(out.BODY) });
  let pull = out.FLAGS & ABI.flag.POOL_STALE ? out.FLAGS : 0;
  for (const batch of batches) {
    // The batch id makes a batch that did arrive but whose answer was lost count once.
    if (await report(env, batch, pull)) pull = 0;
    else unsent.push(batch);
  }
  const { REPORT_BACKLOG } = ABI.policy;
  if (unsent.length > REPORT_BACKLOG) unsent.splice(0, unsent.length - REPORT_BACKLOG);
  if (pull) await refreshPool(env, pull);
}

// What the core asks for after an action: its key events reported soon (EVENTS_PENDING), the
// pool brought up to date (POOL_STALE; POOL_NEXT: with the next slice), in the background; a
// report on its way carries the pull.
export function housekeeping(flags, env, ctx) {
  const warn = (err) => console.warn(`pool refresh failed: ${err?.message ?? err}`);
  if (flags & ABI.flag.EVENTS_PENDING) {
    // The request that starts a flush keeps it alive; the ones it also reports need not.
    if (!flushing) ctx.waitUntil((flushing = flush(env).catch(warn)));
  } else if (flags & ABI.flag.POOL_STALE && !refreshing && !flushing) {
    ctx.waitUntil(refreshPool(env, flags & ABI.flag.POOL_NEXT).catch(warn));
  }
}

// Resolves when the events queued so far have been reported (or given up on).
export async function flushEvents() {
  if (flushing) await flushing;
}
