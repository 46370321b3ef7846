// Native Gemini passthrough through the real Worker: auth, streaming, key handling, retries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT, CLIENT2, eventually, generateBody, setup, testKey } from './support.mjs';

const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const STREAM = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';

test('client tokens: accepted from bearer, x-goog-api-key and ?key=; refused otherwise in Gemini format', async () => {
  const env = await setup({ keys: [testKey('auth-1')] });
  try {
    const ways = [
      [GENERATE, { authorization: `Bearer ${CLIENT}` }],
      [GENERATE, { 'x-goog-api-key': CLIENT2 }],
      [`${GENERATE}?key=${CLIENT}`, {}],
    ];
    for (const [path, headers] of ways) {
      const res = await fetch(`${env.url}${path}`, { method: 'POST', headers, body: generateBody() });
      assert.equal(res.status, 200, JSON.stringify(headers));
      assert.ok((await res.json()).candidates);
    }
    for (const headers of [{}, { 'x-goog-api-key': 'wrong' }, { authorization: 'Bearer wrong' }]) {
      const res = await fetch(`${env.url}${GENERATE}`, { method: 'POST', headers, body: generateBody() });
      assert.equal(res.status, 401);
      const body = await res.json();
      assert.equal(body.error.code, 401);
      assert.equal(body.error.status, 'UNAUTHENTICATED');
    }
    // The client's token never reached upstream, and no key ever went in a URL.
    assert.deepEqual(env.mock.violations, []);
    for (const q of env.mock.requests) {
      assert.equal(q.query.get('key'), null);
      assert.equal(q.headers.authorization, undefined);
      assert.equal(q.key, testKey('auth-1'));
    }
  } finally {
    await env.close();
  }
});

test('unset AUTH_TOKENS closes the proxy routes with a 503 that says how to set them', async () => {
  const env = await setup({ workerOptions: { authTokens: undefined } });
  try {
    const res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /wrangler secret put AUTH_TOKENS/);
  } finally {
    await env.close();
  }
});

test('non-stream passthrough forwards method, path, query and body; hop-by-hop and identifying headers stay', async () => {
  const env = await setup({ keys: [testKey('pass-1')] });
  try {
    const res = await env.client(`${GENERATE}?key=${CLIENT}&alt=json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: 'session=secret', 'x-forwarded-for': '10.0.0.1', 'x-custom': 'nope' },
      body: generateBody('Hello there'),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-balancer-attempts'), '1');
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const body = await res.json();
    assert.ok(body.candidates[0].content.parts[0].text.length > 0);
    const q = env.mock.requests.at(-1);
    assert.equal(q.method, 'POST');
    assert.equal(q.path, GENERATE);
    assert.equal(q.query.toString(), 'alt=json');
    assert.deepEqual(JSON.parse(q.body.toString()), JSON.parse(generateBody('Hello there')));
    for (const h of ['cookie', 'x-forwarded-for', 'x-custom', 'authorization']) assert.equal(q.headers[h], undefined, h);
    assert.equal(q.headers['x-goog-api-key'], testKey('pass-1'));
  } finally {
    await env.close();
  }
});

test('streaming passthrough delivers the upstream SSE bytes untouched, whatever the chunking', async () => {
  for (const chunking of ['byte', 'random']) {
    const env = await setup({ keys: [testKey('sse-1')], mockOptions: { chunking } });
    try {
      const res = await env.client(STREAM, { method: 'POST', body: generateBody('long') });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type'), /text\/event-stream/);
      const text = await res.text();
      const events = text.split('\r\n\r\n').filter(Boolean);
      assert.ok(events.length > 2, `${chunking}: several events`);
      for (const e of events) {
        assert.ok(e.startsWith('data: '), e.slice(0, 40));
        JSON.parse(e.slice(6));
      }
      assert.ok(!text.includes('[DONE]'));
      assert.ok(JSON.parse(events.at(-1).slice(6)).candidates[0].finishReason);
    } finally {
      await env.close();
    }
  }
});

test('bare /models paths are /v1beta/models; model lists and GETs pass through', async () => {
  const env = await setup({ keys: [testKey('bare-1')] });
  try {
    let res = await env.client('/models/gemini-2.5-flash:countTokens', { method: 'POST', body: generateBody() });
    assert.equal(res.status, 200);
    assert.equal(env.mock.requests.at(-1).path, '/v1beta/models/gemini-2.5-flash:countTokens');
    res = await env.client('/v1beta/models?pageSize=5');
    const body = await res.json();
    assert.equal(body.models.length, 5);
    assert.ok(body.nextPageToken);
  } finally {
    await env.close();
  }
});

test('a dead key is retried on another key before any byte is sent, then disabled', async () => {
  const [dead, good] = [testKey('retry-dead'), testKey('retry-good')];
  const env = await setup({ keys: [dead, good], mockOptions: { keys: { [dead]: 'invalid' } } });
  try {
    for (let i = 0; i < 6; i++) {
      const res = await env.client(i % 2 ? STREAM : GENERATE, { method: 'POST', body: generateBody() });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const deadCalls = env.mock.requests.filter((q) => q.key === dead).length;
    assert.equal(deadCalls, 1, 'the dead key is used once, then skipped');
    const list = await eventually(async () => {
      const r = await env.adminJson('/api/keys?status=disabled');
      return r.body.total === 1 ? r : null;
    });
    assert.ok(list, 'the dead key ends up disabled');
    assert.equal(list.body.keys[0].disabled_reason, 'key_invalid');
    assert.match(list.body.keys[0].last_error, /API key not valid/);
  } finally {
    await env.close();
  }
});

test('a per-day limited key cools down for that model only; the request still succeeds', async () => {
  const [limited, good] = [testKey('day-limited'), testKey('day-good')];
  const env = await setup({ keys: [limited, good], mockOptions: { keys: { [limited]: 'quota_day' } } });
  try {
    for (let i = 0; i < 4; i++) {
      const res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    assert.equal(env.mock.requests.filter((q) => q.key === limited).length, 1);
    const cooling = await eventually(async () => {
      const r = await env.adminJson('/api/keys?status=cooling');
      return r.body.total === 1 ? r : null;
    });
    assert.ok(cooling);
    const [cd] = cooling.body.keys[0].cooldowns;
    assert.equal(cd.model, 'gemini-2.5-flash');
    assert.equal(cd.reason, 'quota_day');
    assert.ok(cd.until_ms > Date.now() + 60 * 1000);
    // Another model can still use the key.
    const other = await env.client('/v1beta/models/gemini-2.5-pro:generateContent', { method: 'POST', body: generateBody() });
    assert.equal(other.status, 200);
  } finally {
    await env.close();
  }
});

test('all keys limited: a fast 429 with Retry-After, in each family format', async () => {
  const keys = [testKey('all-1'), testKey('all-2')];
  const env = await setup({
    keys,
    mockOptions: { keys: Object.fromEntries(keys.map((k) => [k, { kind: 'quota_minute', retryDelay: '40s' }])) },
  });
  try {
    let res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 429);
    const first = await res.json();
    assert.equal(first.error.status, 'RESOURCE_EXHAUSTED');
    assert.ok(Number(res.headers.get('retry-after')) >= 30);
    const before = env.mock.requests.length;
    const started = Date.now();
    res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 429);
    assert.ok(Date.now() - started < 2000);
    assert.equal(env.mock.requests.length, before, 'no upstream call while every key cools down');
    const seconds = Number(res.headers.get('retry-after'));
    assert.ok(seconds >= 30 && seconds <= 40, `retry-after ${seconds}`);
    assert.equal((await res.json()).error.code, 429);
  } finally {
    await env.close();
  }
});

test('an empty pool answers 503 saying how to add keys', async () => {
  const env = await setup();
  try {
    const res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 503);
    assert.match((await res.json()).error.message, /add Gemini API keys/);
  } finally {
    await env.close();
  }
});

test('client errors are delivered as they are and never blame the key', async () => {
  const key = testKey('client-err');
  const env = await setup({ keys: [key] });
  try {
    const res = await env.client(GENERATE, { method: 'POST', body: JSON.stringify({ contents: [], bogus: 1 }) });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error.message, /Unknown name/);
    const missing = await env.client('/v1beta/models/no-such-model:generateContent', { method: 'POST', body: generateBody() });
    assert.equal(missing.status, 404);
    assert.equal(env.mock.requests.length, 2, 'not retried');
    await new Promise((r) => setTimeout(r, 1500));
    const list = await env.adminJson('/api/keys');
    assert.equal(list.body.keys[0].status, 'active');
  } finally {
    await env.close();
  }
});

test('upstream error text is redacted: a suspended key echoed by Google never reaches the client', async () => {
  const key = testKey('suspended-echo');
  const env = await setup({ keys: [key], mockOptions: { keys: { [key]: 'suspended' } } });
  try {
    const res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    const text = await res.text();
    assert.equal(res.status, 403);
    assert.ok(!text.includes(key));
    assert.match(text, /redacted/);
  } finally {
    await env.close();
  }
});

test('server errors are retried with backoff on another key, no key penalised', async () => {
  const [flaky, good] = [testKey('flaky'), testKey('flaky-good')];
  const env = await setup({ keys: [flaky, good], mockOptions: { keys: { [flaky]: 'overloaded' } } });
  try {
    for (let i = 0; i < 2; i++) {
      const res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    await new Promise((r) => setTimeout(r, 1500));
    const list = await env.adminJson('/api/keys');
    for (const k of list.body.keys) assert.equal(k.status, 'active');
  } finally {
    await env.close();
  }
});

test('CORS preflight answers the headers browser SDKs send', async () => {
  const env = await setup();
  try {
    const res = await fetch(`${env.url}${GENERATE}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-goog-api-key, content-type' },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers'), /x-goog-api-key/);
  } finally {
    await env.close();
  }
});

test('oversized bodies get 413 and path tricks 400, and the Worker keeps serving', async () => {
  const env = await setup({ keys: [testKey('limits')], workerOptions: { vars: { MAX_BODY_BYTES: '4096' } } });
  try {
    let res = await env.client(GENERATE, { method: 'POST', body: generateBody('x'.repeat(5000)) });
    assert.equal(res.status, 413);
    assert.equal((await res.json()).error.code, 413);
    res = await env.client('/v1beta/models%2f..%2f..%2fapi/keys');
    assert.equal(res.status, 400);
    res = await env.client('/etc/passwd');
    assert.equal(res.status, 404);
    res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 200);
  } finally {
    await env.close();
  }
});

test('native answers record their token usage against the key', async () => {
  const key = testKey('usage');
  const env = await setup({ keys: [key] });
  try {
    for (const path of [GENERATE, STREAM]) {
      const res = await env.client(path, { method: 'POST', body: generateBody('Hello') });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
    }
    const list = await eventually(async () => {
      const r = await env.adminJson('/api/keys');
      return r.body.keys[0].requests === 2 ? r : null;
    });
    assert.ok(list, 'both requests recorded');
    const k = list.body.keys[0];
    assert.equal(k.successes, 2);
    assert.ok(k.prompt_tokens > 0, 'prompt tokens recorded');
    assert.ok(k.completion_tokens > 0, 'completion tokens recorded');
    const stats = await env.adminJson('/api/stats?hours=1');
    assert.equal(stats.body.totals.requests, 2);
    assert.equal(stats.body.hours.at(-1).requests, 2);
  } finally {
    await env.close();
  }
});

test('an unreachable upstream gets a bounded retry, then a 502, and no key is blamed', async () => {
  const env = await setup({ keys: [testKey('unreachable')], workerOptions: { geminiBase: 'http://127.0.0.1:9' } });
  try {
    const started = Date.now();
    const res = await env.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 502);
    assert.equal((await res.json()).error.status, 'UNAVAILABLE');
    assert.equal(res.headers.get('x-balancer-attempts'), '3', 'two retries after the first failure');
    assert.ok(Date.now() - started < 10000);
    await new Promise((r) => setTimeout(r, 1500));
    const list = await env.adminJson('/api/keys');
    assert.equal(list.body.keys[0].status, 'active');
  } finally {
    await env.close();
  }
});
