// The admin UI's session cookie: logging out ends the session at once (not when the cookie
// expires), and a change made on the strength of the cookie must come from the admin UI's
// own origin with a JSON body. API calls with the admin token as a bearer are not affected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, nextAddress, randomKey, request, setup } from './support.mjs';

async function login(env) {
  const res = await request(`${env.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextAddress(), origin: env.url },
    body: JSON.stringify({ token: ADMIN }),
  });
  assert.equal(res.status, 200, res.text);
  return res.headers.get('set-cookie').split(';')[0];
}

test('logging out ends the session: the old cookie no longer opens anything', async () => {
  const env = await setup();
  try {
    const cookie = await login(env);
    const other = await login(env);
    const get = (path, c) => request(`${env.url}${path}`, { headers: { cookie: c } });
    assert.equal((await get('/api/keys', cookie)).status, 200);
    assert.equal((await get('/api/session', cookie)).status, 200);
    const out = await request(`${env.url}/api/session`, { method: 'DELETE', headers: { cookie, origin: env.url } });
    assert.equal(out.status, 200, out.text);
    assert.match(out.headers.get('set-cookie'), /^bal_session=; .*Max-Age=0/);
    // A copy of the cookie kept elsewhere (a stolen one) is refused from now on.
    for (const path of ['/api/keys', '/api/session', '/api/stats']) {
      const res = await get(path, cookie);
      assert.equal(res.status, 401, `${path}: ${res.text}`);
      assert.equal(JSON.parse(res.text).error.code, 'unauthorized');
    }
    const write = await request(`${env.url}/api/keys`, {
      method: 'POST',
      headers: { cookie, origin: env.url, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [randomKey()] }),
    });
    assert.equal(write.status, 401);
    // Another session lives on.
    assert.equal((await get('/api/keys', other)).status, 200);
    // The cookie names its session (random), its expiry and a MAC; never the token.
    assert.match(other, /^bal_session=[0-9a-f]{32}\.\d+\.[0-9a-f]{64}$/);
    assert.equal(JSON.parse((await get('/api/keys', other)).text).total, 0, 'the refused write added nothing');
  } finally {
    await env.close();
  }
});

test('cookie-authenticated writes from another origin, or without a JSON body, are refused', async () => {
  const env = await setup();
  try {
    const cookie = await login(env);
    const add = (headers, body = JSON.stringify({ keys: [randomKey()] })) =>
      request(`${env.url}/api/keys`, { method: 'POST', headers: { cookie, ...headers }, body });
    const refused = [
      ['another origin', { origin: 'https://evil.example', 'content-type': 'application/json' }, 403],
      ['a sandboxed page', { origin: 'null', 'content-type': 'application/json' }, 403],
      ['a cross-site fetch', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }, 403],
      ['a sibling site', { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }, 403],
      ['a text/plain body', { origin: env.url, 'content-type': 'text/plain' }, 415],
      ['a form', { origin: env.url, 'content-type': 'application/x-www-form-urlencoded' }, 415],
      ['a form from another origin', { origin: 'https://evil.example', 'content-type': 'application/x-www-form-urlencoded' }, 403],
    ];
    for (const [name, headers, status] of refused) {
      const res = await add(headers, name.includes('form') ? `keys=${randomKey()}` : undefined);
      assert.equal(res.status, status, `${name}: ${res.text}`);
    }
    const del = await request(`${env.url}/api/keys`, {
      method: 'DELETE',
      headers: { cookie, origin: 'https://evil.example', 'content-type': 'application/json' },
      body: JSON.stringify({ ids: [1] }),
    });
    assert.equal(del.status, 403);
    const listing = await request(`${env.url}/api/keys`, { headers: { cookie } });
    assert.equal(JSON.parse(listing.text).total, 0, 'nothing was added');

    // The admin UI's own requests go through.
    let res = await add({ origin: env.url, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' });
    assert.equal(res.status, 200, res.text);
    // The bearer token is no ambient credential: API calls need no Origin and may send text.
    res = await request(`${env.url}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, origin: 'https://evil.example', 'content-type': 'text/plain' },
      body: randomKey(),
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(JSON.parse((await request(`${env.url}/api/keys`, { headers: { cookie } })).text).total, 2);
  } finally {
    await env.close();
  }
});
