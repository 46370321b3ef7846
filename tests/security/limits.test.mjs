// The Worker's limits end to end: wrong admin tokens lock a client address out for a
// while, RATE_LIMIT_PER_MINUTE limits each client token, and CORS_ORIGINS narrows which
// browser origins may read the proxy routes' answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN,
  CLIENT,
  CLIENT2,
  assertFamilyError,
  generateBody,
  nextAddress,
  randomKey,
  request,
  setup,
} from './support.mjs';

const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';

function login(env, token, address) {
  return request(`${env.url}/api/session`, {
    method: 'POST',
    headers: { 'cf-connecting-ip': address, 'content-type': 'application/json' },
    body: JSON.stringify({ token }),
  });
}

test('ten wrong admin tokens from one address: 429 with Retry-After, even for the right token', async () => {
  const env = await setup();
  try {
    const attacker = nextAddress();
    const started = Date.now();
    for (let i = 0; i < 10; i++) {
      // Logins and admin bearers count alike.
      const res =
        i % 2
          ? await login(env, `guess-${i}`, attacker)
          : await request(`${env.url}/api/keys`, { headers: { authorization: `Bearer guess-${i}`, 'cf-connecting-ip': attacker } });
      assert.equal(res.status, 401, `attempt ${i + 1}`);
    }
    // The bucket earns one attempt back every 6 s: only a slow machine gets one more 401.
    let locked = await login(env, 'guess-10', attacker);
    if (Date.now() - started > 5000 && locked.status === 401) locked = await login(env, 'guess-11', attacker);
    assert.equal(locked.status, 429);
    assertFamilyError('admin', 429, locked.text, 'locked');
    assert.equal(JSON.parse(locked.text).error.code, 'too_many_failures');
    const retry = Number(locked.headers.get('retry-after'));
    assert.ok(retry > 240 && retry <= 300, `retry-after ${retry}`);

    const right = await login(env, ADMIN, attacker);
    assert.equal(right.status, 429, 'the right token is refused too, or guessing would go on');
    assert.equal(right.headers.get('set-cookie'), null);
    const bearer = await request(`${env.url}/api/keys`, { headers: { authorization: `Bearer ${ADMIN}`, 'cf-connecting-ip': attacker } });
    assert.equal(bearer.status, 429);

    // Another address is not affected, and its session works from the locked address.
    const ok = await login(env, ADMIN, nextAddress());
    assert.equal(ok.status, 200);
    const cookie = ok.headers.get('set-cookie').split(';')[0];
    const withCookie = await request(`${env.url}/api/keys`, { headers: { cookie, 'cf-connecting-ip': attacker } });
    assert.equal(withCookie.status, 200);
  } finally {
    await env.close();
  }
});

test('requests without credentials (the UI asking whether it is logged in) never lock anyone out', async () => {
  const env = await setup();
  try {
    const address = nextAddress();
    for (let i = 0; i < 30; i++) {
      const res = await request(`${env.url}/api/session`, { headers: { 'cf-connecting-ip': address } });
      assert.equal(res.status, 401);
    }
    assert.equal((await login(env, ADMIN, address)).status, 200);
  } finally {
    await env.close();
  }
});

test('RATE_LIMIT_PER_MINUTE: each client token gets its budget, then 429 with Retry-After in its family format', async () => {
  const env = await setup({ keys: [randomKey()], workerOptions: { vars: { RATE_LIMIT_PER_MINUTE: '3' } } });
  try {
    const native = (token) =>
      request(`${env.url}${GENERATE}`, { method: 'POST', headers: { 'x-goog-api-key': token }, body: generateBody() });
    for (let i = 0; i < 3; i++) assert.equal((await native(CLIENT)).status, 200);
    const limited = await native(CLIENT);
    assert.equal(limited.status, 429);
    assertFamilyError('gemini', 429, limited.text, 'native');
    const retry = Number(limited.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 20, `retry-after ${retry}`);
    assert.equal(limited.headers.get('access-control-allow-origin'), '*');

    const openai = await request(`${env.url}/v1/models`, { headers: { authorization: `Bearer ${CLIENT}` } });
    assert.equal(openai.status, 429);
    assertFamilyError('openai', 429, openai.text, 'openai');
    assert.equal(JSON.parse(openai.text).error.type, 'rate_limit_error');

    // The other token is a different client; refusals never reached Gemini.
    assert.equal((await native(CLIENT2)).status, 200);
    assert.equal(env.mock.requests.length, 4);
  } finally {
    await env.close();
  }
});

test('no RATE_LIMIT_PER_MINUTE: no per-token limit', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    for (let i = 0; i < 40; i++) {
      const res = await request(`${env.url}/v1beta/models/gemini-2.5-flash`, { headers: { 'x-goog-api-key': CLIENT } });
      assert.equal(res.status, 200);
    }
  } finally {
    await env.close();
  }
});

test('CORS_ORIGINS: a listed origin is reflected with vary: origin; others get no CORS headers', async () => {
  const allowed = 'https://chat.example';
  const env = await setup({
    keys: [randomKey()],
    workerOptions: { vars: { CORS_ORIGINS: `${allowed}, http://localhost:5173` } },
  });
  try {
    const call = (origin, headers = { 'x-goog-api-key': CLIENT }) =>
      request(`${env.url}${GENERATE}`, { method: 'POST', headers: { origin, ...headers }, body: generateBody() });
    let res = await call(allowed);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('access-control-allow-origin'), allowed);
    assert.match(res.headers.get('vary') ?? '', /origin/i);
    res = await call('https://evil.example');
    assert.equal(res.status, 200, 'a server-side caller still gets its answer');
    assert.equal(res.headers.get('access-control-allow-origin'), null, 'but a browser page may not read it');
    assert.match(res.headers.get('vary') ?? '', /origin/i);
    res = await call(allowed, {});
    assert.equal(res.status, 401);
    assert.equal(res.headers.get('access-control-allow-origin'), allowed);

    const preflight = (origin) =>
      request(`${env.url}/v1/chat/completions`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    res = await preflight('http://localhost:5173');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), 'http://localhost:5173');
    assert.match(res.headers.get('access-control-allow-headers'), /authorization/);
    res = await preflight('https://evil.example');
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(res.headers.get('access-control-allow-headers'), null);

    // Admin routes never get CORS headers, whatever the origin.
    res = await request(`${env.url}/api/keys`, { headers: { origin: allowed, authorization: `Bearer ${ADMIN}` } });
    assert.equal(res.status, 200);
    for (const name of res.headers.keys()) assert.ok(!name.startsWith('access-control-'), name);
  } finally {
    await env.close();
  }
});

test('CORS default: any origin, no vary', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    const res = await request(`${env.url}${GENERATE}`, {
      method: 'POST',
      headers: { origin: 'https://anything.example', 'x-goog-api-key': CLIENT },
      body: generateBody(),
    });
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.doesNotMatch(res.headers.get('vary') ?? '', /origin/i);
  } finally {
    await env.close();
  }
});
