// An isolate's pool (worker-shim/pool-client.mjs with the real core.wasm, driven as
// worker-shim/index.mjs drives it) against the real KeyPool object: the core asks for the
// next slice once it has used half its keys, so one isolate alone reaches every key of a big
// pool; and a request that finds no usable key left in its slice waits for the next slice
// instead of failing (how often that may happen: machine_test.cpp). Runs with
// scripts/wasm-loader.mjs (npm test passes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI, call } from '../../worker-shim/core.mjs';
import { housekeeping, refreshPool } from '../../worker-shim/pool-client.mjs';
import { startWorker } from '../helpers/worker.mjs';
import { CLIENT, configure, headerValue, open } from '../unit/core-driver.mjs';

const KEYS = 300;
const key = (i) => `AIzaSy${String(i).padStart(33, 'k')}`;
const idOf = (k) => Number(k.slice(6).replace(/^k+/, ''));
const REPLY = '{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP"}]}';
const LIMITED = JSON.stringify({
  error: {
    code: 429,
    message: 'You exceeded your current quota.',
    status: 'RESOURCE_EXHAUSTED',
    details: [
      { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '60s' },
    ],
  },
});

// One generateContent request through the core: `status(id)` is Google's answer for key id;
// with `upkeep`, the pool's background upkeep runs after it. Returns the answer's status, the
// keys tried and the POOL tasks' flags, in order.
async function request(env, ctx, status, upkeep = true) {
  const A = ABI.action;
  const E = ABI.event;
  const req = open('POST', '/v1beta/models/gemini-2.5-flash:generateContent', { 'x-goog-api-key': CLIENT });
  const seen = { keys: [], pools: [] };
  let a = req.action;
  let answer = 200;
  try {
    for (;;) {
      const NOW = Date.now();
      if (a.KIND === A.READ_BODY) {
        a = req.feed({ KIND: E.BODY, BODY: '{"contents":[{"parts":[{"text":"Hi"}]}]}', NOW });
      } else if (a.KIND === A.TASKS) {
        const [task] = a.TASK;
        if (task.KIND === ABI.task.POOL) {
          seen.pools.push(task.FLAGS ?? 0);
          await refreshPool(env, task.FLAGS ?? 0);
          a = req.feed({ KIND: E.POOL_READY, SLOT: task.SLOT, OK: 1, NOW });
        } else {
          const id = idOf(headerValue(task.HEADERS, 'x-goog-api-key'));
          seen.keys.push(id);
          answer = status(id);
          a = req.feed({ KIND: E.UPSTREAM_HEAD, SLOT: task.SLOT, STATUS: answer, HEADERS: 'content-type\napplication/json\n', NOW });
        }
      } else if (a.KIND === A.READ_UPSTREAM) {
        a = req.feed({ KIND: E.UPSTREAM_BODY, SLOT: a.SLOT, BODY: answer === 200 ? REPLY : LIMITED, NOW });
      } else {
        // The events are drained here, not reported: only the pool's upkeep runs.
        if (upkeep) housekeeping((a.FLAGS ?? 0) & ~ABI.flag.EVENTS_PENDING, env, ctx);
        call('EVENTS', { NOW });
        return { status: a.STATUS, ...seen };
      }
    }
  } finally {
    req.close();
  }
}

test('one isolate sweeps a big pool slice by slice, and a dry slice is swapped at once', async () => {
  const worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', adminToken: 'a', authTokens: CLIENT });
  try {
    const ns = await worker.mf.getDurableObjectNamespace('KEY_POOL');
    const stub = ns.get(ns.idFromName('pool'));
    const keys = Array.from({ length: KEYS }, (_, i) => key(i + 1));
    await stub.addKeys(keys, keys.map((k) => k.slice(-4)));
    // The keys each pull for the next slice brought.
    const nextSlices = [];
    const spy = {
      pull: async (since, slice, next) => {
        const r = JSON.parse(JSON.stringify(await stub.pull(since, slice, next)));
        if (next) nextSlices.push(new Set([...(r.snapshot ?? r.changes).matchAll(/^K (\d+) /gm)].map((m) => Number(m[1]))));
        return r;
      },
    };
    const env = { KEY_POOL: { idFromName: () => 'pool', get: () => spy } };
    const pending = [];
    const ctx = { waitUntil: (p) => pending.push(p) };
    configure({ ADMIN_TOKEN: 'a', AUTH_TOKENS: CLIENT });

    const picked = new Map();
    for (let i = 0; i < 2 * KEYS; i++) {
      const r = await request(env, ctx, () => 200);
      assert.equal(r.status, 200, `request ${i}`);
      for (const id of r.keys) picked.set(id, (picked.get(id) ?? 0) + 1);
      await Promise.all(pending.splice(0)); // the background pull lands before the next request
    }
    assert.equal(picked.size, KEYS, 'every key was used');
    assert.ok(Math.max(...picked.values()) <= 3, `picks per key: at most ${Math.max(...picked.values())}`);
    assert.ok(nextSlices.length >= (2 * KEYS) / ABI.policy.SLICE_KEYS, `${nextSlices.length} next slices`);

    // Google limits every key this isolate holds, but not those of the next slice it gets, and
    // no background pull brings one: requests run through the keys, until one finds none left
    // and is served from a fresh slice.
    const before = nextSlices.length;
    const fresh = () => (nextSlices.length > before ? nextSlices.at(-1) : new Set());
    let swapped = null;
    for (let i = 0; i < 40 && !swapped; i++) {
      const r = await request(env, ctx, (id) => (fresh().has(id) ? 200 : 429), false);
      if (r.pools.length) swapped = r;
    }
    assert.ok(swapped, 'a request asked for a fresh slice');
    assert.deepEqual(swapped.pools, [ABI.flag.POOL_STALE | ABI.flag.POOL_NEXT]);
    assert.equal(swapped.status, 200);
    assert.ok(fresh().has(swapped.keys.at(-1)), 'served with a key of the fresh slice');
  } finally {
    await worker.dispose();
  }
});
