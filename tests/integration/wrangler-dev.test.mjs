// The real wrangler.toml under `wrangler dev --var NAME:VALUE`, as users and outside test
// suites run it: the admin UI served from public/, keys added, a request passed through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMockGemini } from '../helpers/mock-gemini.mjs';
import { startWranglerDev } from '../helpers/worker.mjs';
import { testKey } from './support.mjs';

test('wrangler dev with --var for every configuration name', async () => {
  const mock = await startMockGemini();
  let dev;
  try {
    dev = await startWranglerDev({
      vars: { GEMINI_API_BASE: mock.url, ADMIN_TOKEN: 'dev-admin', AUTH_TOKENS: 'dev-client-1,dev-client-2' },
      timeoutMs: 90000,
    });
    const page = await fetch(`${dev.url}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type'), /text\/html/);

    const key = testKey('wrangler-dev');
    let res = await fetch(`${dev.url}/api/keys`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-admin' },
      body: JSON.stringify({ keys: [key] }),
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).added, 1);

    res = await fetch(`${dev.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: 'POST',
      headers: { 'x-goog-api-key': 'dev-client-2', 'content-type': 'application/json' },
      body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
    });
    assert.equal(res.status, 200);
    assert.ok((await res.json()).candidates);
    assert.equal(mock.requests.at(-1).key, key);
    assert.deepEqual(mock.violations, []);
  } finally {
    await dev?.stop();
    await mock.close();
  }
});
