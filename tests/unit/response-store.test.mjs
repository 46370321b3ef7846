// The stored Responses API answers in the KeyPool Durable Object (response-store.mjs), through
// its RPC methods on a real Durable Object in Miniflare: per-owner isolation, chains loaded in
// one call, records larger than one SQLite value, deletion, and the alarm's cleaning.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startWorker } from '../helpers/worker.mjs';
import { tables } from '../../worker-shim/core.mjs';

// The limits the object applies are the core's (BAL_POLICIES).
const { RESPONSE_MAX_BYTES: MAX_RECORD_BYTES, RESPONSE_TTL_MS } = tables().policy;

const ALICE = 'a'.repeat(64);
const BOB = 'b'.repeat(64);
const decode = (bytes) => JSON.parse(new TextDecoder().decode(bytes));
// RPC results arrive as proxies: compare their data.
const plain = async (result) => JSON.parse(JSON.stringify(await result));

function record(id, previous = null, filler = '') {
  return JSON.stringify({ v: 1, id, previous_response_id: previous, created_at: 1, key_id: null, input: [{ filler }], response: { output: [] } });
}

async function withPool(fn) {
  const worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', adminToken: 'admin', authTokens: ['t'] });
  try {
    const ns = await worker.mf.getDurableObjectNamespace('KEY_POOL');
    await fn(ns.get(ns.idFromName('pool')));
  } finally {
    await worker.dispose();
  }
}

test('response store: owners, chains, large records, deletion and stats', async () => {
  await withPool(async (pool) => {
    const a = 'resp_aaaaaaaaaaaaaaaa';
    const b = 'resp_bbbbbbbbbbbbbbbb';
    const big = 'x'.repeat(3 * 1024 * 1024 + 17); // past one SQLite value: stored in chunks
    assert.deepEqual(await plain(pool.responsePut(ALICE, { id: a, created_ms: 1000, body: record(a, null, big) })), { stored: true });
    assert.deepEqual(await plain(pool.responsePut(ALICE, { id: b, previous_id: a, created_ms: 2000, body: record(b, a) })), {
      stored: true,
    });

    // One call loads the chain, newest id first as asked, each record once.
    const chain = decode(await pool.responseLoad(ALICE, [b, a]));
    assert.deepEqual(chain.map((r) => r.id).sort(), [a, b]);
    assert.equal(chain.find((r) => r.id === a).input[0].filler.length, big.length);

    // Another token sees nothing, cannot overwrite, cannot delete.
    assert.deepEqual(decode(await pool.responseLoad(BOB, [b])), []);
    assert.deepEqual(decode(await pool.responseGet(BOB, a)), []);
    assert.deepEqual(await plain(pool.responsePut(BOB, { id: a, created_ms: 1, body: record(a) })), {
      stored: false,
      reason: 'foreign_id',
    });
    assert.equal(await pool.responseDelete(BOB, a), false);
    assert.equal(decode(await pool.responseGet(ALICE, a))[0].id, a);

    const stats = await plain(pool.responseStats());
    assert.equal(stats.count, 2);
    assert.ok(stats.bytes > big.length);

    assert.equal(await pool.responseDelete(ALICE, a), true);
    assert.equal(await pool.responseDelete(ALICE, a), false);
    // A chain with a missing link stops there: the core answers "not found" for it.
    assert.deepEqual(decode(await pool.responseLoad(ALICE, [b])).map((r) => r.id), [b]);

    assert.deepEqual(await plain(pool.responsePut(ALICE, { id: 'resp_cccccccccccccccc', created_ms: 1, body: 'y'.repeat(MAX_RECORD_BYTES + 1) })), {
      stored: false,
      reason: 'too_large',
    });
  });
});

test('response store: cleaning deletes expired records only', async () => {
  await withPool(async (pool) => {
    const id = 'resp_dddddddddddddddd';
    await pool.responsePut(ALICE, { id, created_ms: 1, body: record(id) });
    assert.equal((await plain(pool.responseClean())).deleted, 0);
    // The alarm's work, judged as it would be once the record has expired.
    const cleaned = await plain(pool.responseClean(Date.now() + RESPONSE_TTL_MS + 1000));
    assert.equal(cleaned.deleted, 1);
    assert.equal(cleaned.count, 0);
    assert.deepEqual(decode(await pool.responseGet(ALICE, id)), []);
  });
});
