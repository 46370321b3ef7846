// The KeyPool object hands isolates slices of the pool and keeps them current by change: the
// slices handed out in turn reach every enabled key, an isolate gets only its slice's changes,
// and one that applies them holds (and picks) what a fresh snapshot gives. The object's RPC
// methods are called directly, as pool-client.mjs calls them; the pool they send is loaded
// into the real core.wasm. Runs with scripts/wasm-loader.mjs (npm test passes it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call, tables } from '../../worker-shim/core.mjs';
import { startWorker } from '../helpers/worker.mjs';
import { CLIENT, configure, fetchTask, headerValue, open, pickKey } from '../unit/core-driver.mjs';

const { SLICE_KEYS } = tables().policy;

const KEYS = 300;
const key = (i) => `AIzaSy${String(i).padStart(33, 'k')}`;
const idOf = (k) => (k ? Number(k.slice(6).replace(/^k+/, '')) : null);
// RPC answers are proxies that die with their Miniflare: compared and kept as plain data.
const plain = (x) => JSON.parse(JSON.stringify(x));
const ids = (text) => [...text.matchAll(/^K (\d+) /gm)].map((m) => Number(m[1]));

async function withPool(fn, persistDir = null) {
  const worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', adminToken: 'a', authTokens: 'c', persistDir });
  try {
    const ns = await worker.mf.getDurableObjectNamespace('KEY_POOL');
    await fn(ns.get(ns.idFromName('pool')));
  } finally {
    await worker.dispose();
  }
}

async function seedPool(pool) {
  const keys = Array.from({ length: KEYS }, (_, i) => key(i + 1));
  await pool.addKeys(keys, keys.map((k) => k.slice(-4)));
  await pool.setDisabled([3, 50, 51, 52, 200], true);
}

// What requests get from the core's pool: the keys a full turn picks, for two models.
function picks() {
  return ['gemini-2.5-flash', 'gemini-2.5-pro'].map((model) => {
    const ids = new Set();
    for (let i = 0; i < 2 * SLICE_KEYS; i++) ids.add(idOf(pickKey(model)));
    return [...ids].sort((a, b) => a - b);
  });
}

const load = (r, seed) => call('POOL_LOAD', { SEED: seed, VERSION: r.version, NOW: Date.now(), BODY: r.snapshot });

test('slices handed out in turn reach every enabled key, and never a disabled one', async () => {
  await withPool(async (pool) => {
    await seedPool(pool);
    const seen = new Set();
    let r = await pool.pull(-1, null, false);
    for (let n = 0; n < Math.ceil(KEYS / SLICE_KEYS) + 1; n++) {
      const held = ids(r.snapshot ?? r.changes);
      assert.equal(held.length, SLICE_KEYS, 'a full slice');
      for (const id of held) seen.add(id);
      r = await pool.pull(r.version, r.slice, true);
    }
    const enabled = Array.from({ length: KEYS }, (_, i) => i + 1).filter((id) => ![3, 50, 51, 52, 200].includes(id));
    assert.deepEqual([...seen].sort((a, b) => a - b), enabled);
  });
});

test('an isolate gets its slice changes only, and applying them gives what a snapshot gives', async () => {
  await withPool(async (pool) => {
    await seedPool(pool);
    const mine = await pool.pull(-1, null, false);
    const other = await pool.pull(-1, null, false);
    const inMine = ids(mine.snapshot);
    const inOther = ids(other.snapshot).filter((id) => !inMine.includes(id));
    configure();
    let info = load(mine, 1);
    assert.ok(info.OK);
    assert.equal(info.MEMBERS, SLICE_KEYS);

    const now = Date.now();
    // Rows as an isolate's core merges its key events (events.h).
    const cool = (id, scope, until, reason) => ({ id, scope, until_ms: now + until, reason });
    await pool.report(
      'b1',
      JSON.stringify({
        cooldowns: [
          cool(inMine[0], 'gemini-2.5-flash', 60000, 'quota_minute'),
          cool(inMine[1], '*', 60000, 'quota_other'),
          cool(inOther[0], 'gemini-2.5-flash', 600000, 'quota_day'),
        ],
        disables: [
          { id: inOther[1], reason: 'key_invalid', at_ms: now },
          { id: inMine[2], reason: 'key_leaked', at_ms: now },
        ],
        created: [{ id: inOther[2], resource: 'files/abc-1', at_ms: now }],
      }),
    );
    await pool.setDisabled([inMine[3]], true);
    await pool.deleteKeys([inMine[4]]);
    await pool.setDisabled([3], false);
    const added = await pool.addKeys([key(KEYS + 1)], ['x']);
    assert.equal(added.added, 1);

    const r = await pool.pull(mine.version, mine.slice, false);
    assert.equal(r.slice, undefined, 'the same slice, kept current');
    assert.match(r.changes, new RegExp(`^C ${inMine[0]} gemini-2.5-flash \\d+$`, 'm'));
    assert.match(r.changes, new RegExp(`^C ${inMine[1]} \\* \\d+$`, 'm'), 'the core said: every model');
    assert.doesNotMatch(r.changes, new RegExp(`^C ${inOther[0]} `, 'm'), "another slice's cooldown");
    assert.match(r.changes, new RegExp(`^D ${inOther[1]}$`, 'm'), 'a dead key is news to every isolate');
    assert.match(r.changes, new RegExp(`^P ${inOther[2]} \\S+ a\\nA ${inOther[2]} files/abc-1$`, 'm'));
    assert.match(r.changes, new RegExp(`^R ${inMine[4]}$`, 'm'));
    assert.match(r.changes, /^T 300$/m);
    assert.ok(r.changes.length < 2000, `${r.changes.length} characters of changes`);

    info = call('POOL_APPLY', { FROM: mine.version, TO: r.version, NOW: Date.now(), BODY: r.changes });
    assert.ok(info.OK);
    const applied = picks();
    const fresh = await pool.pull(0, mine.slice, false); // behind what the log holds: a snapshot
    assert.equal(typeof fresh.snapshot, 'string');
    assert.deepEqual(plain(fresh.slice), plain(mine.slice));
    assert.ok(load(fresh, 7).OK);
    assert.deepEqual(applied, picks());
    const [flash, pro] = applied;
    assert.ok(pro.length >= SLICE_KEYS - 4, `${pro.length} keys in turn`);
    for (const id of inMine.slice(1, 5)) assert.ok(!flash.includes(id) && !pro.includes(id));
    assert.ok(!flash.includes(inMine[0]) && pro.includes(inMine[0]), 'cooling for flash only');
    // A request naming the file goes to the key that created it, outside this slice.
    const req = open('GET', '/v1beta/files/abc-1', { 'x-goog-api-key': CLIENT });
    assert.equal(idOf(headerValue(fetchTask(req.action).HEADERS, 'x-goog-api-key')), inOther[2]);
    req.close();

    assert.deepEqual(plain(await pool.pull(r.version, mine.slice, false)), { version: r.version }, 'nothing new');
  });
});

test('an object that restarts keeps its version and sends a snapshot to isolates behind it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'balancer-slices-'));
  try {
    let before;
    await withPool(async (pool) => {
      await seedPool(pool);
      before = plain(await pool.pull(-1, null, false));
    }, dir);
    await withPool(async (pool) => {
      const r = await pool.pull(before.version - 1, before.slice, false);
      assert.equal(r.version, before.version, 'versions survive');
      assert.equal(typeof r.snapshot, 'string', 'the new log cannot say what changed before it');
      assert.deepEqual(ids(r.snapshot), ids(before.snapshot));
      assert.deepEqual(plain(await pool.pull(before.version, before.slice, false)), { version: before.version });
      await pool.setDisabled([ids(before.snapshot)[0]], true);
      const next = await pool.pull(before.version, before.slice, false);
      assert.ok(next.version > before.version);
      assert.equal(next.changes, `D ${ids(before.snapshot)[0]}\n`);
    }, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
