// The admin API against the real Worker and KeyPool Durable Object (SQLite).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startWorker } from '../helpers/worker.mjs';
import { ADMIN, CLIENT, setup, testKey } from './support.mjs';

const ADMIN_ROUTES = [
  ['GET', '/api/keys'],
  ['POST', '/api/keys'],
  ['DELETE', '/api/keys'],
  ['GET', '/api/keys/check'],
  ['POST', '/api/keys/check'],
  ['GET', '/api/keys/check/status'],
  ['POST', '/api/keys/enable'],
  ['POST', '/api/keys/disable'],
  ['GET', '/api/stats'],
];

test('admin routes refuse missing, wrong and client credentials', async () => {
  const env = await setup();
  try {
    let address = 0;
    for (const [method, path] of ADMIN_ROUTES) {
      for (const creds of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${CLIENT}` }, { 'x-goog-api-key': ADMIN }]) {
        // One address per probe: ten wrong tokens from one address lock it out (tests/security).
        const headers = { ...creds, 'cf-connecting-ip': `198.51.100.${++address}` };
        const res = await fetch(`${env.url}${path}`, { method, headers, body: method === 'GET' ? undefined : '{}' });
        assert.equal(res.status, 401, `${method} ${path} ${JSON.stringify(creds)}`);
        const body = await res.json();
        assert.equal(typeof body.error.message, 'string');
        assert.equal(body.error.code, 'unauthorized');
      }
    }
  } finally {
    await env.close();
  }
});

test('unset ADMIN_TOKEN closes the admin API with a 503 that says how to set it', async () => {
  const env = await setup({ workerOptions: { adminToken: undefined } });
  try {
    const res = await fetch(`${env.url}/api/keys`, { headers: { authorization: 'Bearer anything' } });
    assert.equal(res.status, 503);
    const body = await res.json();
    assert.equal(body.error.code, 'admin_token_unset');
    assert.match(body.error.message, /wrangler secret put ADMIN_TOKEN/);
  } finally {
    await env.close();
  }
});

test('bulk add: JSON and text, duplicates and rejects counted, keys listed masked', async () => {
  const env = await setup();
  try {
    const [a, b, c] = [testKey('adm-a'), testKey('adm-b'), testKey('adm-c')];
    let r = await env.addKeys([a, b, a, 'garbage', ` ${c} `]);
    assert.equal(r.status, 200);
    assert.deepEqual(
      { added: r.body.added, duplicates: r.body.duplicates, rejected: r.body.rejected, total: r.body.total },
      { added: 3, duplicates: 1, rejected: 1, total: 3 },
    );
    assert.deepEqual(r.body.rejected_items, ['garbage']);
    // Plain text, one per line or comma/space separated; keys already in the pool are duplicates.
    const d = testKey('adm-d');
    const res = await env.admin('/api/keys', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: `${a}\n${d}, nope ${b}` });
    r = { status: res.status, body: await res.json() };
    assert.equal(r.status, 200);
    assert.equal(r.body.added, 1);
    assert.equal(r.body.duplicates, 2);
    assert.equal(r.body.rejected, 1);
    assert.equal(r.body.total, 4);

    const list = await env.adminJson('/api/keys');
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 4);
    assert.deepEqual(list.body.counts, { total: 4, active: 4, cooling: 0, disabled: 0 });
    const text = JSON.stringify(list.body);
    for (const k of [a, b, c, d]) assert.ok(!text.includes(k), 'a full key in the listing');
    assert.deepEqual(
      list.body.keys.map((k) => k.masked),
      [a, b, c, d].map((k) => `${k.slice(0, 6)}…${k.slice(-4)}`),
    );
    for (const k of list.body.keys) {
      assert.equal(k.status, 'active');
      assert.equal(typeof k.id, 'number');
      assert.equal(k.requests, 0);
    }
  } finally {
    await env.close();
  }
});

test('bad bodies get admin-format 400s and oversized lists 413', async () => {
  const env = await setup();
  try {
    let r = await env.adminJson('/api/keys', { method: 'POST', body: '{"keys": [' });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'invalid_body');
    r = await env.adminJson('/api/keys', { method: 'DELETE', body: '{"ids": ["x"]}' });
    assert.equal(r.status, 400);
    r = await env.adminJson('/api/keys', { method: 'DELETE', body: 'not json' });
    assert.equal(r.status, 400);
    const many = Array.from({ length: 20001 }, (_, i) => `k${i}`).join('\n');
    r = await env.adminJson('/api/keys', { method: 'POST', body: many });
    assert.equal(r.status, 413);
    assert.equal(r.body.error.code, 'too_many_keys');
    r = await env.adminJson('/api/nothing');
    assert.equal(r.status, 404);
    r = await env.adminJson('/api/keys', { method: 'PUT', body: '{}' });
    assert.equal(r.status, 405);
  } finally {
    await env.close();
  }
});

test('paging, filters, search and sorting', async () => {
  const env = await setup();
  try {
    const keys = Array.from({ length: 25 }, (_, i) => testKey(`page-${i}`));
    await env.addKeys(keys);
    const page2 = await env.adminJson('/api/keys?page=2&limit=10');
    assert.equal(page2.body.total, 25);
    assert.equal(page2.body.keys.length, 10);
    assert.equal(page2.body.page, 2);
    assert.equal(page2.body.keys[0].masked, `${keys[10].slice(0, 6)}…${keys[10].slice(-4)}`);
    const last = await env.adminJson('/api/keys?page=3&limit=10');
    assert.equal(last.body.keys.length, 5);
    const desc = await env.adminJson('/api/keys?limit=1&sort=id&order=desc');
    assert.equal(desc.body.keys[0].masked.slice(-4), keys[24].slice(-4));

    const ids = page2.body.keys.slice(0, 3).map((k) => k.id);
    let r = await env.adminJson('/api/keys/disable', { method: 'POST', body: JSON.stringify({ ids }) });
    assert.deepEqual(r.body, { updated: 3 });
    const disabled = await env.adminJson('/api/keys?status=disabled');
    assert.deepEqual(disabled.body.keys.map((k) => k.id), ids);
    assert.equal(disabled.body.keys[0].disabled_reason, 'manual');
    const active = await env.adminJson('/api/keys?status=active&limit=100');
    assert.equal(active.body.total, 22);
    r = await env.adminJson('/api/keys/enable', { method: 'POST', body: JSON.stringify({ ids: [ids[0]] }) });
    assert.deepEqual(r.body, { updated: 1 });
    assert.equal((await env.adminJson('/api/keys?status=disabled')).body.total, 2);

    // Search by the masked key's last characters; the full key is never searchable.
    const target = keys[7];
    const found = await env.adminJson(`/api/keys?q=${encodeURIComponent(target.slice(-4))}`);
    assert.ok(found.body.keys.some((k) => k.masked.endsWith(target.slice(-4))));
    const hidden = await env.adminJson(`/api/keys?q=${encodeURIComponent(target.slice(10, 20))}`);
    assert.equal(hidden.body.total, 0);
  } finally {
    await env.close();
  }
});

test('delete by ids and by keys', async () => {
  const env = await setup();
  try {
    const keys = [testKey('del-a'), testKey('del-b'), testKey('del-c')];
    await env.addKeys(keys);
    const list = await env.adminJson('/api/keys');
    let r = await env.adminJson('/api/keys', { method: 'DELETE', body: JSON.stringify({ ids: [list.body.keys[0].id, 99999] }) });
    assert.deepEqual(r.body, { deleted: 1, total: 2 });
    r = await env.adminJson('/api/keys', { method: 'DELETE', body: JSON.stringify({ keys: [keys[2]] }) });
    assert.deepEqual(r.body, { deleted: 1, total: 1 });
    const left = await env.adminJson('/api/keys');
    assert.equal(left.body.keys[0].masked.slice(-4), keys[1].slice(-4));
  } finally {
    await env.close();
  }
});

test('the check disables only dead keys and counts every class', async () => {
  const keys = {
    good: testKey('chk-good'),
    good2: testKey('chk-good2'),
    invalid: testKey('chk-invalid'),
    leaked: testKey('chk-leaked'),
    suspended: testKey('chk-suspended'),
    blocked: testKey('chk-blocked'),
    overloaded: testKey('chk-server'),
  };
  const env = await setup({
    mockOptions: {
      keys: {
        [keys.invalid]: 'invalid',
        [keys.leaked]: 'leaked',
        [keys.suspended]: 'suspended',
        [keys.blocked]: 'blocked',
        [keys.overloaded]: 'server_error',
      },
    },
  });
  try {
    await env.addKeys(Object.values(keys));
    const r = await env.adminJson('/api/keys/check');
    assert.equal(r.status, 200);
    assert.equal(r.body.running, false);
    assert.equal(r.body.total, 7);
    assert.equal(r.body.checked, 7);
    assert.equal(r.body.summary.ok, 2);
    assert.equal(r.body.summary.dead, 4);
    assert.equal(r.body.summary.error, 1);
    assert.deepEqual(r.body.summary.by_class, {
      ok: 2,
      key_invalid: 1,
      key_leaked: 1,
      key_suspended: 1,
      key_blocked: 1,
      server_error: 1,
    });
    // Only free calls were used to probe, at the configured upstream, with the key in its
    // header only and a body the mock took as a countTokens request.
    const probes = env.mock.requests.filter((q) => q.key && Object.values(keys).includes(q.key));
    assert.ok(probes.length >= 7);
    for (const q of probes) {
      assert.equal(q.method, 'POST');
      assert.equal(q.action, 'countTokens');
      // Not a model Google has retired (gemini-2.5-flash and -pro, 1 December 2026).
      assert.doesNotMatch(q.model, /^gemini-2\.5-(flash|pro)$/);
      assert.ok(!q.url.includes(q.key), 'the key is not in the URL');
      assert.ok(Array.isArray(q.json().contents), 'the body has contents');
    }

    const list = await env.adminJson('/api/keys?limit=100');
    const byMask = Object.fromEntries(list.body.keys.map((k) => [k.masked.slice(-4), k]));
    const state = (k) => byMask[k.slice(-4)];
    assert.equal(state(keys.good).status, 'active');
    assert.equal(state(keys.overloaded).status, 'active');
    assert.equal(state(keys.invalid).disabled_reason, 'key_invalid');
    assert.equal(state(keys.leaked).disabled_reason, 'key_leaked');
    assert.equal(state(keys.suspended).disabled_reason, 'key_suspended');
    assert.equal(state(keys.blocked).disabled_reason, 'key_blocked');
    // The suspended key's own error text quotes the key: stored redacted.
    assert.ok(!JSON.stringify(list.body).includes(keys.suspended));

    const status = await env.adminJson('/api/keys/check/status');
    assert.equal(status.body.checked, 7);

    // A subset check by id, and a dead key that comes back to life is re-enabled.
    env.mock.setKeyBehaviour(keys.invalid, 'ok');
    const again = await env.adminJson('/api/keys/check', {
      method: 'POST',
      body: JSON.stringify({ ids: [state(keys.invalid).id] }),
    });
    assert.equal(again.body.total, 1);
    assert.equal(again.body.summary.ok, 1);
    const after = await env.adminJson(`/api/keys?status=disabled`);
    assert.equal(after.body.total, 3);
  } finally {
    await env.close();
  }
});

test('a rate-limited key is never removed by a check', async () => {
  const limited = testKey('chk-limited');
  const env = await setup({
    mockOptions: {
      keys: {
        [limited]: () => ({
          status: 429,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            error: {
              code: 429,
              message: 'Quota exceeded.',
              status: 'RESOURCE_EXHAUSTED',
              details: [
                {
                  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
                  violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }],
                },
                { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '20s' },
              ],
            },
          }),
        }),
      },
    },
  });
  try {
    await env.addKeys([limited]);
    const r = await env.adminJson('/api/keys/check');
    assert.equal(r.body.summary.rate_limited, 1);
    assert.equal(r.body.summary.dead, 0);
    const list = await env.adminJson('/api/keys');
    assert.equal(list.body.total, 1);
    assert.notEqual(list.body.keys[0].status, 'disabled');
  } finally {
    await env.close();
  }
});

test('session login sets a cookie that opens the admin API; logout clears it', async () => {
  const env = await setup();
  try {
    let res = await fetch(`${env.url}/api/session`, { method: 'POST', body: JSON.stringify({ token: 'wrong' }) });
    assert.equal(res.status, 401);
    res = await fetch(`${env.url}/api/session`, { method: 'POST', body: JSON.stringify({ token: ADMIN }) });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie');
    assert.match(cookie, /^bal_session=/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.ok(!cookie.includes(ADMIN));
    const session = cookie.split(';')[0];
    res = await fetch(`${env.url}/api/keys`, { headers: { cookie: session } });
    assert.equal(res.status, 200);
    res = await fetch(`${env.url}/api/session`, { method: 'DELETE', headers: { cookie: session } });
    assert.match(res.headers.get('set-cookie'), /Max-Age=0/);
  } finally {
    await env.close();
  }
});

test('keys survive a restart of the Worker and its Durable Object', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'balancer-persist-'));
  const key = testKey('persist');
  try {
    let worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', adminToken: ADMIN, authTokens: CLIENT, persistDir: dir });
    try {
      const res = await fetch(`${worker.url}/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ keys: [key] }),
      });
      assert.equal((await res.json()).added, 1);
    } finally {
      await worker.dispose();
    }
    worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', adminToken: ADMIN, authTokens: CLIENT, persistDir: dir });
    try {
      const res = await fetch(`${worker.url}/api/keys`, { headers: { authorization: `Bearer ${ADMIN}` } });
      const body = await res.json();
      assert.equal(body.total, 1);
      assert.equal(body.keys[0].masked, `${key.slice(0, 6)}…${key.slice(-4)}`);
    } finally {
      await worker.dispose();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('key search takes any text: long, wildcard-heavy or odd input never fails', async () => {
  const env = await setup();
  try {
    const keys = ['search-abcd', 'search-wxyz', 'search_%_x'].map((l) => testKey(l));
    await env.addKeys(keys);
    const search = async (q) => {
      const res = await env.admin(`/api/keys?q=${encodeURIComponent(q)}`);
      return { status: res.status, body: await res.json() };
    };
    for (const q of ['x'.repeat(200), '%'.repeat(60), '_'.repeat(60), '%_'.repeat(40), '\\'.repeat(70), '[*?]'.repeat(20)]) {
      const r = await search(q);
      assert.equal(r.status, 200, `${q.slice(0, 20)}…: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.total, 0);
    }
    // Ordinary searches still find keys by their masked form, in any case; wildcards are literal.
    assert.equal((await search('abcd')).body.total, 1);
    assert.equal((await search('ABCD')).body.total, 1);
    assert.equal((await search('AIzaSy')).body.total, 3);
    assert.equal((await search('%')).body.total, 0);
  } finally {
    await env.close();
  }
});
