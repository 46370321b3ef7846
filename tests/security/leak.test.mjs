// No key leaks: a run of requests over every route family with a pool of known keys — some
// of them dead in ways whose upstream error text quotes the full key — and then every
// response body, every response header and every line the Worker logged is searched for
// each pool key (whole, or its long middle part) and for the tokens.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN,
  CLIENT,
  captureLogs,
  generateBody,
  leaksIn,
  randomKey,
  request,
  setup,
  sleep,
} from './support.mjs';

const MODEL = 'gemini-2.5-flash';
const GENERATE = `/v1beta/models/${MODEL}:generateContent`;
const STREAM = `/v1beta/models/${MODEL}:streamGenerateContent?alt=sse`;
const CHAT = (stream) => JSON.stringify({ model: MODEL, stream, messages: [{ role: 'user', content: 'hi' }] });
const EMBED = JSON.stringify({ model: 'gemini-embedding-001', input: ['a', 'b'] });

// Upstream answers that quote the key in places Google's do and might: the message, the
// details, a free-form 400 and a 500.
function echoing(status, grpc, text) {
  return (req) => ({
    status,
    headers: { 'content-type': 'application/json; charset=UTF-8', 'x-echo': req.key },
    body: { error: { code: status, message: text(req.key), status: grpc, details: [{ key: req.key }] } },
  });
}

function leakyPool() {
  const named = {
    ok1: 'ok',
    ok2: 'ok',
    suspended: 'suspended',
    invalid: 'invalid',
    leaked: 'leaked',
    blocked: 'blocked',
    day: 'quota_day',
    minute: { kind: 'quota_minute', retryDelay: '30s' },
    echo400: echoing(400, 'INVALID_ARGUMENT', (k) => `Bad request for api_key:${k}`),
    echo500: echoing(500, 'INTERNAL', (k) => `Backend failed for key=${k} (consumer api_key:${k})`),
  };
  const keys = Object.fromEntries(Object.keys(named).map((name) => [name, randomKey()]));
  const behaviours = Object.fromEntries(Object.entries(named).map(([name, b]) => [keys[name], b]));
  return { keys, behaviours, all: Object.values(keys) };
}

// Records every response (status, headers, body) of a run for the final search.
function recorder(env) {
  const seen = [];
  const send = async (label, path, init = {}) => {
    const res = await request(`${env.url}${path}`, init);
    seen.push({ label, status: res.status, headers: [...res.headers], text: res.text });
    return res;
  };
  const client = (path, init = {}) =>
    send(path, path, { ...init, headers: { 'x-goog-api-key': CLIENT, 'content-type': 'application/json', ...init.headers } });
  const admin = (path, init = {}) =>
    send(path, path, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } });
  return { seen, send, client, admin };
}

function assertNoLeaks(seen, lines, secrets) {
  assert.ok(seen.length > 0);
  for (const r of seen) {
    const where = `${r.label} (${r.status})`;
    assert.deepEqual(leaksIn(r.text, secrets), [], `body of ${where}: ${r.text.slice(0, 300)}`);
    for (const [name, value] of r.headers) assert.deepEqual(leaksIn(`${name}: ${value}`, secrets), [], `header of ${where}`);
  }
  for (const line of lines) assert.deepEqual(leaksIn(line, secrets), [], `log line: ${line.slice(0, 300)}`);
}

async function proxyRound(rec) {
  for (let i = 0; i < 8; i++) {
    await rec.client(GENERATE, { method: 'POST', body: generateBody(`round ${i}`) });
    await rec.client(STREAM, { method: 'POST', body: generateBody('stream') });
    await rec.client('/v1/chat/completions', { method: 'POST', body: CHAT(i % 2 === 1) });
  }
  await rec.client(`/v1beta/models/${MODEL}:countTokens`, { method: 'POST', body: generateBody() });
  await rec.client('/v1beta/models/gemini-embedding-001:embedContent', {
    method: 'POST',
    body: JSON.stringify({ content: { parts: [{ text: 'x' }] } }),
  });
  await rec.client('/v1beta/models?pageSize=3');
  await rec.client(`/v1beta/models/${MODEL}`);
  await rec.client('/v1/models');
  await rec.client(`/v1/models/${MODEL}`);
  await rec.client('/v1/embeddings', { method: 'POST', body: EMBED });
  // Client mistakes: a bad body, an unknown model, a wrong token.
  await rec.client(GENERATE, { method: 'POST', body: JSON.stringify({ contents: [], bogus: 1 }) });
  await rec.client('/v1beta/models/no-such-model:generateContent', { method: 'POST', body: generateBody() });
  await rec.client('/v1/chat/completions', { method: 'POST', body: '{"model": 5}' });
  await rec.client('/v1beta/models', { headers: { 'x-goog-api-key': 'wrong' } });
}

async function adminRound(rec, pool) {
  const nearMiss = [`${pool.all[0]}x`, pool.all[1].slice(0, 38), pool.all[2].replace('AIza', 'AIzb')];
  await rec.admin('/api/keys', { method: 'POST', body: JSON.stringify({ keys: [...pool.all, ...nearMiss] }) });
  await rec.admin('/api/keys', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: pool.all.join('\n') });
  for (const query of ['', '?limit=1000', '?status=disabled', '?status=cooling', '?sort=failures&order=desc',
    `?q=${pool.all[3].slice(-4)}`, `?q=${encodeURIComponent(pool.all[3])}`, '?page=2&limit=3']) {
    await rec.admin(`/api/keys${query}`);
  }
  await rec.admin('/api/keys/check');
  await rec.admin('/api/keys/check/status');
  await rec.admin('/api/keys/check', { method: 'POST', body: JSON.stringify({ ids: [1, 2, 3] }) });
  await rec.admin('/api/stats?hours=24');
  await rec.admin('/api/stats?hours=1&key_id=3');
  await rec.admin('/api/keys/disable', { method: 'POST', body: JSON.stringify({ ids: [1] }) });
  await rec.admin('/api/keys/enable', { method: 'POST', body: JSON.stringify({ ids: [1] }) });
  await rec.admin('/api/keys', { method: 'DELETE', body: JSON.stringify({ keys: [pool.keys.ok2, nearMiss[0]] }) });
  await rec.admin('/api/keys', { method: 'DELETE', body: JSON.stringify({ keys: 'garbage' }) });
  await rec.send('/api/session', '/api/session', { method: 'POST', body: JSON.stringify({ token: ADMIN }) });
  await rec.send('/api/session', '/api/session', { method: 'POST', body: JSON.stringify({ token: pool.all[0] }) });
}

test('a mixed run over every route family leaks no pool key, token or key fragment', async () => {
  const pool = leakyPool();
  const logs = captureLogs();
  const env = await setup({
    mockOptions: { keys: pool.behaviours },
    workerOptions: { handleRuntimeStdio: logs.handleRuntimeStdio, vars: { MAX_ATTEMPTS: '10' } },
  });
  try {
    const rec = recorder(env);
    await adminRound(rec, pool);
    await proxyRound(rec);
    await sleep(1500); // background key events reach the Durable Object
    await adminRound(rec, pool); // listings now show last errors and disabled reasons
    await proxyRound(rec);
    await sleep(300);

    const dead = await rec.admin('/api/keys?status=disabled');
    assert.ok(JSON.parse(dead.text).total >= 3, 'the dead keys were met and disabled');
    assert.ok(env.mock.requests.some((q) => q.key === pool.keys.suspended), 'the suspended key was used');
    assert.ok(rec.seen.length >= 100, `${rec.seen.length} responses`);
    // Not a vacuous pass: upstream text quoting keys was met, in answers and in listings.
    const redacted = rec.seen.filter((r) => r.text.includes('[redacted]'));
    assert.ok(redacted.length >= 3, `${redacted.length} answers carried redacted upstream text`);
    assert.ok(redacted.some((r) => r.label.startsWith('/api/keys')), 'a listing showed a redacted last error');
    assertNoLeaks(rec.seen, logs.lines, [...pool.all, CLIENT, ADMIN]);
    assert.deepEqual(env.mock.violations, [], 'no token or key-in-URL reached Gemini');
  } finally {
    await env.close();
  }
});

test('error paths: a key whose error quotes it, every key limited, an empty pool: no leak, and logged', async () => {
  const pool = leakyPool();
  const logs = captureLogs();
  const { suspended, echo500, minute } = pool.keys;
  const env = await setup({
    mockOptions: { keys: pool.behaviours },
    workerOptions: { handleRuntimeStdio: logs.handleRuntimeStdio },
  });
  try {
    const rec = recorder(env);
    const only = async (key) => {
      await rec.admin('/api/keys', { method: 'DELETE', body: JSON.stringify({ keys: pool.all }) });
      await rec.admin('/api/keys', { method: 'POST', body: JSON.stringify({ keys: [key] }) });
    };
    await only(suspended);
    let res = await rec.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 403, 'the suspension is answered (redacted)');
    assert.match(res.text, /redacted/);
    await only(suspended);
    await rec.client('/v1/chat/completions', { method: 'POST', body: CHAT(false) });
    await only(suspended);
    await rec.client('/v1/chat/completions', { method: 'POST', body: CHAT(true) });
    await only(echo500);
    res = await rec.client(STREAM, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 500);
    await rec.client('/v1/embeddings', { method: 'POST', body: EMBED });
    await only(minute);
    for (let i = 0; i < 3; i++) {
      await rec.client(GENERATE, { method: 'POST', body: generateBody() });
      await rec.client('/v1/chat/completions', { method: 'POST', body: CHAT(false) });
    }
    assert.equal(rec.seen.at(-2).status, 429, 'every key limited');
    await rec.admin('/api/keys', { method: 'DELETE', body: JSON.stringify({ keys: pool.all }) });
    res = await rec.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 503, 'an empty pool');
    await rec.admin('/api/keys?limit=1000');
    await sleep(500);

    // The capture works: these failures were logged, redacted.
    assert.ok(logs.lines.some((l) => / 429 after /.test(l)), logs.lines.join('\n'));
    assert.ok(logs.lines.some((l) => / 503 after /.test(l)));
    assertNoLeaks(rec.seen, logs.lines, [...pool.all, CLIENT, ADMIN]);
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('keys Google writes with JSON escapes or percent-escapes are redacted too, in answers and last errors', async () => {
  const keys = [randomKey(), randomKey()];
  const escaped = (req) => {
    const json = `\\u0041${req.key.slice(1)}`;
    const url = `%41${req.key.slice(1)}`;
    // Written by hand: JSON.stringify would not keep the escape.
    const body = `{"error":{"code":500,"message":"Backend failed for ${json} (see https://x.example/?k=${url})","status":"INTERNAL","details":[{"url":"https://x.example/?k=${url}","key":"${json}"}]}}`;
    return { status: 500, headers: { 'content-type': 'application/json; charset=UTF-8' }, body };
  };
  const env = await setup({ keys, mockOptions: { keys: Object.fromEntries(keys.map((k) => [k, escaped])) } });
  try {
    const rec = recorder(env);
    let res = await rec.client(GENERATE, { method: 'POST', body: generateBody() });
    assert.equal(res.status, 500);
    assert.match(res.text, /redacted/);
    res = await rec.client('/v1/chat/completions', { method: 'POST', body: CHAT(false) });
    assert.equal(res.status, 500);
    await sleep(1500);
    const listing = await rec.admin('/api/keys');
    assert.ok(JSON.parse(listing.text).keys.every((k) => /redacted/.test(k.last_error ?? '')), listing.text);
    assertNoLeaks(rec.seen, [], [...keys, CLIENT, ADMIN]);
  } finally {
    await env.close();
  }
});
