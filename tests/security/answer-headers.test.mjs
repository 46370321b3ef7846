// Whatever comes back through the Worker is data, never a page that runs on its origin (where
// the admin's session cookie lives): every proxied answer and every admin API answer carries
// X-Content-Type-Options: nosniff and Content-Security-Policy: sandbox, an HTML error page
// from upstream included. The admin UI's own pages keep their own policy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, CLIENT, generateBody, randomKey, request, setup } from './support.mjs';

test('proxied and admin API answers are marked as data; the admin UI is not sandboxed', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    const native = { 'x-goog-api-key': CLIENT, 'content-type': 'application/json' };
    const openai = { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' };
    const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
    const chat = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
    const calls = [
      ['native 200', '/v1beta/models/gemini-2.5-flash:generateContent', { method: 'POST', headers: native, body: generateBody() }],
      ['native stream', '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', { method: 'POST', headers: native, body: generateBody() }],
      ['native 404 (HTML from upstream)', '/v1beta/nothing/here', { headers: native }],
      ['native 400', '/v1beta/models/gemini-2.5-flash:generateContent', { method: 'POST', headers: native, body: '{"bogus": 1}' }],
      ['models list', '/v1beta/models?pageSize=2', { headers: native }],
      ['chat', '/v1/chat/completions', { method: 'POST', headers: openai, body: chat }],
      ['OpenAI models', '/v1/models', { headers: openai }],
      ['401', '/v1/chat/completions', { method: 'POST', body: chat }],
      ['404', '/v1/responses', { method: 'POST', headers: openai, body: '{}' }],
      ['admin list', '/api/keys', { headers: admin }],
      ['admin stats', '/api/stats', { headers: admin }],
      ['admin 401', '/api/keys', {}],
      ['admin session', '/api/session', { headers: admin }],
    ];
    for (const [name, path, init] of calls) {
      const res = await request(`${env.url}${path}`, init);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', `${name} (${res.status})`);
      assert.equal(res.headers.get('content-security-policy'), 'sandbox', `${name} (${res.status})`);
    }
    const upstreamHtml = await request(`${env.url}/v1beta/nothing/here`, { headers: native });
    assert.match(upstreamHtml.headers.get('content-type'), /text\/html/, 'the HTML page came through as such');
    const ui = await request(`${env.url}/`);
    assert.equal(ui.status, 200);
    assert.equal(ui.headers.get('content-security-policy'), null, 'the admin UI keeps its own policy');
    assert.match(ui.text, /Content-Security-Policy/);
  } finally {
    await env.close();
  }
});
