// Walks every route and method with missing, wrong and the other family's credentials:
// each must be refused with 401 (503 where its secret is unset) in the route family's
// error format, and nothing may reach Gemini. The right credentials on the same routes
// are the control: they must get through, so the walk cannot pass by refusing everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import {
  ADMIN,
  CLIENT,
  assertFamilyError,
  generateBody,
  nextAddress,
  randomKey,
  request,
  setup,
} from './support.mjs';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'];
const CHAT = JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] });
const EMBED = JSON.stringify({ model: 'gemini-embedding-001', input: 'hi' });

// [path, the method that serves it, body] for every proxy route family member.
const PROXY_ROUTES = [
  ['/v1/models', 'GET'],
  ['/v1/models/gemini-2.5-flash', 'GET'],
  ['/v1/chat/completions', 'POST', CHAT],
  ['/v1/embeddings', 'POST', EMBED],
  ['/v1beta/models/gemini-2.5-flash:generateContent', 'POST', generateBody()],
  ['/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', 'POST', generateBody()],
  ['/v1beta/models/gemini-2.5-flash:countTokens', 'POST', generateBody()],
  ['/v1beta/models/gemini-embedding-001:embedContent', 'POST', JSON.stringify({ content: { parts: [{ text: 'x' }] } })],
  ['/v1beta/models', 'GET'],
  ['/v1beta/models/gemini-2.5-flash', 'GET'],
  ['/v1alpha/models', 'GET'],
  ['/v1/models/gemini-2.5-flash:generateContent', 'POST', generateBody()],
  ['/v1beta/files', 'GET'],
  ['/upload/v1beta/files', 'POST', '{}'],
  ['/models/gemini-2.5-flash', 'GET'],
];

// [path, method that serves it] for the admin API (bodies are checked only after credentials).
const ADMIN_ROUTES = [
  ['/api/keys', 'GET'],
  ['/api/keys', 'POST'],
  ['/api/keys', 'DELETE'],
  ['/api/keys/check', 'GET'],
  ['/api/keys/check', 'POST'],
  ['/api/keys/check/status', 'GET'],
  ['/api/keys/enable', 'POST'],
  ['/api/keys/disable', 'POST'],
  ['/api/stats', 'GET'],
  ['/api/session', 'GET'],
  ['/api', 'GET'],
  ['/api/nothing-here', 'GET'],
];

const isOpenAI = (path) => /^\/v1\/(models(\/[^/:]+)?|chat\/completions|embeddings)$/.test(path.split('?')[0]);
// /v1/models answers in Gemini's format to a request that authenticates the Gemini way.
const geminiWay = (path, headers) =>
  /^\/v1\/models/.test(path) && ('x-goog-api-key' in headers || 'x-goog-api-client' in headers || /[?&]key=/.test(path));
const familyOf = (path, headers = {}) =>
  path.startsWith('/api') ? 'admin' : isOpenAI(path) && !geminiWay(path, headers) ? 'openai' : 'gemini';

function withQuery(path, key) {
  return `${path}${path.includes('?') ? '&' : '?'}key=${encodeURIComponent(key)}`;
}

// A session cookie as router_admin.cpp makes it, signed with `secret`.
function sessionCookie(secret, expiresMs) {
  const mac = createHmac('sha256', secret).update(`session:${expiresMs}`).digest('hex');
  return `bal_session=${expiresMs}.${mac}`;
}

const HOUR = 3600 * 1000;

// Credentials that must not open the proxy routes: [label, headers, query key].
function badProxyCredentials() {
  return [
    ['none', {}],
    ['wrong bearer', { authorization: 'Bearer wrong-token' }],
    ['wrong x-goog-api-key', { 'x-goog-api-key': 'wrong-token' }],
    ['wrong ?key=', {}, 'wrong-token'],
    ['client token with a character more', { 'x-goog-api-key': `${CLIENT}x` }],
    ['client token with a character less', { authorization: `Bearer ${CLIENT.slice(0, -1)}` }],
    ['admin token as bearer', { authorization: `Bearer ${ADMIN}` }],
    ['admin token as x-goog-api-key', { 'x-goog-api-key': ADMIN }],
    ['admin token as ?key=', {}, ADMIN],
    ['admin session cookie', { cookie: sessionCookie(ADMIN, Date.now() + HOUR) }],
    ['a Gemini key while ALLOW_CLIENT_KEYS is off', { 'x-goog-api-key': randomKey() }],
    ['basic auth', { authorization: `Basic ${Buffer.from(`x:${CLIENT}`).toString('base64')}` }],
  ];
}

function badAdminCredentials() {
  return [
    ['none', {}],
    ['wrong bearer', { authorization: 'Bearer wrong-token' }],
    ['client token as bearer', { authorization: `Bearer ${CLIENT}` }],
    ['client token as x-goog-api-key', { 'x-goog-api-key': CLIENT }],
    ['admin token as x-goog-api-key', { 'x-goog-api-key': ADMIN }],
    ['admin token as ?key=', {}, ADMIN],
    ['admin token without the Bearer scheme', { authorization: ADMIN }],
    ['cookie signed with another secret', { cookie: sessionCookie('not-the-admin-token', Date.now() + HOUR) }],
    ['expired cookie', { cookie: sessionCookie(ADMIN, Date.now() - 1000) }],
    ['cookie valid for too long', { cookie: sessionCookie(ADMIN, Date.now() + 48 * HOUR) }],
    ['tampered cookie', { cookie: sessionCookie(ADMIN, Date.now() + HOUR).replace(/.$/, (c) => (c === '0' ? '1' : '0')) }],
    ['garbage cookie', { cookie: 'bal_session=..; bal_session=1.2.3; x=y' }],
  ];
}

// Runs `jobs` (functions returning promises) a few at a time.
async function runAll(jobs, concurrency = 8) {
  const out = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await jobs[i]();
      }
    }),
  );
  return out;
}

function send(env, method, path, headers, body) {
  const withBody = method !== 'GET' && method !== 'HEAD';
  return request(`${env.url}${path}`, {
    method,
    headers: { 'cf-connecting-ip': nextAddress(), ...headers },
    body: withBody ? (body ?? '{}') : undefined,
  });
}

function checkRefusal(res, method, path, expected, label, headers = {}) {
  const context = `${method} ${path} [${label}]`;
  assert.equal(res.status, expected, `${context}: ${res.text.slice(0, 200)}`);
  if (method !== 'HEAD') assertFamilyError(familyOf(path, headers), expected, res.text, context);
}

test('proxy routes: every method refuses missing, wrong and admin credentials with 401', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    const jobs = [];
    for (const [path, , body] of PROXY_ROUTES) {
      for (const method of METHODS) {
        for (const [label, headers, queryKey] of badProxyCredentials()) {
          const target = queryKey ? withQuery(path, queryKey) : path;
          jobs.push(async () =>
            checkRefusal(await send(env, method, target, headers, body), method, target, 401, label, headers),
          );
        }
      }
    }
    await runAll(jobs);
    assert.ok(jobs.length >= 1000, `walked ${jobs.length} requests`);
    assert.equal(env.mock.requests.length, 0, 'nothing reached Gemini');
  } finally {
    await env.close();
  }
});

test('admin routes: every method refuses missing, wrong, forged and client credentials with 401', async () => {
  const env = await setup();
  try {
    const paths = [...new Set(ADMIN_ROUTES.map(([path]) => path))];
    const jobs = [];
    for (const path of paths) {
      for (const method of METHODS) {
        for (const [label, headers, queryKey] of badAdminCredentials()) {
          const target = queryKey ? withQuery(path, queryKey) : path;
          // POST /api/session is the login itself: a wrong token in the body (the right one
          // in the headers must not count).
          const login = path === '/api/session' && method === 'POST';
          const body = login ? JSON.stringify({ token: 'wrong-token' }) : '{}';
          const logout = path === '/api/session' && method === 'DELETE';
          jobs.push(async () => {
            const res = await send(env, method, target, headers, body);
            if (!logout) return checkRefusal(res, method, target, 401, label);
            // Logging out needs no credentials: it only clears the cookie, and a cross-site
            // DELETE would need a preflight that admin routes never grant.
            assert.equal(res.status, 200, label);
            assert.match(res.headers.get('set-cookie'), /^bal_session=; .*Max-Age=0/);
            assert.deepEqual(JSON.parse(res.text), { ok: true });
          });
        }
      }
    }
    await runAll(jobs);
    for (const token of [CLIENT, `${ADMIN} `, ADMIN.toUpperCase(), '']) {
      const res = await send(env, 'POST', '/api/session', {}, JSON.stringify({ token }));
      checkRefusal(res, 'POST', '/api/session', 401, `login with ${JSON.stringify(token)}`);
      assert.equal(res.headers.get('set-cookie'), null);
    }
  } finally {
    await env.close();
  }
});

test('the right credentials get through the same routes (the walk refuses only what it should)', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    for (const [path, method, body] of PROXY_ROUTES) {
      for (const headers of [{ authorization: `Bearer ${CLIENT}` }, { 'x-goog-api-key': CLIENT }]) {
        const res = await send(env, method, path, headers, body);
        assert.ok(![401, 403, 503].includes(res.status), `${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
      }
      const res = await send(env, method, withQuery(path, CLIENT), {}, body);
      assert.ok(![401, 403, 503].includes(res.status), `${method} ${path}?key=: ${res.status}`);
    }
    const login = await send(env, 'POST', '/api/session', {}, JSON.stringify({ token: ADMIN }));
    assert.equal(login.status, 200);
    const cookie = login.headers.get('set-cookie').split(';')[0];
    for (const [path, method] of ADMIN_ROUTES.filter(([p]) => p !== '/api' && p !== '/api/nothing-here')) {
      const body = method === 'GET' ? undefined : JSON.stringify({ ids: [1] });
      for (const headers of [{ authorization: `Bearer ${ADMIN}` }, { authorization: `bearer ${ADMIN}` }, { cookie }]) {
        const res = await send(env, method, path, headers, body);
        assert.ok(![401, 403, 429, 503].includes(res.status), `${method} ${path}: ${res.status} ${res.text}`);
      }
    }
    assert.deepEqual(env.mock.violations, [], 'no token reached Gemini');
  } finally {
    await env.close();
  }
});

test('unset secrets: 503 on every route of that family, in its format, whatever the credentials', async () => {
  const env = await setup({ workerOptions: { adminToken: undefined, authTokens: undefined } });
  try {
    const jobs = [];
    for (const [path, method, body] of PROXY_ROUTES) {
      for (const headers of [{}, { 'x-goog-api-key': CLIENT }, { authorization: `Bearer ${ADMIN}` }]) {
        jobs.push(async () => {
          const res = await send(env, method, path, headers, body);
          checkRefusal(res, method, path, 503, JSON.stringify(headers), headers);
          assert.match(JSON.parse(res.text).error.message, /AUTH_TOKENS/);
        });
      }
    }
    for (const [path, method] of ADMIN_ROUTES) {
      for (const headers of [{}, { authorization: `Bearer ${ADMIN}` }]) {
        jobs.push(async () => {
          const res = await send(env, method, path, headers, method === 'GET' ? undefined : JSON.stringify({ token: ADMIN }));
          checkRefusal(res, method, path, 503, JSON.stringify(headers));
          assert.equal(JSON.parse(res.text).error.code, 'admin_token_unset');
        });
      }
    }
    await runAll(jobs);
    assert.equal(env.mock.requests.length, 0);
  } finally {
    await env.close();
  }
});

test('a preflight needs no credentials and grants nothing but CORS', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    for (const [path] of [...PROXY_ROUTES, ...ADMIN_ROUTES]) {
      const res = await send(env, 'OPTIONS', path, { origin: 'https://app.example', 'access-control-request-method': 'POST' });
      assert.equal(res.status, 204, `OPTIONS ${path}`);
      assert.equal(res.bytes.length, 0);
      const admin = path.startsWith('/api');
      assert.equal(res.headers.get('access-control-allow-origin'), admin ? null : '*', `OPTIONS ${path}`);
    }
    assert.equal(env.mock.requests.length, 0);
  } finally {
    await env.close();
  }
});
