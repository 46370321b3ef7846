// The isolate's side of the key pool when the Durable Object is slow or down: requests keep
// being served from the snapshot, and key events reach the object once it is back, each
// counted once. Runs with scripts/wasm-loader.mjs (npm test passes it to node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OP, call } from '../../worker-shim/core.mjs';
import { ensurePool, flushEvents, recordEvent } from '../../worker-shim/pool-client.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const KEYS = ['AIzaSy' + 'a'.repeat(33), 'AIzaSy' + 'b'.repeat(33)];

class FakePool {
  constructor() {
    this.version = 1;
    this.down = false;
    this.slowMs = 0;
    this.batches = new Map();
    this.reports = 0;
  }
  async snapshot(since) {
    await sleep(this.slowMs);
    if (this.down) throw new Error('object unavailable');
    if (since === this.version) return { version: this.version };
    return { version: this.version, text: KEYS.map((k, i) => `K ${i + 1} ${k} a`).join('\n') };
  }
  async report(batchId, events) {
    this.reports++;
    if (this.down) throw new Error('object unavailable');
    const duplicate = this.batches.has(batchId);
    if (!duplicate) this.batches.set(batchId, events);
    return { version: this.version, duplicate };
  }
  events() {
    return [...this.batches.values()].flat();
  }
}

function harness() {
  const pool = new FakePool();
  const env = { KEY_POOL: { idFromName: () => 'pool', get: () => pool } };
  const pending = [];
  const ctx = { waitUntil: (p) => pending.push(Promise.resolve(p).catch(() => {})) };
  return { pool, env, ctx, settle: () => Promise.all(pending.splice(0)) };
}

const pick = () => call(OP.SELECT, { model: 'm', now_ms: Date.now(), exclude: [] }).header.id;
const event = (n) => ({ id: 1, model: 'm', outcome: 'ok', action: 'none', at_ms: n });

test('a slow or failing Durable Object never holds up requests once a snapshot is loaded', async () => {
  const { pool, env, ctx, settle } = harness();
  await ensurePool(env, ctx);
  assert.ok(pick(), 'keys from the first snapshot');

  await sleep(5200); // the snapshot is now stale
  pool.slowMs = 3000;
  let started = Date.now();
  await ensurePool(env, ctx);
  assert.ok(Date.now() - started < 100, 'a stale snapshot is refreshed in the background');
  assert.ok(pick());

  pool.slowMs = 0;
  pool.down = true;
  await settle();
  await sleep(5200);
  started = Date.now();
  await ensurePool(env, ctx);
  assert.ok(Date.now() - started < 100);
  await settle(); // the background refresh fails quietly
  assert.ok(pick(), 'still served from the last snapshot while the object is down');
});

test('events recorded while the object is down arrive once it is back, each once', async () => {
  const { pool, env, ctx, settle } = harness();
  await ensurePool(env, ctx);
  pool.down = true;
  for (let i = 0; i < 5; i++) recordEvent(env, ctx, event(i));
  await settle();
  assert.equal(pool.events().length, 0);
  assert.ok(pool.reports >= 3, 'the report was tried again before giving up for now');

  pool.down = false;
  for (let i = 5; i < 8; i++) recordEvent(env, ctx, event(i));
  await settle();
  await flushEvents();
  const got = pool.events().map((e) => e.at_ms).sort((a, b) => a - b);
  assert.deepEqual(got, [0, 1, 2, 3, 4, 5, 6, 7]);
});
