// Requests that name something only one key's project can reach go to that key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { GoogleGenAI } from '@google/genai';
import { CLIENT, CLIENT2, eventually, generateBody, setup, testKey } from './support.mjs';
import { tables } from '../../worker-shim/core.mjs';
import { makeTempDir } from '../helpers/worker.mjs';

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
      const text = (await pool.pull(-1)).snapshot;
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

test("a model asked to echo another client's file name does not move that file to its key", async () => {
  let fileName = null;
  // Every key's model answer repeats the file's name in every form a client could ask for.
  const echo = (req) => {
    if (req.action !== 'generateContent' || !fileName) return null;
    const id = fileName.slice('files/'.length);
    const text = `${fileName} /${fileName} https://generativelanguage.googleapis.com/v1beta/${fileName}`;
    const answer = {
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      name: fileName,
      file: { name: fileName, uri: `https://x/v1beta/files/${id}` },
      usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1, totalTokenCount: 2 },
    };
    return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) };
  };
  const keys = ['echo-1', 'echo-2', 'echo-3', 'echo-4'].map(testKey);
  const env = await setup({ keys, mockOptions: { keys: Object.fromEntries(keys.map((k) => [k, echo])) } });
  try {
    const start = await env.client('/upload/v1beta/files', {
      method: 'POST',
      headers: {
        'x-goog-upload-protocol': 'resumable',
        'x-goog-upload-command': 'start',
        'x-goog-upload-header-content-type': 'text/plain',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ file: { displayName: 'victim' } }),
    });
    assert.equal(start.status, 200, await start.clone().text());
    const uploadUrl = start.headers.get('x-goog-upload-url');
    const finalize = await fetch(uploadUrl, {
      method: 'POST',
      headers: { 'x-goog-api-key': CLIENT, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
      body: 'the victim file',
    });
    assert.equal(finalize.status, 200);
    fileName = (await finalize.json()).file.name;
    const owner = env.mock.requests.at(-1).key;

    // Another client's echo requests, until one lands on a key that is not the owner.
    let echoedOn = owner;
    for (let i = 0; i < 8 && echoedOn === owner; i++) {
      const res = await fetch(`${env.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': CLIENT2, 'content-type': 'application/json' },
        body: generateBody(`Repeat ${fileName} back to me`),
      });
      assert.equal(res.status, 200);
      assert.match(await res.text(), new RegExp(fileName));
      echoedOn = env.mock.requests.at(-1).key;
    }
    assert.notEqual(echoedOn, owner, 'an echo landed on another key');

    const get = await env.client(`/v1beta/${fileName}`);
    await get.arrayBuffer();
    assert.equal(env.mock.requests.at(-1).key, owner, 'the file is still read with the key that uploaded it');
  } finally {
    await env.close();
  }
});

test('the affinity table and its share of the pool snapshot stay bounded under a flood', async () => {
  const env = await setup({ keys: [testKey('flood-1'), testKey('flood-2')] });
  try {
    const ns = await env.worker.mf.getDurableObjectNamespace('KEY_POOL');
    const pool = ns.get(ns.idFromName('pool'));
    const ids = (await env.adminJson('/api/keys')).body.keys.map((k) => k.id);
    const flood = async (batches, name) => {
      for (let b = 0; b < batches; b++) {
        // Events as an isolate's core merges them (events.h): 100 files created by one key.
        const at = Date.now();
        const created = Array.from({ length: 100 }, (_, i) => ({ id: ids[b % 2], resource: name(b * 100 + i), at_ms: at }));
        await pool.report(`flood-${name(0)}-${b}`, JSON.stringify({ created }));
      }
      return (await pool.pull(-1)).snapshot.split('\n').filter((l) => l.startsWith('A '));
    };
    // A thousand short names more than the table keeps (the core's AFFINITY_MAX_ROWS): the
    // newest stay.
    const max = tables().policy.AFFINITY_MAX_ROWS;
    const batches = Math.ceil((max + 1000) / 100);
    let lines = await flood(batches, (i) => `files/f${i}`);
    assert.equal(lines.length, max);
    assert.ok(lines.some((l) => l.endsWith(` files/f${batches * 100 - 1}`)), 'the newest are kept');
    assert.ok(!lines.some((l) => l.endsWith(' files/f0')), 'the oldest are forgotten');
    // Long names: the snapshot carries no more than its byte bound of them.
    lines = await flood(60, (i) => `cachedContents/${String(i).padStart(128, 'c')}`);
    const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
    assert.ok(bytes <= tables().policy.SNAPSHOT_AFFINITY_MAX_BYTES, `${bytes} bytes of affinity in the snapshot`);
    assert.ok(lines.length > 1000, `${lines.length} affinity lines`);
  } finally {
    await env.close();
  }
});

test('a batch is polled with the key that created it (the Google GenAI SDK in batch mode)', async () => {
  const keys = ['batch-1', 'batch-2', 'batch-3', 'batch-4'].map(testKey);
  const env = await setup({ keys });
  try {
    const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url } });
    const made = [];
    for (let i = 0; i < 4; i++) {
      made.push(
        await ai.batches.create({
          model: 'gemini-3.8-flash',
          src: [{ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] }],
          config: { displayName: `batch ${i}` },
        }),
      );
    }
    // Each batch was made on some key; every poll of it goes there (any other project's key is
    // answered 404), also from the Worker's other isolates once the pool has heard of it.
    // Polled out of the order they were made in, each twice: the pool's own order of keys
    // cannot happen to match.
    for (const batch of [...made].reverse().flatMap((b) => [b, b])) {
      assert.match(batch.name, /^batches\//);
      const done = await ai.batches.get({ name: batch.name });
      assert.equal(done.state, 'JOB_STATE_SUCCEEDED', JSON.stringify(done));
      assert.match(done.dest.inlinedResponses[0].response.candidates[0].content.parts[0].text, /Hello from gemini-3\.8-flash/);
    }
    const polls = env.mock.requests.filter((r) => r.method === 'GET' && /^\/v1(beta)?\/batches\//.test(r.path));
    assert.equal(polls.length, 2 * made.length, 'each poll answered on its first try');
    const { body } = await env.adminJson('/api/keys');
    assert.ok(body.keys.every((k) => k.status === 'active'), 'no key blamed');
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('a batch made from an uploaded file, and its results file, stay with their key (Google GenAI SDK and /download/)', async () => {
  const keys = ['file-1', 'file-2', 'file-3', 'file-4'].map(testKey);
  const env = await setup({ keys });
  const dir = makeTempDir('batch-files');
  try {
    const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url } });
    // Four input files, each uploaded with some key, and a batch of each: the batch must be
    // made with the key whose project holds the file (any other is refused it).
    const made = [];
    for (let i = 0; i < 4; i++) {
      const lines = [1, 2].map((n) => JSON.stringify({ key: `r${i}-${n}`, request: { contents: [{ role: 'user', parts: [{ text: `Hello ${i}-${n}` }] }] } }));
      const input = await ai.files.upload({ file: new Blob([lines.join('\n')], { type: 'application/jsonl' }), config: { mimeType: 'application/jsonl' } });
      made.push(await ai.batches.create({ model: 'gemini-3.8-flash', src: input.name, config: { displayName: `file batch ${i}` } }));
    }
    // Polled out of order; each names its results file, made in the batch's project. The SDK
    // downloads it through /v1beta/files/{id}:download, Google's documentation through
    // /download/v1beta/...: both reach the key that made it.
    for (const [i, batch] of [...made].entries()) {
      const done = await ai.batches.get({ name: batch.name });
      assert.equal(done.state, 'JOB_STATE_SUCCEEDED', JSON.stringify(done));
      const results = done.dest.fileName;
      assert.match(results, /^files\/batch-/);
      const file = path.join(dir, `${i}.jsonl`);
      await ai.files.download({ file: results, downloadPath: file });
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.key), [`r${i}-1`, `r${i}-2`]);
      assert.match(lines[0].response.candidates[0].content.parts[0].text, /Hello from gemini-3\.8-flash/);
      const res = await fetch(`${env.url}/download/v1beta/${results}:download?alt=media`, { headers: { 'x-goog-api-key': CLIENT } });
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(Buffer.from(await res.arrayBuffer()), readFileSync(file));
    }
    const calls = env.mock.requests.filter((r) => /:batchGenerateContent$|\/batches\/|:download$/.test(r.path));
    assert.equal(calls.length, 4 * 4, 'every create, poll and download answered on its first try');
    assert.ok(calls.every((r) => r.status === 200), JSON.stringify(calls.map((r) => [r.path, r.status])));
    const { body } = await env.adminJson('/api/keys');
    assert.ok(body.keys.every((k) => k.status === 'active'), 'no key blamed');
    assert.deepEqual(env.mock.violations, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await env.close();
  }
});
