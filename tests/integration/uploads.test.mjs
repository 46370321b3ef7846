// Resumable uploads through the balancer: the session Google opens belongs to the key that
// started it, so the upload URL the client gets must bring every later request of that
// upload to the same key, from any isolate, and no header passed back may carry a pool key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, createPartFromUri, createUserContent } from '@google/genai';
import { startMockGemini } from '../helpers/mock-gemini.mjs';
import { startWorker } from '../helpers/worker.mjs';
import { ADMIN, CLIENT, setup, testKey } from './support.mjs';

const KEYS = ['up-1', 'up-2', 'up-3', 'up-4'].map(testKey);

const starts = (mock) => mock.requests.filter((q) => q.headers['x-goog-upload-command'] === 'start');
const finishes = (mock) => mock.requests.filter((q) => q.query.has('upload_id'));

test('@google/genai files.upload: every upload finishes on the key that started it, and the file is used there', async () => {
  const env = await setup({ keys: KEYS });
  try {
    const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url } });
    const files = [];
    for (let i = 0; i < 6; i++) {
      const file = await ai.files.upload({ file: new Blob([`file number ${i}`], { type: 'text/plain' }) });
      assert.match(file.name, /^files\//);
      assert.equal(file.mimeType, 'text/plain');
      files.push(file);
    }
    // The file is its project's: reading it and prompting with it go to the key that uploaded
    // it (any other project is told it may not exist), newest first.
    for (const file of [...files].reverse()) {
      assert.equal((await ai.files.get({ name: file.name })).name, file.name);
      const answer = await ai.models.generateContent({
        model: 'gemini-3.8-flash',
        contents: [createUserContent([createPartFromUri(file.uri, file.mimeType), 'What is in this file?'])],
      });
      assert.ok(answer.text, JSON.stringify(answer));
    }
    const uses = env.mock.requests.filter((q) => q.seq > finishes(env.mock).at(-1).seq);
    assert.equal(uses.length, 2 * files.length, 'each read and prompt answered on its first try');
    assert.ok(uses.every((q) => q.status === 200), JSON.stringify(uses.map((q) => [q.path, q.status])));
    const started = starts(env.mock);
    const finished = finishes(env.mock);
    assert.equal(started.length, 6);
    assert.equal(finished.length, 6);
    for (let i = 0; i < 6; i++) assert.equal(finished[i].key, started[i].key, `upload ${i}`);
    assert.ok(new Set(started.map((q) => q.key)).size > 1, 'the uploads were spread over keys');
    for (const q of finished) assert.ok(!/balancer/.test(q.url), `the pin reached Google: ${q.url}`);
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

// With a big pool each isolate holds a slice of it: the other one asks its key pool for the
// session's key when it does not hold it.
for (const keys of [KEYS, Array.from({ length: 200 }, (_, i) => testKey(`up-big-${i}`))]) {
  test(`the upload URL leads to the same key from another isolate (${keys.length} keys)`, async () => {
    const mock = await startMockGemini({ forbiddenValues: [CLIENT, ADMIN] });
    const workers = [];
    try {
      for (let i = 0; i < 2; i++) {
        workers.push(await startWorker({ geminiBase: mock.url, adminToken: ADMIN, authTokens: CLIENT }));
      }
      const [a, b] = workers;
      const res = await a.fetch('/api/keys', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ keys }),
      });
      assert.equal((await res.json()).added, keys.length);
      // The other Worker's key pool gets the same keys (the same ids) and hands its first slice
      // out before that Worker's isolate asks, which then holds the next one.
      const ns = await b.mf.getDurableObjectNamespace('KEY_POOL');
      const pool = ns.get(ns.idFromName('pool'));
      assert.equal((await pool.addKeys(keys, keys.map((k) => k.slice(-4)))).added, keys.length);
      await pool.pull(-1, null, false);
      for (let i = 0; i < 4; i++) {
        const start = await a.fetch('/upload/v1beta/files', {
          method: 'POST',
          headers: {
            'x-goog-api-key': CLIENT,
            'x-goog-upload-protocol': 'resumable',
            'x-goog-upload-command': 'start',
            'x-goog-upload-header-content-type': 'text/plain',
            'content-type': 'application/json',
          },
          body: '{}',
        });
        assert.equal(start.status, 200);
        const url = new URL(start.headers.get('x-goog-upload-url'));
        assert.equal(url.origin, new URL(a.url).origin, 'the URL points back at the Worker');
        // The same URL, sent to the other Worker (another isolate, another pool snapshot).
        const done = await b.fetch(`${url.pathname}${url.search}`, {
          method: 'POST',
          headers: { 'x-goog-api-key': CLIENT, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
          body: `upload ${i}`,
        });
        assert.equal(done.status, 200, await done.clone().text());
        assert.match((await done.json()).file.name, /^files\//);
      }
      const started = starts(mock);
      const finished = finishes(mock);
      for (let i = 0; i < 4; i++) assert.equal(finished[i].key, started[i].key, `upload ${i}`);
      assert.deepEqual(mock.violations, []);
    } finally {
      for (const w of workers) await w.dispose();
      await mock.close();
    }
  });
}

test('headers passed back from an upload are redacted, the upload URL included', async () => {
  const leaky = (req) => {
    if (req.headers['x-goog-upload-command'] !== 'start') return null;
    return {
      status: 200,
      headers: {
        'content-type': 'text/plain',
        'x-goog-upload-status': `active for api_key:${req.key}`,
        'x-goog-upload-url': `${env.mock.url}/upload/v1beta/files?upload_id=abc&upload_protocol=resumable&key=${req.key}`,
        'x-goog-upload-control-url': `${env.mock.url}/upload/v1beta/files?upload_id=abc&key=${encodeURIComponent(req.key)}`,
      },
      body: '',
    };
  };
  const env = await setup({ keys: KEYS, mockOptions: { keys: Object.fromEntries(KEYS.map((k) => [k, leaky])) } });
  try {
    const res = await env.client('/upload/v1beta/files', {
      method: 'POST',
      headers: { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start', 'content-type': 'application/json' },
      body: '{}',
    });
    assert.equal(res.status, 200);
    const all = [...res.headers].map(([n, v]) => `${n}: ${v}`).join('\n');
    for (const key of KEYS) assert.ok(!all.includes(key.slice(6, -4)), `a pool key in the headers:\n${all}`);
    assert.match(res.headers.get('x-goog-upload-url'), /^http:\/\/127\.0\.0\.1:\d+\/upload\/v1beta\/files\?upload_id=abc/);
  } finally {
    await env.close();
  }
});
