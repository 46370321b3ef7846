// Upstream redirects are never followed: a pool key must not travel to wherever a
// redirect points, neither on a proxied request nor on a key check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { ADMIN, CLIENT, generateBody, randomKey, request, setup } from './support.mjs';

// A server that records whatever reaches it.
async function startTrap() {
  const seen = [];
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { seen, url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

test('a redirecting upstream never receives or forwards the pool key elsewhere', async () => {
  const trap = await startTrap();
  const key = randomKey();
  const redirect = (req) => ({ status: 307, headers: { location: `${trap.url}${req.path}` }, body: '' });
  const env = await setup({ keys: [key], mockOptions: { keys: { [key]: redirect } } });
  try {
    const native = await request(`${env.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': CLIENT },
      body: generateBody(),
      redirect: 'manual',
    });
    assert.equal(native.headers.get('location'), null, 'the redirect target is not handed to the client');
    await request(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
    });
    // A key check probes the key with a free call.
    const check = await request(`${env.url}/api/keys/check`, { headers: { authorization: `Bearer ${ADMIN}` } });
    assert.ok(check.status === 200 || check.status === 202, String(check.status));
    assert.ok(env.mock.requests.length >= 3, 'the upstream was asked');
    assert.deepEqual(
      trap.seen.map((r) => `${r.url} ${r.headers['x-goog-api-key'] === key ? 'with the key' : ''}`),
      [],
      'nothing followed the redirect',
    );
  } finally {
    await env.close();
    await trap.close();
  }
});
