// Malformed and malicious requests, table-driven: path tricks (encoded, absolute-form,
// over a raw socket so nothing normalises them first), header tricks, huge and deep bodies,
// wrong types, invalid UTF-8, giant key lists, bad cookies. Each must get its 4xx in the
// route family's format — never a 500 from the Worker, never a hang — nothing may leave
// the Gemini path families upstream, and the Worker must still serve normal requests after.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ADMIN,
  CLIENT,
  assertFamilyError,
  captureLogs,
  dispatch,
  generateBody,
  nextAddress,
  randomKey,
  rawRequest,
  request,
  setup,
} from './support.mjs';

const MAX_BODY = 1 << 20;
const T = `x-goog-api-key: ${CLIENT}\r\n`;
const A = `authorization: Bearer ${ADMIN}\r\n`;
const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const COUNT = '/v1beta/models/gemini-2.5-flash:countTokens';
const CHAT = '/v1/chat/completions';

// One HTTP/1.1 request as bytes (latin1, so any byte can be written).
function raw(target, headers = '', { method = 'GET', body, version = 'HTTP/1.1', host = 'Host: 127.0.0.1\r\n' } = {}) {
  const length = body === undefined ? '' : `Content-Length: ${Buffer.byteLength(body, 'latin1')}\r\n`;
  const address = `cf-connecting-ip: ${nextAddress()}\r\n`;
  return Buffer.from(`${method} ${target} ${version}\r\n${host}${address}${headers}${length}Connection: close\r\n\r\n${body ?? ''}`, 'latin1');
}

function chunked(target, headers, chunks) {
  return Buffer.from(
    `POST ${target} HTTP/1.1\r\nHost: x\r\ncf-connecting-ip: ${nextAddress()}\r\n${headers}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunks}`,
    'latin1',
  );
}

// Rows: { name, raw | fetch: [path, init], status, family? (checks the error format),
// before? (refused by the runtime's HTTP parser before any Worker code runs; see below) }.
const PATHS = [
  { name: 'encoded slashes climbing out', raw: raw('/v1beta/models/..%2f..%2fapi/keys', T), status: 400, family: 'gemini' },
  { name: 'encoded dots normalised onto /api', raw: raw('/v1beta/models/%2e%2e/%2e%2e/api/keys', T), status: 401, family: 'admin' },
  { name: 'encoded dot-dot-slash in one segment', raw: raw('/v1beta/%2E%2E%2Fapi', T), status: 400, family: 'gemini' },
  { name: 'backslashes normalised onto /api', raw: raw('/v1beta/models\\..\\..\\api\\keys', T), status: 401, family: 'admin' },
  { name: 'encoded backslashes', raw: raw('/v1beta/models%5c..%5capi', T), status: 400, family: 'gemini' },
  { name: 'leading double slash', raw: raw('//v1beta/models', T), status: 400, family: 'gemini' },
  { name: 'inner double slash', raw: raw('/v1beta//models', T), status: 400, family: 'gemini' },
  { name: 'encoded NUL', raw: raw('/v1beta/models/%00', T), status: 400, family: 'gemini' },
  { name: 'encoded CRLF in the path', raw: raw('/v1beta/models/%0d%0aX-Injected:%201', T), status: 400, family: 'gemini' },
  { name: 'double-encoded dots', raw: raw('/v1beta/models/%252e%252e/x', T), status: 400, family: 'gemini' },
  { name: '/upload/.. onto /api', raw: raw('/upload/../api/keys', T), status: 401, family: 'admin' },
  { name: 'encoded slash inside a name', raw: raw('/v1beta/models/x%2Fgenerate', T), status: 400, family: 'gemini' },
  { name: '%u-encoded dots', raw: raw('/v1beta/%u002e%u002e/api', T), status: 400, family: 'gemini' },
  { name: 'climbing to /etc/passwd', raw: raw('/%2e%2e/%2e%2e/etc/passwd', T), status: 404, family: 'admin' },
  { name: 'a 5000-byte path', raw: raw(`/v1beta/${'a'.repeat(5000)}`, T), status: 400, family: 'gemini' },
  { name: 'encoded slash after /api', raw: raw('/api/..%2fv1beta/models', A), status: 400, family: 'admin' },
  { name: 'encoded NUL on an admin route', raw: raw('/api/keys%00', A), status: 400, family: 'admin' },
  { name: 'not an API path', raw: raw('/.env', T), status: 404, family: 'admin' },
  { name: 'encoded slash in an OpenAI model id', fetch: ['/v1/models/..%2F..%2Fapi%2Fkeys', { headers: { authorization: `Bearer ${CLIENT}` } }], status: 400 },
];

// Refused by the local runtime's HTTP front end before any Worker code runs (workerd answers
// 400/431/501, or a bare "Internal Server Error" for targets it cannot turn into a URL); on
// Cloudflare the edge refuses them. What matters here: the Worker never sees them, nothing
// goes upstream, no hang, and the Worker keeps serving.
const BEFORE = [
  { name: 'absolute-form target to another host', raw: raw('http://evil.example/v1beta/models', T) },
  { name: 'absolute-form target to this host', raw: raw('http://127.0.0.1/api/keys', A) },
  { name: 'target without a leading slash', raw: raw('evil.example/v1beta/models', T) },
  { name: 'asterisk-form OPTIONS', raw: raw('*', '', { method: 'OPTIONS' }) },
  { name: 'CONNECT to another host', raw: raw('evil.example:443', '', { method: 'CONNECT' }) },
  { name: 'unknown method', raw: raw('/v1beta/models', T, { method: 'FOO' }) },
  { name: 'TLS handshake bytes', raw: Buffer.from('\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n', 'latin1') },
  { name: 'CR inside the request line', raw: Buffer.from(`GET /v1beta/mo\rdels HTTP/1.1\r\nHost: x\r\n${T}\r\n`, 'latin1') },
  { name: 'space in a header name', raw: raw('/v1beta/models', `Bad Header: x\r\n${T}`) },
  { name: 'NUL in a header value', raw: raw('/v1beta/models', `x-goog-api-key: ${CLIENT}\0evil\r\n`) },
  { name: 'a 200 KB header', raw: raw('/v1beta/models', `x-big: ${'a'.repeat(200000)}\r\n${T}`) },
  { name: 'HTTP/1.1 without Host', raw: raw('/v1beta/models', T, { host: '' }) },
  { name: 'two Host headers', raw: raw('/v1beta/models', T, { host: 'Host: 127.0.0.1\r\nHost: evil.example\r\n' }) },
  { name: 'negative Content-Length', raw: raw(COUNT, `${T}Content-Length: -1\r\n`, { method: 'POST' }) },
  { name: 'conflicting Content-Lengths', raw: raw(COUNT, `${T}Content-Length: 5\r\nContent-Length: 7\r\n`, { method: 'POST' }) },
];

const deep = (n) => '['.repeat(n);
const deepObject = (n) => '{"a":'.repeat(n);
const utf8Bad = (json) => Buffer.from(json, 'latin1');
const post = (path, body, headers = {}) => [path, { method: 'POST', headers, body }];
const client = { 'x-goog-api-key': CLIENT, 'content-type': 'application/json' };
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const big = 'x'.repeat(MAX_BODY + 4096);
const chatOf = (extra) => JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }], ...extra });
const manyKeys = (n) => Array.from({ length: n }, (_, i) => `AIza${String(i).padStart(35, '0')}`);

const BODIES = [
  { name: 'oversized native body', fetch: post(GENERATE, big, client), status: 413, family: 'gemini' },
  { name: 'oversized chat body', fetch: post(CHAT, big, client), status: 413, family: 'openai' },
  { name: 'oversized admin body', fetch: post('/api/keys', big, admin), status: 413, family: 'admin' },
  { name: 'oversized body without credentials', fetch: post(GENERATE, big), status: 401, family: 'gemini' },
  { name: 'chat: 100000 [', fetch: post(CHAT, deep(100000), client), status: 400, family: 'openai' },
  { name: 'embeddings: 50000 nested objects', fetch: post('/v1/embeddings', deepObject(50000), client), status: 400, family: 'openai' },
  { name: 'add keys: 100000 [', fetch: post('/api/keys', deep(100000), admin), status: 400, family: 'admin' },
  { name: 'delete keys: 100000 {', fetch: ['/api/keys', { method: 'DELETE', headers: admin, body: '{'.repeat(100000) }], status: 400, family: 'admin' },
  { name: 'enable: 50000 nested objects', fetch: post('/api/keys/enable', deepObject(50000), admin), status: 400, family: 'admin' },
  { name: 'login: 100000 [ (past the login cap)', fetch: post('/api/session', deep(100000)), status: 413, family: 'admin' },
  { name: 'native: 100000 [ (Gemini refuses it)', fetch: post(GENERATE, deep(100000), client), status: 400, family: 'gemini' },
  { name: 'chat: model is a number', fetch: post(CHAT, JSON.stringify({ model: 5, messages: [] }), client), status: 400, family: 'openai' },
  { name: 'chat: messages is a string', fetch: post(CHAT, JSON.stringify({ model: 'gemini-2.5-flash', messages: 'hi' }), client), status: 400, family: 'openai' },
  { name: 'chat: stream is a string', fetch: post(CHAT, chatOf({ stream: 'yes' }), client), status: 400, family: 'openai' },
  { name: 'chat: body is null', fetch: post(CHAT, 'null', client), status: 400, family: 'openai' },
  { name: 'chat: body is an array', fetch: post(CHAT, '[]', client), status: 400, family: 'openai' },
  { name: 'chat: empty body', fetch: post(CHAT, '', client), status: 400, family: 'openai' },
  { name: 'chat: truncated JSON', fetch: post(CHAT, '{"model":', client), status: 400, family: 'openai' },
  { name: 'chat: model climbing paths', fetch: post(CHAT, chatOf({ model: '../../api/keys' }), client), status: 400, family: 'openai' },
  { name: 'chat: model carrying a query', fetch: post(CHAT, chatOf({ model: 'gemini-2.5-flash:x?key=y#' }), client), status: 400, family: 'openai' },
  { name: 'embeddings: input is an object', fetch: post('/v1/embeddings', JSON.stringify({ model: 'gemini-embedding-001', input: {} }), client), status: 400, family: 'openai' },
  { name: 'chat: invalid UTF-8 bytes', fetch: post(CHAT, utf8Bad('{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"\xff\xfe"}]}'), client), status: 400, family: 'openai' },
  { name: 'chat: overlong UTF-8', fetch: post(CHAT, utf8Bad('{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"\xc0\xaf"}]}'), client), status: 400, family: 'openai' },
  { name: 'chat: unpaired surrogate escape', fetch: post(CHAT, '{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"\\ud800"}]}', client), status: 400, family: 'openai' },
  { name: 'add keys: invalid UTF-8 text', fetch: post('/api/keys', utf8Bad('AIza\xff\xfe\xfd'), admin), status: 400, family: 'admin' },
  { name: 'login: invalid UTF-8', fetch: post('/api/session', utf8Bad('{"token":"\xff"}')), status: 400, family: 'admin' },
  { name: 'login: token is a number', fetch: post('/api/session', '{"token": 5}'), status: 400, family: 'admin' },
  { name: 'add keys: truncated JSON', fetch: post('/api/keys', '{"keys": [', admin), status: 400, family: 'admin' },
  { name: 'add keys: keys is a number', fetch: post('/api/keys', '{"keys": 5}', admin), status: 400, family: 'admin' },
  { name: 'delete: ids are strings', fetch: ['/api/keys', { method: 'DELETE', headers: admin, body: '{"ids": ["1"]}' }], status: 400, family: 'admin' },
  { name: 'enable: an id past every number', fetch: post('/api/keys/enable', '{"ids": [1e400]}', admin), status: 400, family: 'admin' },
  { name: 'disable: 150000 ids', fetch: post('/api/keys/disable', JSON.stringify({ ids: Array(150000).fill(1) }), admin), status: 413, family: 'admin' },
  { name: 'add keys: 25000 lines of text', fetch: post('/api/keys', manyKeys(25000).join('\n'), { ...admin, 'content-type': 'text/plain' }), status: 413, family: 'admin' },
  { name: 'add keys: a JSON array of 20001', fetch: post('/api/keys', JSON.stringify(manyKeys(20001)), admin), status: 413, family: 'admin' },
  { name: 'add keys: a JSON array of 150000', fetch: post('/api/keys', JSON.stringify(Array(150000).fill('k')), admin), status: 413, family: 'admin' },
];

const sessionHeaders = (cookie) => ({ cookie, 'cf-connecting-ip': nextAddress() });
const HEADERS = [
  { name: 'forged session cookie', fetch: ['/api/keys', { headers: sessionHeaders(`bal_session=${Date.now() + 3600e3}.${'0'.repeat(64)}`) }], status: 401, family: 'admin' },
  { name: 'session cookie with an overflowing expiry', fetch: ['/api/keys', { headers: sessionHeaders(`bal_session=${'9'.repeat(40)}.ab`) }], status: 401, family: 'admin' },
  { name: 'many session cookies', fetch: ['/api/keys', { headers: sessionHeaders(Array.from({ length: 200 }, (_, i) => `bal_session=${i}.x`).join('; ')) }], status: 401, family: 'admin' },
  { name: 'an 8 KB junk cookie', fetch: ['/api/stats', { headers: sessionHeaders(`bal_session=${'%'.repeat(8000)}`) }], status: 401, family: 'admin' },
  { name: 'a 60 KB cookie on a proxy route', raw: raw('/v1beta/models', `cookie: ${'a'.repeat(60000)}\r\n`), status: 401, family: 'gemini' },
  { name: 'a 60 KB bearer', raw: raw('/v1beta/models', `authorization: Bearer ${'a'.repeat(60000)}\r\n`), status: 401, family: 'gemini' },
  { name: '300 headers', raw: raw('/v1beta/models', Array.from({ length: 300 }, (_, i) => `x-h${i}: v\r\n`).join('')), status: 401, family: 'gemini' },
  { name: 'folded header continuing the token', raw: raw('/v1beta/models', `x-goog-api-key: ${CLIENT}\r\n folded\r\n`), status: 401, family: 'gemini' },
  { name: 'latin1 bytes in the token', raw: raw('/v1beta/models', `x-goog-api-key: ${CLIENT}\xff\r\n`), status: 401, family: 'gemini' },
  { name: 'a thousand ?key= guesses', fetch: [`/v1beta/models?${Array.from({ length: 1000 }, (_, i) => `key=g${i}`).join('&')}`, {}], status: 401, family: 'gemini' },
  { name: 'malformed ?key= escape', fetch: ['/v1beta/models?key=%ZZ', {}], status: 401, family: 'gemini' },
  { name: 'TRACE with a valid token is not forwarded', raw: raw('/v1beta/models', T, { method: 'TRACE' }), status: 405, family: 'gemini' },
  { name: 'TRACE without a token', raw: raw('/v1beta/models', '', { method: 'TRACE' }), status: 401, family: 'gemini' },
  { name: 'a body with a broken chunk size (native)', raw: chunked(COUNT, T, 'zz\r\nabc\r\n0\r\n\r\n'), status: 400, family: 'gemini' },
  { name: 'a body with a broken chunk size (chat)', raw: chunked(CHAT, T, 'zz\r\nabc\r\n0\r\n\r\n'), status: 400, family: 'openai' },
  { name: 'a body with a broken chunk size (admin)', raw: chunked('/api/keys', A, 'zz\r\nabc\r\n0\r\n\r\n'), status: 400, family: 'admin' },
  // A bare CR ends a header line for the runtime: the "injected" header is the client's own,
  // and it must still not travel upstream (checked after the table).
  { name: 'CR-injected cookie header', raw: raw('/v1beta/models/no-such-model:generateContent', `${T}x-goog-api-client: a\rcookie: stolen=1\r\nx-injected: yes\r\n`, { method: 'POST', body: generateBody() }), status: 404 },
  { name: 'encoded CRLF in the query', raw: raw('/v1beta/models/no-such-model?x=%0d%0aSet-Cookie:%20a=1', T), status: 400, family: 'gemini' },
];

// A Worker may answer a big body before reading all of it (401, 413); the runtime then closes
// the connection with bytes still unread, the kernel resets it, and a loaded machine can drop
// the answer before the client reads it (ECONNRESET). Such a send is tried again, at most
// three times in all: what the Worker answers is the same each time.
async function send(env, port, row) {
  for (let tries = 1; ; tries++) {
    try {
      if (row.raw) return await rawRequest(port, row.raw);
      const [path, init] = row.fetch;
      const headers = { 'cf-connecting-ip': nextAddress(), ...(init.headers ?? {}) };
      return await dispatch(env, path, { ...init, headers });
    } catch (err) {
      if (err.cause?.code === 'ECONNRESET' && tries < 3) continue;
      throw new Error(`${row.name}: ${err.message}${err.cause ? ` (${err.cause.code ?? err.cause.message})` : ''}`);
    }
  }
}

function bodyText(res) {
  return res.text ?? (res.body ? res.body.toString('utf8') : '');
}

test('hostile requests: each gets its 4xx in the right format, never a Worker 500 or a hang', async () => {
  const logs = captureLogs();
  const env = await setup({
    keys: [randomKey()],
    workerOptions: { vars: { MAX_BODY_BYTES: String(MAX_BODY) }, handleRuntimeStdio: logs.handleRuntimeStdio },
  });
  const port = new URL(env.url).port;
  try {
    const rows = [...PATHS, ...BODIES, ...HEADERS];
    assert.ok(rows.length + BEFORE.length >= 50, `${rows.length + BEFORE.length} cases`);
    for (const row of rows) {
      const res = await send(env, port, row);
      const text = bodyText(res);
      assert.equal(res.status, row.status, `${row.name}: ${res.status} ${text.slice(0, 200)}`);
      if (row.family) assertFamilyError(row.family, row.status, text, row.name);
    }
    const upstreamBefore = env.mock.requests.length;
    for (const row of BEFORE) {
      const res = await send(env, port, row);
      const text = bodyText(res);
      const runtime = [400, 431, 501].includes(res.status) || (res.status === 500 && text === 'Internal Server Error');
      assert.ok(runtime, `${row.name}: ${res.status} ${text.slice(0, 200)}`);
      assert.equal(text.startsWith('{'), false, `${row.name}: the Worker answered it`);
    }
    assert.equal(env.mock.requests.length, upstreamBefore, 'nothing the runtime refused went upstream');

    // Upstream saw only Gemini paths, none of the injected or identifying headers, no token.
    for (const q of env.mock.requests) {
      assert.match(q.path, /^\/(v1beta|v1alpha|v1|upload)\//, q.url);
      assert.ok(!q.path.includes('..') && !q.url.includes('/api/'), q.url);
      for (const h of ['cookie', 'x-injected', 'set-cookie', 'authorization', 'cf-connecting-ip', 'origin']) {
        assert.equal(q.headers[h], undefined, `${h} reached upstream on ${q.url}`);
      }
    }
    assert.deepEqual(env.mock.violations, []);
    assert.deepEqual(logs.lines.filter((l) => /internal error/i.test(l)), [], 'the Worker never failed inside');

    // Still serving.
    let res = await request(`${env.url}${GENERATE}`, { method: 'POST', headers: client, body: generateBody() });
    assert.equal(res.status, 200);
    res = await request(`${env.url}/v1beta/models?pageSize=2`, { headers: client });
    assert.equal(res.status, 200);
    res = await request(`${env.url}/api/keys`, { headers: admin });
    assert.equal(res.status, 200);
    assert.equal(JSON.parse(res.text).total, 1, 'no hostile request added or removed keys');
  } finally {
    await env.close();
  }
});
