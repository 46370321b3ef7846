// ALLOW_CLIENT_KEYS end to end: a client that brings its own well-formed Gemini key is
// passed through with that key alone. No pool key is used, nothing is recorded against the
// pool, the client's key never goes upstream in a URL, and a failure of the client's key is
// never retried on the pool's keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT, generateBody, randomKey, request, setup, sleep } from './support.mjs';

const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const STREAM = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
const CHAT = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });

async function poolUsage(env) {
  const r = await env.adminJson('/api/keys');
  return r.body.keys.map((k) => ({ requests: k.requests, failures: k.failures, status: k.status }));
}

test('ALLOW_CLIENT_KEYS: the client key is used alone, in the header only, and the pool is untouched', async () => {
  const pool = [randomKey(), randomKey()];
  const own = randomKey();
  const env = await setup({ keys: pool, workerOptions: { vars: { ALLOW_CLIENT_KEYS: 'true' } } });
  try {
    const ways = [
      [GENERATE, { 'x-goog-api-key': own }],
      [GENERATE, { authorization: `Bearer ${own}` }],
      [`${GENERATE}?key=${own}&alt=json`, {}],
      [STREAM, { 'x-goog-api-key': own }],
      ['/v1beta/models', { 'x-goog-api-key': own }],
    ];
    for (const [path, headers] of ways) {
      const method = path.startsWith('/v1beta/models?') || path === '/v1beta/models' ? 'GET' : 'POST';
      const res = await request(`${env.url}${path}`, { method, headers, body: method === 'POST' ? generateBody() : undefined });
      assert.equal(res.status, 200, `${path} ${JSON.stringify(headers)}: ${res.text.slice(0, 200)}`);
    }
    // The OpenAI routes take a client key the same way (answers depend on that translation).
    const chat = await request(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${own}`, 'content-type': 'application/json' },
      body: CHAT,
    });
    assert.notEqual(chat.status, 401);

    assert.ok(env.mock.requests.length >= ways.length);
    for (const q of env.mock.requests) {
      assert.equal(q.key, own, `${q.method} ${q.url} went upstream with another key`);
      assert.equal(q.query.get('key'), null, 'no key in the upstream URL');
      assert.equal(q.headers.authorization, undefined);
    }
    assert.deepEqual(env.mock.violations, []);
    // Events are flushed in the background about a second later: give them the time.
    await sleep(1500);
    for (const k of await poolUsage(env)) assert.deepEqual(k, { requests: 0, failures: 0, status: 'active' });
  } finally {
    await env.close();
  }
});

test('ALLOW_CLIENT_KEYS: a dead client key is answered as it is, never retried on the pool', async () => {
  const pool = [randomKey()];
  const own = randomKey();
  const env = await setup({
    keys: pool,
    workerOptions: { vars: { ALLOW_CLIENT_KEYS: 'true' } },
    mockOptions: { keys: { [own]: 'suspended' } },
  });
  try {
    const res = await request(`${env.url}${GENERATE}`, {
      method: 'POST',
      headers: { 'x-goog-api-key': own },
      body: generateBody(),
    });
    assert.equal(res.status, 403);
    assert.ok(!res.text.includes(own), 'even the client’s own key is redacted from the echo');
    assert.equal(res.headers.get('x-balancer-attempts'), '1');
    assert.deepEqual(
      env.mock.requests.map((q) => q.key),
      [own],
    );
    await sleep(1500);
    for (const k of await poolUsage(env)) assert.deepEqual(k, { requests: 0, failures: 0, status: 'active' });
  } finally {
    await env.close();
  }
});

test('ALLOW_CLIENT_KEYS: only well-formed keys; tokens still work; off means 401', async () => {
  const pool = [randomKey()];
  const on = await setup({ keys: pool, workerOptions: { vars: { ALLOW_CLIENT_KEYS: 'true' } } });
  try {
    for (const bad of [`${randomKey()}x`, randomKey().slice(0, 38), `AIza${'!'.repeat(35)}`, 'AIza']) {
      const res = await request(`${on.url}/v1beta/models`, { headers: { 'x-goog-api-key': bad } });
      assert.equal(res.status, 401, bad);
    }
    const res = await request(`${on.url}/v1beta/models`, { headers: { 'x-goog-api-key': CLIENT } });
    assert.equal(res.status, 200);
    assert.equal(on.mock.requests.at(-1).key, pool[0], 'a client token uses the pool');
  } finally {
    await on.close();
  }
  const off = await setup({ keys: pool });
  try {
    const res = await request(`${off.url}/v1beta/models`, { headers: { 'x-goog-api-key': randomKey() } });
    assert.equal(res.status, 401);
    assert.equal(off.mock.requests.length, 0);
  } finally {
    await off.close();
  }
});

test('ALLOW_CLIENT_KEYS without AUTH_TOKENS: open to client keys only', async () => {
  const own = randomKey();
  const env = await setup({ workerOptions: { authTokens: undefined, vars: { ALLOW_CLIENT_KEYS: 'true' } } });
  try {
    let res = await request(`${env.url}/v1beta/models`, { headers: { 'x-goog-api-key': own } });
    assert.equal(res.status, 200);
    res = await request(`${env.url}/v1beta/models`, { headers: { 'x-goog-api-key': 'anything' } });
    assert.equal(res.status, 401);
    res = await request(`${env.url}/v1beta/models`);
    assert.equal(res.status, 401);
    assert.deepEqual(
      env.mock.requests.map((q) => q.key),
      [own],
    );
  } finally {
    await env.close();
  }
});
