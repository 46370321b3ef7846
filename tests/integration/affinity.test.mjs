// Requests that name something only one key's project can reach go to that key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { CLIENT, eventually, generateBody, setup, testKey } from './support.mjs';

const CACHE = 'cachedContents/cache-abc';

test('a cached content is used with the key that created it, from every isolate', async () => {
  let owner = null;
  const behaviour = (req) => {
    if (req.method === 'POST' && req.path === '/v1beta/cachedContents') {
      owner = req.key;
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: CACHE, model: 'models/gemini-2.5-flash', expireTime: '2030-01-01T00:00:00Z' }),
      };
    }
    const mentions = req.path.includes(CACHE) || req.body.toString().includes(CACHE);
    if (mentions && req.key !== owner) {
      return {
        status: 403,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: { code: 403, message: 'CachedContent not found (or permission denied)', status: 'PERMISSION_DENIED' } }),
      };
    }
    if (mentions && req.method === 'GET') {
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: CACHE }) };
    }
    return null;
  };
  const keys = ['aff-1', 'aff-2', 'aff-3', 'aff-4'].map(testKey);
  const env = await setup({ keys, mockOptions: { keys: Object.fromEntries(keys.map((k) => [k, behaviour])) } });
  try {
    const created = await env.client('/v1beta/cachedContents', {
      method: 'POST',
      body: JSON.stringify({ model: 'models/gemini-2.5-flash', contents: [{ role: 'user', parts: [{ text: 'a long document' }] }] }),
    });
    assert.equal(created.status, 200);
    assert.equal((await created.json()).name, CACHE);
    for (let i = 0; i < 6; i++) {
      const res = await env.client('/v1beta/models/gemini-2.5-flash:generateContent', {
        method: 'POST',
        body: JSON.stringify({ cachedContent: CACHE, contents: [{ role: 'user', parts: [{ text: `question ${i}` }] }] }),
      });
      assert.equal(res.status, 200, await res.clone().text());
      await res.arrayBuffer();
    }
    const get = await env.client(`/v1beta/${CACHE}`);
    assert.equal(get.status, 200);
    const users = env.mock.requests.filter((q) => q.path.includes(CACHE) || q.body.toString().includes(CACHE));
    assert.ok(users.every((q) => q.key === owner), 'every request naming the cache used its key');

    // The Durable Object learnt it too: a fresh isolate (a restarted Worker on the same
    // storage would do the same) finds the owner in the pool snapshot.
    const ns = await env.worker.mf.getDurableObjectNamespace('KEY_POOL');
    const pool = ns.get(ns.idFromName('pool'));
    const lines = await eventually(async () => {
      const text = (await pool.snapshot(-1)).text;
      return text.split('\n').find((l) => l.startsWith('A ') && l.endsWith(CACHE));
    });
    assert.ok(lines, 'the pool snapshot carries the affinity');
  } finally {
    await env.close();
  }
});

test('a Gemini 3 tool conversation stays on the key that signed it', async () => {
  const keys = ['sig-1', 'sig-2', 'sig-3'].map(testKey);
  const env = await setup({ keys, mockOptions: { bindSignaturesToKey: true } });
  const client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT, maxRetries: 0 });
  const tools = [
    {
      type: 'function',
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
  ];
  try {
    for (let round = 0; round < 4; round++) {
      const messages = [{ role: 'user', content: 'call tool get_weather' }];
      const first = await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages, tools });
      const call = first.choices[0].message.tool_calls[0];
      messages.push({ role: 'assistant', content: null, tool_calls: [call] });
      messages.push({ role: 'tool', tool_call_id: call.id, content: '{"temperature": 21}' });
      const second = await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages, tools });
      assert.match(second.choices[0].message.content, /Result of get_weather/);
      const [a, b] = env.mock.requests.slice(-2);
      assert.equal(a.key, b.key, 'both turns on one key');
    }
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});
