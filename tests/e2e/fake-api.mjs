// A stand-in for the Worker: serves public/ and fakes the admin API with the same shapes,
// in memory. It makes UI work and the 10 000-key render test fast, without Miniflare.
// Run alone for manual work: node tests/e2e/fake-api.mjs [--port 8790] [--seed 10000]
//
// Check results are decided by the key text: ...DEAD... invalid, ...LEAK... leaked,
// ...RATE... / ...DAYQ... rate-limited, anything else OK.

import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const PUBLIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };
const KEY = /^AIza[A-Za-z0-9_-]{35}$/;
const HOUR = 3_600_000;
const MODELS = ['gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-2.0-flash'];

export const mask = (key) => `${key.slice(0, 6)}…${key.slice(-4)}`;

// A deterministic generator (mulberry32) so seeded pools look the same on every run.
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t ^= t + Math.imul(t ^ (t >>> 7), 61 | t);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

export function makeKey(rand, tag = '') {
  let body = tag;
  while (body.length < 35) body += ALPHABET[Math.floor(rand() * ALPHABET.length)];
  return `AIza${body.slice(0, 35)}`;
}

function seedPool(state, count) {
  const rand = rng(7);
  const now = Date.now();
  for (let i = 0; i < count; i += 1) {
    const roll = rand();
    const requests = Math.floor(rand() * 5000);
    const failures = Math.floor(requests * rand() * 0.1);
    const entry = newEntry(state, makeKey(rand), now - Math.floor(rand() * 30 * 86_400_000));
    Object.assign(entry, { requests, failures, successes: requests - failures, prompt_tokens: requests * 420, completion_tokens: requests * 180 });
    entry.last_used_ms = requests ? now - Math.floor(rand() * 86_400_000) : null;
    if (roll < 0.08) Object.assign(entry, { status: 'disabled', disabled_reason: ['key_invalid', 'key_leaked', 'manual'][i % 3], last_error: 'API key not valid. Please pass a valid API key.' });
    else if (roll < 0.2) entry.cooldowns = [{ model: MODELS[i % 3], until_ms: now + Math.floor(rand() * 6 * HOUR), reason: 'quota_day' }];
  }
}

function newEntry(state, key, added) {
  const entry = { id: state.nextId++, key, status: 'active', disabled_reason: null, cooldowns: [], requests: 0, successes: 0, failures: 0, prompt_tokens: 0, completion_tokens: 0, last_used_ms: null, last_error: null, added_ms: added };
  state.keys.push(entry);
  state.byKey.set(key, entry);
  return entry;
}

function statusOf(entry, now) {
  if (entry.status === 'disabled') return 'disabled';
  return entry.cooldowns.some((c) => c.until_ms > now) ? 'cooling' : 'active';
}

function view(entry, now) {
  const { key, ...rest } = entry;
  return { ...rest, masked: mask(key), status: statusOf(entry, now), cooldowns: entry.cooldowns.filter((c) => c.until_ms > now) };
}

function counts(state, now) {
  const out = { total: state.keys.length, active: 0, cooling: 0, disabled: 0 };
  for (const entry of state.keys) out[statusOf(entry, now)] += 1;
  return out;
}

const SORTS = {
  id: (e) => e.id,
  requests: (e) => e.requests,
  failures: (e) => e.failures,
  last_used: (e) => e.last_used_ms ?? 0,
  status: (e, now) => ['active', 'cooling', 'disabled'].indexOf(statusOf(e, now)),
};

function listKeys(state, params) {
  const now = Date.now();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const limit = Math.min(500, Math.max(1, Number(params.get('limit')) || 100));
  const status = params.get('status') || 'all';
  const q = params.get('q') || '';
  const by = SORTS[params.get('sort')] ?? SORTS.id;
  const dir = params.get('order') === 'desc' ? -1 : 1;
  const rows = state.keys
    .filter((e) => (status === 'all' || statusOf(e, now) === status) && (!q || e.key.endsWith(q)))
    .sort((a, b) => (by(a, now) - by(b, now)) * dir || a.id - b.id);
  const keys = rows.slice((page - 1) * limit, page * limit).map((e) => view(e, now));
  return { keys, total: rows.length, page, limit, counts: counts(state, now) };
}

function addKeys(state, list) {
  const out = { added: 0, duplicates: 0, rejected: 0, rejected_items: [] };
  for (const raw of list) {
    const item = String(raw).trim();
    if (!KEY.test(item)) {
      out.rejected += 1;
      // Like the core: a near-key is never echoed whole.
      out.rejected_items.push(item.length >= 12 ? `${mask(item)} (${item.length} chars)` : item);
    } else if (state.byKey.has(item)) out.duplicates += 1;
    else {
      newEntry(state, item, Date.now());
      out.added += 1;
    }
  }
  return { ...out, total: state.keys.length };
}

function removeKeys(state, ids) {
  const drop = new Set(ids);
  const before = state.keys.length;
  state.keys = state.keys.filter((e) => !drop.has(e.id) || (state.byKey.delete(e.key), false));
  return { deleted: before - state.keys.length, total: state.keys.length };
}

function classify(key) {
  if (key.includes('DEAD')) return 'key_invalid';
  if (key.includes('LEAK')) return 'key_leaked';
  if (key.includes('RATE')) return 'quota_minute';
  if (key.includes('DAYQ')) return 'quota_day';
  return 'ok';
}

function emptySummary() {
  return { ok: 0, rate_limited: 0, dead: 0, error: 0, disabled: 0, by_class: {} };
}

function startCheck(state, ids, stepMs) {
  if (state.job?.running) return state.job;
  const targets = state.keys.filter((e) => !ids || ids.includes(e.id));
  const job = { running: true, total: targets.length, checked: 0, summary: emptySummary(), started_ms: Date.now(), finished_ms: null };
  state.job = job;
  const step = () => {
    for (const entry of targets.splice(0, Math.max(1, Math.ceil(job.total / 8)))) {
      const verdict = classify(entry.key);
      job.summary.by_class[verdict] = (job.summary.by_class[verdict] ?? 0) + 1;
      if (verdict === 'ok') job.summary.ok += 1;
      else if (verdict.startsWith('quota')) job.summary.rate_limited += 1;
      else {
        Object.assign(entry, { status: 'disabled', disabled_reason: verdict, last_error: `${verdict}: rejected by upstream` });
        job.summary.dead += 1;
      }
      job.checked += 1;
    }
    if (targets.length) state.timer = setTimeout(step, stepMs);
    else Object.assign(job, { running: false, finished_ms: Date.now() });
  };
  state.timer = setTimeout(step, stepMs);
  return job;
}

function stats(state, params) {
  const hours = Math.min(168, Number(params.get('hours')) || 24);
  const keyId = params.get('key_id');
  const rand = rng(keyId ? Number(keyId) : 11);
  const scale = keyId ? 1 : Math.max(1, state.keys.length);
  const last = Math.floor(Date.now() / HOUR) * HOUR;
  const rows = [];
  for (let i = hours - 1; i >= 0; i -= 1) {
    const hourOfDay = new Date(last - i * HOUR).getHours();
    const requests = state.keys.length ? Math.round(scale * (2 + Math.sin(hourOfDay / 3.8) + rand())) : 0;
    const failures = Math.round(requests * rand() * 0.08);
    rows.push({ hour_ms: last - i * HOUR, requests, successes: requests - failures, failures });
  }
  const today = rows.slice(-24);
  const sum = (field) => today.reduce((n, r) => n + r[field], 0);
  return {
    totals: { requests: sum('requests') * 7, successes: sum('successes') * 7, failures: sum('failures') * 7, prompt_tokens: 0, completion_tokens: 0, requests_today: sum('requests'), errors_today: sum('failures') },
    hours: rows,
    counts: counts(state, Date.now()),
  };
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const fail = (res, status, message, code) => send(res, status, { error: { message, code } });

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text || '{}');
  } catch {
    return { keys: text.split(/[\s,]+/).filter(Boolean) };
  }
}

async function serveStatic(res, pathname) {
  const file = path.resolve(PUBLIC, `.${pathname === '/' ? '/index.html' : pathname}`);
  if (!file.startsWith(PUBLIC + path.sep)) return fail(res, 404, 'not found', 'not_found');
  try {
    const data = await readFile(file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    res.end(data);
  } catch {
    fail(res, 404, 'not found', 'not_found');
  }
}

function sessionOf(req, state) {
  const cookie = /(?:^|;\s*)bal_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  return state.sessions.has(cookie) || (bearer && bearer === state.adminToken);
}

async function session(req, res, state) {
  if (!state.adminToken) return fail(res, 503, 'ADMIN_TOKEN is not set. Run: wrangler secret put ADMIN_TOKEN (or add it to .dev.vars locally).', 'admin_token_unset');
  if (req.method === 'POST') {
    const body = await readBody(req);
    if (body.token !== state.adminToken) return fail(res, 401, 'wrong admin token', 'unauthorized');
    const id = randomUUID();
    state.sessions.add(id);
    return send(res, 200, { ok: true, expires_ms: Date.now() + 86_400_000 }, { 'set-cookie': `bal_session=${id}; HttpOnly; SameSite=Strict; Path=/` });
  }
  if (req.method === 'DELETE') return send(res, 200, { ok: true }, { 'set-cookie': 'bal_session=; Max-Age=0; Path=/' });
  return sessionOf(req, state) ? send(res, 200, { ok: true }) : fail(res, 401, 'not signed in', 'unauthorized');
}

async function api(req, res, url, state) {
  const route = `${req.method} ${url.pathname}`;
  if (url.pathname === '/api/session') return session(req, res, state);
  if (!state.adminToken) return fail(res, 503, 'ADMIN_TOKEN is not set.', 'admin_token_unset');
  if (!sessionOf(req, state)) return fail(res, 401, 'not signed in', 'unauthorized');
  if (route === 'GET /api/keys') return send(res, 200, listKeys(state, url.searchParams));
  if (route === 'POST /api/keys') {
    const body = await readBody(req);
    const list = Array.isArray(body.keys) ? body.keys : String(body.keys ?? '').split(/[\s,]+/).filter(Boolean);
    if (list.length > 20000) return fail(res, 413, 'too many keys in one request (max 20000)', 'too_many');
    return send(res, 200, addKeys(state, list));
  }
  if (route === 'DELETE /api/keys') return send(res, 200, removeKeys(state, (await readBody(req)).ids ?? []));
  if (route === 'POST /api/keys/enable' || route === 'POST /api/keys/disable') {
    const ids = new Set((await readBody(req)).ids ?? []);
    const enable = url.pathname === '/api/keys/enable';
    let updated = 0;
    for (const e of state.keys) {
      if (!ids.has(e.id)) continue;
      Object.assign(e, enable ? { status: 'active', disabled_reason: null } : { status: 'disabled', disabled_reason: 'manual' });
      updated += 1;
    }
    return send(res, 200, { updated });
  }
  if (url.pathname === '/api/keys/check' && (req.method === 'GET' || req.method === 'POST')) {
    const ids = req.method === 'POST' ? (await readBody(req)).ids : null;
    const job = startCheck(state, ids, state.checkStepMs);
    return send(res, job.running ? 202 : 200, job);
  }
  if (route === 'GET /api/keys/check/status') return send(res, 200, state.job ?? { running: false, total: 0, checked: 0, summary: null, started_ms: null, finished_ms: null });
  if (route === 'GET /api/stats' && state.withStats) return send(res, 200, stats(state, url.searchParams));
  return fail(res, 404, 'no such route', 'not_found');
}

// options: adminToken (null to try the "not configured" screen), seed (number of keys),
// withStats (false to try a server without /api/stats), checkStepMs, port.
export async function startFakeServer({ adminToken = 'test-admin-token', seed = 0, withStats = true, checkStepMs = 150, port = 0 } = {}) {
  const state = { adminToken, withStats, checkStepMs, keys: [], byKey: new Map(), nextId: 1, sessions: new Set(), job: null, timer: null };
  seedPool(state, seed);
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://local');
    const handler = url.pathname.startsWith('/api/') ? api(req, res, url, state) : serveStatic(res, url.pathname);
    handler.catch((err) => fail(res, 500, String(err?.message ?? err), 'internal'));
  });
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    state,
    async dispose() {
      clearTimeout(state.timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name, fallback) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : fallback;
  };
  const fake = await startFakeServer({ seed: Number(arg('seed', 0)), port: Number(arg('port', 8790)), adminToken: arg('token', 'test-admin-token') });
  console.log(`fake admin API on ${fake.url} (token: ${fake.state.adminToken})`);
}
