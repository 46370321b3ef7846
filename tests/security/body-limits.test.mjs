// What a request may cost before anyone has proven who they are: each route caps its body
// before reading it (the login at a few KB), a body that never arrives is answered within the
// core's deadline (408, or the route's own refusal when it needs no body), and JSON bodies are
// bounded in the number of values, not only in depth and container size.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, CLIENT, assertFamilyError, dispatch, nextAddress, randomKey, rawRequest, setup } from './support.mjs';

const BODY_TIMEOUT_MS = 1500;

// A request whose head promises `declared` bytes and whose body stops after `sent`, on a
// connection left open: the client neither finishes nor goes away.
function stalled(path, headers, declared, sent) {
  const head = Object.entries({ host: '127.0.0.1', 'cf-connecting-ip': nextAddress(), ...headers, 'content-length': String(declared) })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  return Buffer.from(`POST ${path} HTTP/1.1\r\n${head}\r\n${sent}`, 'latin1');
}

test('the login reads a few KB at most: a larger body is refused before it is read', async () => {
  const env = await setup();
  try {
    const big = JSON.stringify({ token: 'x'.repeat(100_000) });
    let res = await dispatch(env, '/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextAddress() },
      body: big,
    });
    assert.equal(res.status, 413, res.text);
    assertFamilyError('admin', 413, res.text, 'login');
    // Without a content-length (chunked), the read stops at the cap just the same.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 16; i++) controller.enqueue(new TextEncoder().encode('['.repeat(4096)));
        controller.close();
      },
    });
    res = await dispatch(env, '/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextAddress() },
      body: stream,
      duplex: 'half',
    });
    assert.equal(res.status, 413, res.text);
    // A normal login still works.
    res = await dispatch(env, '/api/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextAddress() },
      body: JSON.stringify({ token: ADMIN }),
    });
    assert.equal(res.status, 200, res.text);
  } finally {
    await env.close();
  }
});

test('a body that never arrives is answered within the deadline, in the route family format', async () => {
  const env = await setup({ keys: [randomKey()], workerOptions: { vars: { BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS) } } });
  const port = new URL(env.url).port;
  try {
    const json = { 'content-type': 'application/json' };
    const rows = [
      { name: 'login', path: '/api/session', headers: json, status: 408, family: 'admin' },
      { name: 'admin write', path: '/api/keys', headers: { ...json, authorization: `Bearer ${ADMIN}` }, status: 408, family: 'admin' },
      { name: 'chat', path: '/v1/chat/completions', headers: { ...json, authorization: `Bearer ${CLIENT}` }, status: 408, family: 'openai' },
      {
        name: 'native',
        path: '/v1beta/models/gemini-2.5-flash:generateContent',
        headers: { ...json, 'x-goog-api-key': CLIENT },
        status: 408,
        family: 'gemini',
      },
      // No token: the body is not needed, only drained, and never longer than the deadline.
      { name: 'chat without a token', path: '/v1/chat/completions', headers: json, status: 401, family: 'openai' },
    ];
    for (const row of rows) {
      const started = Date.now();
      const res = await rawRequest(port, stalled(row.path, row.headers, 1000, '{"token": "abc'), 8000);
      const took = Date.now() - started;
      assert.equal(res.status, row.status, `${row.name}: ${res.raw?.slice(0, 300)}`);
      assertFamilyError(row.family, row.status, res.body.toString('utf8'), row.name);
      assert.ok(took < BODY_TIMEOUT_MS + 3000, `${row.name}: answered after ${took} ms`);
    }
    assert.equal(env.mock.requests.length, 0, 'nothing went upstream');
  } finally {
    await env.close();
  }
});

test('JSON bodies with too many values are refused (413) on the admin and proxy routes', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    // 3000 arrays of 30: no container is long and nesting is shallow, but the values add up.
    const rows = `[${Array.from({ length: 3000 }, () => `[${Array(30).fill(1).join(',')}]`).join(',')}]`;
    let res = await dispatch(env, '/api/keys/enable', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: `{"ids": ${rows}}`,
    });
    assert.equal(res.status, 413, res.text.slice(0, 300));
    assertFamilyError('admin', 413, res.text, 'admin');
    res = await dispatch(env, '/v1/chat/completions', {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: `{"model": "gemini-2.5-flash", "messages": [{"role": "user", "content": "hi"}], "metadata": [${rows},${rows},${rows}]}`,
    });
    assert.equal(res.status, 413, res.text.slice(0, 300));
    assertFamilyError('openai', 413, res.text, 'chat');
    assert.equal(JSON.parse(res.text).error.code, 'too_many_values');
    assert.equal(env.mock.requests.length, 0);
  } finally {
    await env.close();
  }
});
