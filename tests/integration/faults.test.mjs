// Everything that can go wrong between the Worker and Gemini: broken bodies, stalls, drops,
// huge events, clients that leave. Each ends with a well-formed answer or a clean end, the
// Worker serving the next request, and no key wrongly blamed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { CLIENT, eventually, generateBody, setup, sleep, testKey } from './support.mjs';

const CHAT = '/v1/chat/completions';
const STREAM = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
const openaiHeaders = { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' };
const chat = (content, stream = false) =>
  JSON.stringify({ model: 'gemini-2.5-flash', stream, messages: [{ role: 'user', content }] });

async function expectHealthy(env) {
  const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hello') });
  const text = await res.text();
  assert.equal(res.status, 200, `the Worker still serves: ${text.slice(0, 200)}`);
}

async function keysActive(env) {
  await sleep(1300);
  const list = await env.adminJson('/api/keys');
  for (const k of list.body.keys) assert.equal(k.status, 'active', `${k.masked} was blamed`);
}

function raw(status, body, type = 'application/json') {
  return { status, headers: { 'content-type': type }, body };
}

test('HTML, empty and error-in-200 answers become well-formed errors', async () => {
  let mode = 'html';
  const behaviour = (req) => {
    if (req.action !== 'generateContent') return null;
    if (mode === 'html') return { kind: 'html' };
    if (mode === 'empty') return { kind: 'empty' };
    if (mode === 'wrong-type') return raw(200, '{"candidates": [', 'text/plain');
    if (mode === 'ok') return null;
    return raw(200, JSON.stringify({ error: { code: 500, message: 'Internal error encountered.', status: 'INTERNAL' } }));
  };
  const key = testKey('faults-body');
  const env = await setup({ keys: [key], mockOptions: { keys: { [key]: behaviour } } });
  try {
    for (mode of ['html', 'empty', 'wrong-type', 'error-inside']) {
      const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hi') });
      const body = await res.json();
      assert.ok(res.status >= 500, `${mode}: ${res.status}`);
      assert.equal(typeof body.error.message, 'string', mode);
      assert.ok(!JSON.stringify(body).includes(key));
    }
    mode = 'ok';
    await expectHealthy(env);
    await keysActive(env);
  } finally {
    await env.close();
  }
});

test('a malformed SSE event ends the OpenAI stream with an error event, then [DONE]', async () => {
  const key = testKey('faults-sse');
  const sse = 'data: {"candidates":[{"content":{"parts":[{"text":"Hi"}]}}]}\r\n\r\ndata: {not json\r\n\r\n';
  const env = await setup({
    keys: [key],
    mockOptions: { keys: { [key]: (req) => (req.action === 'streamGenerateContent' ? raw(200, sse, 'text/event-stream') : null) } },
  });
  try {
    const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hi', true) });
    assert.equal(res.status, 200);
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    assert.ok(JSON.parse(events.at(-2).slice(6)).error, 'an error event before [DONE]');
    await expectHealthy(env);
  } finally {
    await env.close();
  }
});

test('OpenAI streams come out intact when upstream splits at every byte', async () => {
  const env = await setup({ keys: [testKey('faults-bytes')], mockOptions: { chunking: 'byte' } });
  try {
    const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hello', true) });
    const text = await res.text();
    let content = '';
    for (const e of text.split('\n\n').filter(Boolean)) {
      if (e === 'data: [DONE]') continue;
      content += JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? '';
    }
    assert.match(content, /你好，世界 👋🌍/);
  } finally {
    await env.close();
  }
});

test('a 10 MB single event passes through both families', async () => {
  const key = testKey('faults-huge');
  const big = 'x'.repeat(10 * 1024 * 1024);
  const event = JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: big }] }, finishReason: 'STOP' }] });
  const sse = `data: ${event}\r\n\r\n`;
  const env = await setup({
    keys: [key],
    mockOptions: { keys: { [key]: (req) => (req.action === 'streamGenerateContent' ? raw(200, sse, 'text/event-stream') : null) } },
  });
  try {
    const native = await env.client(STREAM, { method: 'POST', body: generateBody('hi') });
    assert.equal((await native.text()).length, sse.length);
    const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hi', true) });
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.equal(events.at(-1), 'data: [DONE]');
    const content = events
      .slice(0, -1)
      .map((e) => JSON.parse(e.slice(6)).choices[0]?.delta?.content ?? '')
      .join('');
    assert.equal(content.length, big.length);
    await expectHealthy(env);
  } finally {
    await env.close();
  }
});

test('an upstream that stalls before the first byte is timed out and retried', async () => {
  const [slow, fast] = [testKey('faults-slow'), testKey('faults-fast')];
  const env = await setup({
    keys: [slow, fast],
    mockOptions: { keys: { [slow]: { kind: 'ok', stallMs: 5000 } } },
    workerOptions: { vars: { UPSTREAM_TIMEOUT_MS: '400' } },
  });
  try {
    for (let i = 0; i < 4; i++) {
      const started = Date.now();
      const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hi') });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      assert.ok(Date.now() - started < 4000, 'not held up by the stalled key');
    }
    await keysActive(env);
  } finally {
    await env.close();
  }
});

// A hand-made upstream and a record of when the Worker hangs up: one SSE event, then silence
// (or, with `trickleMs`, a few more words at that pace, like a model still writing).
const EVENT = 'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"more words "}]}}]}\r\n\r\n';

async function stallingUpstream({ trickleMs = 0 } = {}) {
  const closed = [];
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(EVENT);
    const trickle = trickleMs ? setInterval(() => res.write(EVENT), trickleMs) : null;
    const timer = setTimeout(() => res.end(), 20000);
    res.on('close', () => {
      clearTimeout(timer);
      clearInterval(trickle);
      closed.push(Date.now());
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    closed,
    close: () => new Promise((r) => server.close(r, server.closeAllConnections())),
  };
}

test('a stream that stalls mid-answer ends with an error event after the idle timeout', async () => {
  const upstream = await stallingUpstream();
  const env = await setup({
    keys: [testKey('faults-stall')],
    workerOptions: { geminiBase: upstream.url, vars: { STREAM_IDLE_TIMEOUT_MS: '800' } },
  });
  try {
    const started = Date.now();
    const res = await fetch(`${env.url}${CHAT}`, { method: 'POST', headers: openaiHeaders, body: chat('hi', true) });
    const events = (await res.text()).split('\n\n').filter(Boolean);
    assert.ok(Date.now() - started < 5000);
    assert.equal(events.at(-1), 'data: [DONE]');
    assert.ok(JSON.parse(events.at(-2).slice(6)).error);
    const native = await env.client(STREAM, { method: 'POST', body: generateBody('hi') });
    const last = (await native.text()).split('\r\n\r\n').filter((e) => e.trim()).at(-1);
    assert.equal(JSON.parse(last.slice(6)).error.code, 502);
    await keysActive(env);
  } finally {
    await env.close();
    await upstream.close();
  }
});

// The runtime learns that a client left when it next writes to it; a model that is still
// writing gives it that chance within a chunk (a silent one is cut off by the idle timeout).
test('a client that leaves mid-stream cancels the upstream call, and the use is recorded', async () => {
  const upstream = await stallingUpstream({ trickleMs: 100 });
  const env = await setup({ keys: [testKey('faults-abort')], workerOptions: { geminiBase: upstream.url } });
  try {
    for (const [path, init] of [
      [CHAT, { headers: openaiHeaders, body: chat('hi', true) }],
      [STREAM, { headers: { 'x-goog-api-key': CLIENT }, body: generateBody('hi') }],
    ]) {
      const before = upstream.closed.length;
      const controller = new AbortController();
      const res = await fetch(`${env.url}${path}`, { method: 'POST', ...init, signal: controller.signal });
      const reader = res.body.getReader();
      await reader.read(); // the first bytes arrive
      const abortedAt = Date.now();
      controller.abort();
      const closedAt = await eventually(() => upstream.closed[before], { timeoutMs: 3000, everyMs: 20 });
      assert.ok(closedAt, 'the upstream connection was closed');
      assert.ok(closedAt - abortedAt < 1000, `closed ${closedAt - abortedAt} ms after the client left`);
    }
    const recorded = await eventually(async () => {
      const list = await env.adminJson('/api/keys');
      return list.body.keys[0].requests === 2 ? list : null;
    });
    assert.ok(recorded, 'both uses recorded');
    assert.equal(recorded.body.keys[0].status, 'active');
  } finally {
    await env.close();
    await upstream.close();
  }
});
