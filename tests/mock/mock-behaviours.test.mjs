// Behaviour sequences, per-request functions, scoping, faults, recording and shutdown.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startMockGemini } from '../helpers/mock-gemini.mjs';
import { FLASH, KEY, KEY2, call, parseSse, userText } from './support.mjs';

let mock;
before(async () => {
  mock = await startMockGemini({ keys: { [KEY2]: 'leaked' } });
});
after(() => mock.close());
beforeEach(() => mock.reset());

const generate = (key = KEY, model = FLASH) =>
  call(mock, `${model}:generateContent`, { body: userText('hi'), key });
const statuses = async (n, fn) => {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await fn()).status);
  return out;
};

describe('behaviour forms', () => {
  test('options.keys apply from the start and again after reset()', async () => {
    assert.equal((await generate(KEY2)).status, 403);
    mock.setKeyBehaviour(KEY2, 'ok');
    assert.equal((await generate(KEY2)).status, 200);
    mock.reset();
    assert.equal((await generate(KEY2)).status, 403);
  });

  test('{ failTimes, with, then } and arrays advance one step per request', async () => {
    mock.setKeyBehaviour(KEY, { failTimes: 2, with: 'overloaded', then: 'ok' });
    assert.deepEqual(await statuses(4, () => generate()), [503, 503, 200, 200]);
    mock.setKeyBehaviour(KEY, ['quota_minute', 'server_error', 'ok']);
    assert.deepEqual(await statuses(4, () => generate()), [429, 500, 200, 200]);
  });

  test('a function decides per request: a kind, a raw response, or null for ok', async () => {
    mock.setKeyBehaviour(KEY, (req) => {
      if (req.model === 'gemini-2.5-pro') return 'quota_day';
      if (req.json()?.contents?.[0]?.parts?.[0]?.text === 'raw') {
        return { status: 418, body: { teapot: true } };
      }
      return null;
    });
    assert.equal((await generate(KEY, '/v1beta/models/gemini-2.5-pro')).status, 429);
    assert.equal((await generate()).status, 200);
    const raw = await call(mock, `${FLASH}:generateContent`, { body: userText('raw') });
    assert.deepEqual([raw.status, raw.json], [418, { teapot: true }]);
  });

  test('quota is per model (models: [...]) and spares countTokens and the models list', async () => {
    mock.setKeyBehaviour(KEY, { kind: 'quota_minute', models: ['gemini-2.5-flash'], retryDelay: '3s' });
    const limited = await generate();
    assert.equal(limited.json.error.details.at(-1).retryDelay, '3s');
    assert.equal((await generate(KEY, '/v1beta/models/gemini-2.5-pro')).status, 200);
    assert.equal((await call(mock, `${FLASH}:countTokens`, { body: userText('hi') })).status, 200);
    assert.equal((await call(mock, '/v1beta/models')).status, 200);
  });

  test("'no_grounding' refuses grounded generate calls only, with a 429 that names no quota", async () => {
    mock.setKeyBehaviour(KEY, 'no_grounding');
    const search = await call(mock, `${FLASH}:generateContent`, { body: { ...userText('hi'), tools: [{ googleSearch: {} }] }, key: KEY });
    assert.equal(search.status, 429);
    assert.equal(search.json.error.status, 'RESOURCE_EXHAUSTED');
    assert.ok(!search.json.error.details.some((d) => /QuotaFailure|RetryInfo/.test(d['@type'])));
    const url = await call(mock, `${FLASH}:streamGenerateContent?alt=sse`, { body: { ...userText('hi'), tools: [{ url_context: {} }] }, key: KEY });
    assert.equal(url.status, 429);
    assert.equal((await generate(KEY)).status, 200);
  });
  test('an invalid request is a 400 even on a rate-limited key; a dead key wins over both', async () => {
    mock.setKeyBehaviour(KEY, 'quota_day');
    assert.equal((await call(mock, `${FLASH}:generateContent`, { body: { bogus: 1 } })).status, 400);
    mock.setKeyBehaviour(KEY, 'invalid');
    const dead = await call(mock, `${FLASH}:generateContent`, { body: { bogus: 1 } });
    assert.equal(dead.json.error.details[0].reason, 'API_KEY_INVALID');
  });

  test('unknown kinds and options fail at once', () => {
    assert.throws(() => mock.setKeyBehaviour(KEY, 'quota_hour'), /unknown behaviour kind/);
    assert.throws(() => mock.setKeyBehaviour(KEY, { kind: 'ok', stall: 5 }), /unknown behaviour option/);
  });
});

describe('faults', () => {
  test('disconnectMidStream: N whole events, half of the next, then a dropped socket', async () => {
    mock.setKeyBehaviour(KEY, { kind: 'ok', disconnectMidStream: 2, chunking: 'whole' });
    const res = await fetch(`${mock.url}${FLASH}:streamGenerateContent?alt=sse`, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY },
      body: JSON.stringify(userText('long')),
    });
    assert.equal(res.status, 200);
    const reader = res.body.getReader();
    const received = [];
    await assert.rejects(async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        received.push(value);
      }
    });
    const text = Buffer.concat(received).toString('utf8');
    const complete = text.slice(0, text.lastIndexOf('\r\n\r\n') + 4);
    assert.equal(parseSse(complete).length, 2);
    assert.ok(text.length > complete.length, 'a partial third event was sent');
  });

  test("'html' and 'empty' are 200s a proxy must not pass off as success", async () => {
    mock.setKeyBehaviour(KEY, ['html', 'empty']);
    const html = await generate();
    assert.equal(html.status, 200);
    assert.match(html.headers.get('content-type'), /text\/html/);
    const empty = await generate();
    assert.deepEqual([empty.status, empty.text], [200, '']);
  });

  test("'disconnect' drops the connection without an answer", async () => {
    mock.setKeyBehaviour(KEY, 'disconnect');
    await assert.rejects(generate());
  });

  test('stallMs delays the first byte', async () => {
    mock.setKeyBehaviour(KEY, { kind: 'ok', stallMs: 80 });
    const started = Date.now();
    assert.equal((await generate()).status, 200);
    assert.ok(Date.now() - started >= 75);
  });

  test('close() ends a stalled request at once', async () => {
    const stalled = await startMockGemini({ stallMs: 20000 });
    const pending = call(stalled, `${FLASH}:generateContent`, { body: userText('hi') }).catch((e) => e);
    while (stalled.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    await stalled.close();
    assert.ok((await pending) instanceof Error);
    assert.ok(Date.now() - started < 1000);
  });
});

describe('recording', () => {
  test('requests keep method, path, query, lower-case headers, body and key', async () => {
    await call(mock, `${FLASH}:streamGenerateContent?alt=sse`, {
      body: userText('hi'),
      headers: { 'X-Custom': 'v' },
    });
    const [r] = mock.requests;
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/v1beta/models/gemini-2.5-flash:streamGenerateContent');
    assert.equal(r.query.get('alt'), 'sse');
    assert.equal(r.headers['x-custom'], 'v');
    assert.equal(r.key, KEY);
    assert.deepEqual(r.json(), userText('hi'));
    assert.ok(Buffer.isBuffer(r.body));
    assert.deepEqual(
      [r.model, r.action, r.kind, r.status],
      ['gemini-2.5-flash', 'streamGenerateContent', 'ok', 200],
    );
  });

  test('stats() counts per key, status, action and kind', async () => {
    mock.setKeyBehaviour(KEY, { failTimes: 1, with: 'overloaded' });
    await generate();
    await generate();
    await call(mock, '/v1beta/models', { key: null });
    const s = mock.stats();
    assert.deepEqual(s[KEY], {
      total: 2,
      byStatus: { 200: 1, 503: 1 },
      byAction: { generateContent: 2 },
      byKind: { overloaded: 1, ok: 1 },
    });
    assert.equal(s['(none)'].byStatus[403], 1);
    assert.deepEqual(mock.violations, []);
  });
});
