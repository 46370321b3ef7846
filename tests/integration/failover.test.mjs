// Failover across a mixed pool: dead keys are disabled after a try or two, limited keys
// cool down, and the client never sees any of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT, eventually, generateBody, setup, testKey } from './support.mjs';

const POOL = {
  good: ['good-1', 'good-2', 'good-3', 'good-4'].map(testKey),
  invalid: ['invalid-1', 'invalid-2'].map(testKey),
  leaked: [testKey('leaked-1')],
  suspended: [testKey('suspended-1')],
  day: ['day-1', 'day-2'].map(testKey),
  minute: ['minute-1', 'minute-2'].map(testKey),
};

function behaviours() {
  const b = {};
  for (const k of POOL.invalid) b[k] = 'invalid';
  for (const k of POOL.leaked) b[k] = 'leaked';
  for (const k of POOL.suspended) b[k] = 'suspended';
  for (const k of POOL.day) b[k] = 'quota_day';
  for (const k of POOL.minute) b[k] = { kind: 'quota_minute', retryDelay: '120s' };
  return b;
}

// One of four request shapes, in turn: native and OpenAI, streamed and not.
function request(env, i) {
  const openaiHeaders = { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' };
  const chat = (stream) => ({
    model: 'gemini-2.5-flash',
    stream,
    messages: [{ role: 'user', content: `Request ${i}` }],
  });
  switch (i % 4) {
    case 0:
      return env.client('/v1beta/models/gemini-2.5-flash:generateContent', { method: 'POST', body: generateBody(`n ${i}`) });
    case 1:
      return env.client('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
        method: 'POST',
        body: generateBody(`s ${i}`),
      });
    case 2:
      return fetch(`${env.url}/v1/chat/completions`, { method: 'POST', headers: openaiHeaders, body: JSON.stringify(chat(false)) });
    default:
      return fetch(`${env.url}/v1/chat/completions`, { method: 'POST', headers: openaiHeaders, body: JSON.stringify(chat(true)) });
  }
}

test('200 mixed requests over a pool with dead and limited keys all succeed', async () => {
  const env = await setup({ mockOptions: { keys: behaviours() } });
  try {
    const all = Object.values(POOL).flat();
    assert.equal((await env.addKeys(all)).body.added, 12);
    let attempts = 0;
    const CONCURRENCY = 4;
    for (let start = 0; start < 200; start += CONCURRENCY) {
      const batch = await Promise.all(
        Array.from({ length: CONCURRENCY }, async (_, j) => {
          const res = await request(env, start + j);
          const text = await res.text();
          return { status: res.status, attempts: Number(res.headers.get('x-balancer-attempts')), text };
        }),
      );
      for (const r of batch) {
        assert.equal(r.status, 200, `after ${r.attempts} attempt(s): ${r.text.slice(0, 300)}`);
        attempts += r.attempts;
      }
    }
    const mean = attempts / 200;
    console.log(`# mean upstream attempts per request: ${mean.toFixed(3)}`);
    assert.ok(mean < 1.5, `mean attempts ${mean}`);

    const uses = (k) => env.mock.requests.filter((q) => q.key === k).length;
    for (const k of [...POOL.invalid, ...POOL.leaked, ...POOL.suspended]) {
      assert.ok(uses(k) <= 3, `dead key used ${uses(k)} times`);
    }
    for (const k of [...POOL.day, ...POOL.minute]) {
      assert.ok(uses(k) <= 3, `limited key used ${uses(k)} times`);
    }
    const goodUses = POOL.good.map(uses);
    assert.ok(Math.min(...goodUses) >= 30, `good keys share the load: ${goodUses}`);

    const list = await eventually(async () => {
      const r = await env.adminJson('/api/keys?limit=100');
      return r.body.counts.disabled === 4 && r.body.counts.cooling === 4 ? r : null;
    });
    assert.ok(list, 'four keys disabled and four cooling down');
    const reasons = list.body.keys.filter((k) => k.status === 'disabled').map((k) => k.disabled_reason).sort();
    assert.deepEqual(reasons, ['key_invalid', 'key_invalid', 'key_leaked', 'key_suspended']);
    const stats = await eventually(async () => {
      const r = await env.adminJson('/api/stats?hours=1');
      return r.body.totals.successes === 200 ? r : null;
    });
    assert.ok(stats, 'every success recorded once');
  } finally {
    await env.close();
  }
});

test('a mid-stream upstream disconnect ends the client stream, and the Worker serves on', async () => {
  const key = testKey('mid-stream');
  const env = await setup({ keys: [key], mockOptions: { disconnectMidStream: 2 } });
  try {
    const native = await env.client('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', {
      method: 'POST',
      body: generateBody('long'),
    });
    assert.equal(native.status, 200);
    const events = (await native.text()).split('\r\n\r\n').filter((e) => e.trim());
    const last = JSON.parse(events.at(-1).slice('data: '.length));
    assert.equal(last.error.code, 502, 'the native stream ends with an error event');

    const openai = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'long' }] }),
    });
    assert.equal(openai.status, 200);
    const text = await openai.text();
    assert.match(text, /"error"/);
    assert.ok(text.trimEnd().endsWith('data: [DONE]'));

    // A JSON answer that breaks off halfway is read whole before anything is sent: it is
    // retried like a dropped connection, and with every attempt cut the client gets a clean
    // 502 instead of half a body.
    env.mock.reset();
    const cut = await env.client('/v1beta/models/gemini-2.5-flash:generateContent', { method: 'POST', body: generateBody() });
    assert.equal(cut.status, 502);
    assert.ok(Number(cut.headers.get('x-balancer-attempts')) >= 2, 'retried');
    await new Promise((r) => setTimeout(r, 1500));
    const list = await env.adminJson('/api/keys');
    assert.equal(list.body.keys[0].status, 'active', 'a broken stream never blames the key');
  } finally {
    await env.close();
  }
});

test('concurrent reports from two isolates lose nothing and a retried batch counts once', async () => {
  const key = testKey('reports');
  const env = await setup({ keys: [key] });
  try {
    const ns = await env.worker.mf.getDurableObjectNamespace('KEY_POOL');
    const id = (await env.adminJson('/api/keys')).body.keys[0].id;
    // Batches as an isolate's core sends them (events.h): ten uses of the key merged.
    const counts = { requests: 10, successes: 10, failures: 0, prompt_tokens: 20, completion_tokens: 30 };
    const batch = () =>
      JSON.stringify({
        keys: [{ id, ...counts, used_ms: Date.now(), error: null, error_ms: 0 }],
        hours: [{ id, hour_ms: Math.floor(Date.now() / 3600000) * 3600000, ...counts }],
      });
    // Two isolates, each with its own stub, 20 batches, all at once.
    const isolates = [ns.get(ns.idFromName('pool')), ns.get(ns.idFromName('pool'))];
    const sends = [];
    for (let b = 0; b < 20; b++) sends.push(isolates[b % 2].report(`batch-${b}`, batch()));
    // A batch whose answer was lost is sent again by the other isolate: counted once.
    sends.push(isolates[1].report('batch-0', batch()));
    const answers = await Promise.all(sends);
    assert.equal(answers.filter((a) => a.duplicate).length, 1);
    const list = await env.adminJson('/api/keys');
    const k = list.body.keys[0];
    assert.equal(k.requests, 200);
    assert.equal(k.successes, 200);
    assert.equal(k.prompt_tokens, 400);
    assert.equal(k.completion_tokens, 600);
  } finally {
    await env.close();
  }
});

// Google Search grounding has a quota of its own, and a free key may have none: Google then
// answers a search with a 429 that names no quota. That key still serves its model; searches
// go to the keys that have grounding, and a pool without any says so.
test('a key out of Google Search grounding is skipped for searches only, never cooled for its model', async () => {
  const free = ['free-1', 'free-2'].map(testKey);
  const paid = testKey('paid-1');
  const keys = Object.fromEntries(free.map((k) => [k, 'no_grounding']));
  const env = await setup({ mockOptions: { keys }, keys: [...free, paid] });
  const chat = (model, content) =>
    fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content }] }),
    });
  const grounded = (q) => q.action === 'generateContent' && (q.json().tools ?? []).some((t) => 'googleSearch' in t || 'google_search' in t);
  try {
    for (let i = 0; i < 4; i++) {
      const res = await chat('gemini-2.5-flash-search', `search ${i}`);
      assert.equal(res.status, 200, await res.text());
    }
    // Each free key is tried for a search once, then skipped while its grounding cools.
    const searches = env.mock.requests.filter(grounded);
    assert.equal(searches.filter((q) => free.includes(q.key)).length <= 2, true, JSON.stringify(searches.map((q) => q.key)));
    assert.equal(searches.filter((q) => q.key === paid && q.status === 200).length, 4);
    // The same model without search: the free keys serve it.
    const before = env.mock.requests.length;
    for (let i = 0; i < 6; i++) assert.equal((await chat('gemini-2.5-flash', `plain ${i}`)).status, 200);
    const plain = env.mock.requests.slice(before);
    assert.ok(plain.some((q) => free.includes(q.key) && q.status === 200), 'a free key served a plain request');
    assert.ok(plain.every((q) => q.status === 200), 'no plain request failed upstream');
    // Native: Google's own search tool goes to the key with grounding too.
    const res = await env.client('/v1beta/models/gemini-2.5-flash:generateContent', {
      method: 'POST',
      body: JSON.stringify({ contents: [{ parts: [{ text: 'native search' }] }], tools: [{ google_search: {} }] }),
    });
    assert.equal(res.status, 200, await res.text());
    // What the pool keeps: the free keys' grounding cooldowns, no cooldown for the model.
    const list = await eventually(async () => {
      const r = await env.adminJson('/api/keys?limit=100');
      const cooled = r.body.keys.filter((k) => k.cooldowns.length);
      return cooled.length === 2 ? r : null;
    });
    assert.ok(list, 'both free keys cool for grounding');
    for (const k of list.body.keys) {
      for (const c of k.cooldowns) assert.equal(c.model, 'gemini-2.5-flash+grounding');
    }
  } finally {
    await env.close();
  }
});

test('a pool without grounding answers a search with a 429 that says so, and serves the model still', async () => {
  const free = ['free-a', 'free-b'].map(testKey);
  const env = await setup({ mockOptions: { keys: Object.fromEntries(free.map((k) => [k, 'no_grounding'])) }, keys: free });
  const chat = (model) =>
    fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    });
  try {
    // Both keys tried: Google's own answer.
    let res = await chat('gemini-2.5-flash-search');
    assert.equal(res.status, 429);
    assert.equal(res.headers.get('x-balancer-attempts'), '2');
    await res.text();
    // Then no key is tried at all, and the answer names grounding.
    const before = env.mock.requests.length;
    res = await chat('gemini-2.5-flash-search');
    assert.equal(res.status, 429);
    const body = await res.json();
    assert.equal(body.error.code, 'all_keys_rate_limited');
    assert.match(body.error.message, /with grounding \(Google Search, URL context or Google Maps\)/);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
    // The OpenAI and Anthropic SDKs would retry it at once: told not to.
    assert.equal(res.headers.get('x-should-retry'), 'false');
    assert.equal(env.mock.requests.length, before);
    res = await chat('gemini-2.5-flash');
    assert.equal(res.status, 200, await res.text());
  } finally {
    await env.close();
  }
});
