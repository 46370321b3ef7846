// pool-client.mjs — the isolate's side of the key pool: a snapshot loaded into the core,
// refreshed from the KeyPool Durable Object every few seconds (never per request), and key
// events batched and reported in the background with ctx.waitUntil.
import { OP, callRemembered } from './core.mjs';

const REFRESH_MS = 5000;
const FLUSH_DELAY_MS = 1000;
const REPORT_TRIES = 3;
const MAX_QUEUE = 5000;
const MAX_UNSENT = 20;

let version = -1;
let loadedAt = 0;
let refreshing = null;
let queue = [];
let flushing = null;

export function poolStub(env) {
  return env.KEY_POOL.get(env.KEY_POOL.idFromName('pool'));
}

function seed() {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

// Loads a fresh snapshot (one at a time per isolate).
export function refreshPool(env) {
  refreshing ??= (async () => {
    try {
      const snap = await poolStub(env).snapshot(version);
      if (typeof snap.text === 'string') {
        const r = callRemembered(OP.POOL_LOAD, { seed: seed() }, snap.text);
        if (!r.header.ok) throw new Error('the core refused the pool snapshot');
      }
      version = snap.version;
      loadedAt = Date.now();
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

// Makes sure a snapshot is loaded; a stale one is refreshed in the background and used
// meanwhile, so a slow Durable Object does not hold up requests.
export async function ensurePool(env, ctx) {
  if (version < 0) {
    await refreshPool(env);
    return;
  }
  if (Date.now() - loadedAt > REFRESH_MS) {
    ctx.waitUntil(refreshPool(env).catch((err) => console.warn(`pool refresh failed: ${err?.message ?? err}`)));
  }
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let unsent = []; // batches whose report failed: retried later under the same batch id

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
  const batches = unsent;
  if (queue.length) batches.push({ id: crypto.randomUUID(), events: queue });
  queue = [];
  unsent = [];
  flushing = null;
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

// Queues a key event: { id, model, outcome, action, until_ms, all_models, prompt_tokens,
// completion_tokens, error, at_ms }.
export function recordEvent(env, ctx, event) {
  queue.push(event);
  if (queue.length > MAX_QUEUE) queue.splice(0, queue.length - MAX_QUEUE);
  flushing ??= flush(env);
  ctx.waitUntil(flushing);
}

// Resolves when the events queued so far have been reported (or given up on).
export async function flushEvents() {
  if (flushing) await flushing;
}
