// The Interactions API through the Worker, with @google/genai (which calls it under /v1/) and
// with fetch: a stored interaction lives in the project of the key that made it, so getting
// it and continuing from it must go to that key, over a pool that would otherwise spread them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI } from '@google/genai';
import { CLIENT, eventually, setup, testKey } from './support.mjs';

const MODEL = 'gemini-3.8-flash';
const text = (interaction) => interaction.steps.at(-1).content[0].text;

test('@google/genai interactions: each turn continues on the key that stored the last, streamed or not', async () => {
  const env = await setup({ keys: [testKey('int-1'), testKey('int-2'), testKey('int-3')] });
  try {
    const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url } });
    const first = await ai.interactions.create({ model: MODEL, input: 'hello' });
    assert.equal(text(first), 'Turn 1: hello');
    const owner = env.mock.requests.at(-1).key;
    const second = await ai.interactions.create({ model: MODEL, input: 'again', previous_interaction_id: first.id });
    assert.equal(text(second), 'Turn 2: again');
    let streamed = '';
    let id;
    const stream = await ai.interactions.create({ model: MODEL, input: 'on', previous_interaction_id: second.id, stream: true });
    for await (const event of stream) {
      if (event.event_type === 'step.delta') streamed += event.delta.text;
      if (event.event_type === 'interaction.completed') id = event.interaction.id;
    }
    assert.equal(streamed, 'Turn 3: on');
    const fourth = await ai.interactions.create({ model: MODEL, input: 'last', previous_interaction_id: id });
    assert.equal(text(fourth), 'Turn 4: last');
    assert.equal((await ai.interactions.get(first.id)).id, first.id);
    const calls = env.mock.requests.filter((r) => r.path.startsWith('/v1/interactions'));
    assert.equal(calls.length, 5);
    assert.ok(calls.every((r) => r.key === owner && r.status === 200), 'every turn went to the key that stored the first');
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('an interaction streamed first is learnt from its events, and its stream ends as it came', async () => {
  const env = await setup({ keys: [testKey('ints-1'), testKey('ints-2'), testKey('ints-3')] });
  try {
    const post = (body) =>
      fetch(`${env.url}/v1beta/interactions`, {
        method: 'POST',
        headers: { 'x-goog-api-key': CLIENT, 'content-type': 'application/json', 'api-revision': '2026-05-20' },
        body: JSON.stringify({ model: MODEL, ...body }),
      });
    const res = await post({ input: 'hello', stream: true });
    assert.equal(res.status, 200);
    const sse = await res.text();
    // Nothing added after Google's end (an error event would be, were the stream taken as cut).
    const events = sse.split('\n\n');
    assert.deepEqual(events.slice(-2), ['data: [DONE]', '']);
    assert.match(events.at(-3), /^event: interaction\.completed\n/);
    assert.ok(!sse.includes('"error"'));
    const id = JSON.parse(sse.split('\n').find((l) => l.startsWith('data: {')).slice(6)).interaction.id;
    const owner = env.mock.requests.at(-1).key;
    // The revision of the API the client was written against reaches Google.
    assert.equal(env.mock.requests.at(-1).headers['api-revision'], '2026-05-20');
    for (const input of ['two', 'three', 'four']) {
      const next = await post({ input, previous_interaction_id: id });
      assert.equal(next.status, 200, input);
      assert.equal(env.mock.requests.at(-1).key, owner, input);
    }
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

// Grounding has a quota of its own, and a free key may have none: an interaction with Google
// Search on such a key gets a 429 that names no quota. Once the pool knows an interaction (the
// Worker then reads Gemini bodies), that key is skipped for searches only.
test('an interaction with Google Search goes to a key with grounding; the key without it serves the rest', async () => {
  const free = testKey('int-free');
  const paid = testKey('int-paid');
  const env = await setup({ keys: [free, paid], mockOptions: { keys: { [free]: 'no_grounding' } } });
  try {
    const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url } });
    await ai.interactions.create({ model: MODEL, input: 'hello' });
    const tools = [{ type: 'google_search' }];
    // Searches between plain turns, which move the round on over both keys.
    for (let i = 0; i < 6; i++) {
      const searched = await ai.interactions.create({ model: MODEL, input: `search ${i}`, tools });
      assert.equal(text(searched), `Turn 1: search ${i}`);
      await ai.interactions.create({ model: MODEL, input: `between ${i}` });
    }
    const searches = env.mock.requests.filter((r) => r.action === 'interactions' && r.json().tools);
    assert.ok(searches.filter((r) => r.key === free).length <= 1, searches.map((r) => `${r.key === free ? 'free' : 'paid'} ${r.status}`).join(', '));
    const before = env.mock.requests.length;
    for (let i = 0; i < 4; i++) await ai.interactions.create({ model: MODEL, input: `plain ${i}` });
    assert.ok(env.mock.requests.slice(before).some((r) => r.key === free && r.status === 200), 'the free key serves plain interactions');
  } finally {
    await env.close();
  }
});

// A key's daily quota spent on an interaction's model: the 429 names that model, and the key
// cools for it alone, not for every model.
test("an interaction's daily quota cools its key for that model only", async () => {
  const spent = testKey('int-spent');
  const other = testKey('int-other');
  const env = await setup({
    keys: [spent, other],
    mockOptions: { keys: { [spent]: (req) => (req.action === 'interactions' ? 'quota_day' : null) } },
  });
  try {
    const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.url } });
    for (let i = 0; i < 2; i++) assert.equal(text(await ai.interactions.create({ model: MODEL, input: `hi ${i}` })), `Turn 1: hi ${i}`);
    assert.equal(env.mock.requests.filter((r) => r.key === spent && r.action === 'interactions').length, 1);
    const list = await eventually(async () => {
      const r = await env.adminJson('/api/keys?limit=100');
      return r.body.keys.some((k) => k.cooldowns.length) ? r : null;
    });
    assert.ok(list, 'the key cools down');
    const cooled = list.body.keys.filter((k) => k.cooldowns.length);
    assert.deepEqual(cooled.map((k) => k.cooldowns.map((c) => c.model)), [['gemini-3.8-flash']]);
  } finally {
    await env.close();
  }
});
