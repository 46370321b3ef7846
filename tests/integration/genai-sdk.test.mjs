// Google's own SDK (@google/genai) against the Worker and the mock: it lists and gets models
// under /v1/ (apiVersion "v1") with its key in x-goog-api-key, and uploads files with the
// resumable protocol. It must get Gemini's answers there, not the OpenAI list that Bearer
// clients get on the same paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { MODELS } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from './support.mjs';

const sdk = (env, apiVersion) => new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url, apiVersion } });

test('@google/genai models.list and models.get under /v1 get the native answer, paged as asked', async () => {
  const env = await setup({ keys: [testKey('genai-1'), testKey('genai-2')] });
  try {
    for (const apiVersion of ['v1', 'v1beta']) {
      const ai = sdk(env, apiVersion);
      const names = [];
      const pager = await ai.models.list({ config: { pageSize: 20 } });
      for await (const model of pager) names.push(model.name);
      assert.equal(names.length, MODELS.length, `${apiVersion}: every model, page after page`);
      assert.ok(names.includes('models/gemini-2.5-flash'), apiVersion);
      const model = await ai.models.get({ model: 'gemini-2.5-flash' });
      assert.equal(model.name, 'models/gemini-2.5-flash', apiVersion);
      assert.ok(model.inputTokenLimit > 0, apiVersion);
    }
    const lists = env.mock.requests.filter((q) => q.path === '/v1/models');
    assert.ok(lists.length >= 2, 'the pages were fetched from Gemini');
    assert.ok(lists.every((q) => q.query.get('pageSize') === '20'), 'pageSize passed through');
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('/v1/models answers in the shape the credentials ask for', async () => {
  const env = await setup({ keys: [testKey('shape-1')] });
  try {
    const get = async (path, headers = {}) => {
      const res = await fetch(`${env.url}${path}`, { headers });
      return { status: res.status, body: await res.json() };
    };
    // Gemini's way: x-goog-api-key, ?key= or the x-goog-api-client header.
    for (const [path, headers] of [
      ['/v1/models?pageSize=3', { 'x-goog-api-key': CLIENT }],
      [`/v1/models?pageSize=3&key=${CLIENT}`, {}],
      ['/v1/models?pageSize=3', { authorization: `Bearer ${CLIENT}`, 'x-goog-api-client': 'genai-js/1.0' }],
    ]) {
      const r = await get(path, headers);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.models.length, 3, `${path} ${JSON.stringify(headers)}`);
      assert.equal(typeof r.body.nextPageToken, 'string');
    }
    const one = await get(`/v1/models/gemini-2.5-flash?key=${CLIENT}`);
    assert.equal(one.body.name, 'models/gemini-2.5-flash');
    // OpenAI's way: Bearer alone.
    const openai = await get('/v1/models', { authorization: `Bearer ${CLIENT}` });
    assert.equal(openai.body.object, 'list');
    assert.ok(openai.body.data.length >= MODELS.length - 5);
    const model = await get('/v1/models/gemini-2.5-flash', { authorization: `Bearer ${CLIENT}` });
    assert.equal(model.body.object, 'model');
    // A wrong token is refused in the format of the shape asked for.
    const refused = await get('/v1/models', { 'x-goog-api-key': 'wrong' });
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.status, 'UNAUTHENTICATED');
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});
