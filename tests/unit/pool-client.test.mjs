// The isolate's side of the key pool when the Durable Object is slow or down: requests keep
// being served from the snapshot, and key events reach the object once it is back, each
// counted once. Runs with scripts/wasm-loader.mjs (npm test passes it to node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI, call } from '../../worker-shim/core.mjs';
import { flushEvents, housekeeping, refreshPool } from '../../worker-shim/pool-client.mjs';
import { configure, servedRequest } from './core-driver.mjs';

const KEYS = ['AIzaSy' + 'a'.repeat(33), 'AIzaSy' + 'b'.repeat(33)];

class FakePool {
  constructor() {
    this.version = 1;
    this.down = false;
    this.slowMs = 0;
    this.batches = new Map();
    this.reports = 0;
    this.pulls = 0;
  }
  async pull(since) {
    this.pulls++;
    await new Promise((r) => setTimeout(r, this.slowMs));
    if (this.down) throw new Error('object unavailable');
    if (since === this.version) return { version: this.version };
    const snapshot = KEYS.map((k, i) => `K ${i + 1} ${k} a`).join('\n');
    return { version: this.version, slice: { lo: 0, hi: 0 }, snapshot };
  }
  // `events` is the core's text (events.h); with pull()'s arguments the answer is pull()'s too.
  async report(batchId, events, ...pull) {
    this.reports++;
    if (this.down) throw new Error('object unavailable');
    const duplicate = this.batches.has(batchId);
    if (!duplicate) this.batches.set(batchId, JSON.parse(events));
    return { ...(pull.length ? await this.pull(...pull) : { version: this.version }), duplicate };
  }
  requests() {
    return [...this.batches.values()].flatMap((b) => b.keys).reduce((n, k) => n + k.requests, 0);
  }
}

function harness() {
  const pool = new FakePool();
  const env = { KEY_POOL: { idFromName: () => 'pool', get: () => pool } };
  const pending = [];
  const ctx = { waitUntil: (p) => pending.push(Promise.resolve(p).catch(() => {})) };
  return { pool, env, ctx, settle: () => Promise.all(pending.splice(0)) };
}

test('a slow or failing Durable Object never holds up requests once a snapshot is loaded', async () => {
  configure();
  const { pool, env, ctx, settle } = harness();
  await refreshPool(env);
  const t0 = Date.now();
  assert.ok(servedRequest(t0), 'keys from the first snapshot');

  // Six seconds later (as the core sees time) the snapshot is stale: the core says so, and
  // the refresh runs in the background while the request is served from the old snapshot.
  pool.slowMs = 3000;
  const later = t0 + 6000;
  assert.ok(servedRequest(later));
  const started = Date.now();
  housekeeping(ABI.flag.POOL_STALE, env, ctx);
  assert.ok(Date.now() - started < 100, 'the refresh does not hold up the request');
  assert.equal(pool.pulls, 2);
  await settle();

  pool.slowMs = 0;
  pool.down = true;
  housekeeping(ABI.flag.POOL_STALE, env, ctx);
  await settle(); // the background refresh fails quietly
  assert.ok(servedRequest(later + 6000), 'still served from the last snapshot while the object is down');
  await flushEvents();
});

test('events recorded while the object is down arrive once it is back, each once', async () => {
  configure();
  call('EVENTS', {}); // what earlier tests left in this isolate's core
  const { pool, env, ctx, settle } = harness();
  await refreshPool(env);
  pool.down = true;
  for (let i = 0; i < 5; i++) servedRequest();
  housekeeping(ABI.flag.EVENTS_PENDING, env, ctx);
  await settle();
  assert.equal(pool.requests(), 0);
  assert.ok(pool.reports >= 3, 'the report was tried again before giving up for now');

  pool.down = false;
  for (let i = 0; i < 3; i++) servedRequest();
  housekeeping(ABI.flag.EVENTS_PENDING, env, ctx);
  await settle();
  await flushEvents();
  assert.equal(pool.requests(), 8, 'every use counted once');
});
