// pool-client.mjs — the isolate's side of the key pool: a snapshot loaded into the core,
// refreshed from the KeyPool Durable Object when the core says it is stale (never on a
// request's path), and the core's key events, drained and reported in the background.
import { ABI, call, callRemembered } from './core.mjs';

const FLUSH_DELAY_MS = 1000;
const REPORT_TRIES = 3;
const MAX_UNSENT = 20;

let version = -1;
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

function seed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

// Loads a fresh snapshot, one load at a time per isolate; `force` loads even a version the
// isolate already has (after an admin change, so the next request sees it).
export function refreshPool(env, force = false) {
  refreshing ??= (async () => {
    try {
      const snap = await poolStub(env).snapshot(force ? -1 : version);
      if (typeof snap.text === 'string') {
        const r = callRemembered('POOL_LOAD', { SEED: seed(), NOW: Date.now(), BODY: snap.text });
        if (!r.OK) throw new Error('the core refused the pool snapshot');
      } else {
        call('POOL_LOAD', { NOW: Date.now() }); // unchanged: the snapshot is fresh again
      }
      version = snap.version;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function report(env, batch) {
  for (let attempt = 0; attempt < REPORT_TRIES; attempt++) {
    try {
      return await poolStub(env).report(batch.id, batch.events);
    } catch (err) {
      console.warn(`key report failed (try ${attempt + 1}): ${err?.message ?? err}`);
      await delay(250 * 2 ** attempt);
    }
  }
  return null;
}

async function flush(env) {
  await delay(FLUSH_DELAY_MS);
  flushing = null;
  const events = JSON.parse(new TextDecoder().decode(call('EVENTS', { NOW: Date.now() }).BODY));
  const batches = unsent;
  unsent = [];
  if (events.length) batches.push({ id: crypto.randomUUID(), events });
  let newest = null;
  for (const batch of batches) {
    const r = await report(env, batch);
    // The batch id makes a batch that did arrive but whose answer was lost count once.
    if (r) newest = r.version;
    else unsent.push(batch);
  }
  if (unsent.length > MAX_UNSENT) unsent.splice(0, unsent.length - MAX_UNSENT);
  if (newest !== null && newest !== version) await refreshPool(env);
}

// What the core asks for after an action: its key events reported soon (EVENTS_PENDING), the
// pool snapshot refreshed (POOL_STALE); both in the background.
export function housekeeping(flags, env, ctx) {
  if (flags & ABI.flag.EVENTS_PENDING) {
    flushing ??= flush(env);
    ctx.waitUntil(flushing);
  }
  if (flags & ABI.flag.POOL_STALE && !refreshing) {
    ctx.waitUntil(refreshPool(env).catch((err) => console.warn(`pool refresh failed: ${err?.message ?? err}`)));
  }
}

// Resolves when the events queued so far have been reported (or given up on).
export async function flushEvents() {
  if (flushing) await flushing;
}
