// What users pay: the Worker's CPU per request. Two `wrangler dev` processes side by side in
// one run against the same mock Gemini: this balancer, and a floor — a 15-line JavaScript
// Worker that forwards the same Gemini request untouched. For each route, 8 connections for a
// fixed time; the workerd process's CPU time (every thread's, from /proc) before and after,
// divided by the requests served; the median of a few such rounds, the sides taking turns.
//
// The workerd process also runs Cloudflare's static-assets router (wrangler.toml's [assets],
// the admin UI), which sees every request before the Worker does; Cloudflare runs it on its
// side and does not bill it as the Worker's CPU. So each route is measured four ways: the
// floor and this balancer as configured, and each with the other's configuration (the floor
// behind the same [assets] section, the balancer without it). The two like-for-like ratios
// say what the Worker's own code costs; the as-configured ratio includes the router.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startMockGemini } from '../../tests/helpers/mock-gemini.mjs';
import { REPO_ROOT, makeTempDir, startWranglerDev } from '../../tests/helpers/worker.mjs';

const ADMIN = 'bench-admin';
const CLIENT = 'bench-client';
const KEY = `AIzaSy${'f'.repeat(33)}`;

const FLOOR_WORKER = `export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    return fetch(env.GEMINI_API_BASE + url.pathname + url.search, {
      method: request.method,
      headers: { 'content-type': 'application/json', 'x-goog-api-key': env.KEY },
      body: request.body,
    });
  },
};
`;

function conversation() {
  const messages = [{ role: 'system', content: 'Be brief.' }];
  const line = 'Could you explain how the balancer spreads requests over keys? 说明一下 per project.\n';
  for (let i = 0; i < 11; i++) messages.push({ role: i % 2 ? 'assistant' : 'user', content: line.repeat(7) });
  messages.push({ role: 'user', content: 'Hello' });
  return messages;
}

// The same conversation as Gemini's own request, for the floor.
function geminiConversation() {
  const messages = conversation();
  return {
    systemInstruction: { parts: [{ text: messages[0].content }] },
    contents: messages.slice(1).map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] })),
  };
}

const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const STREAM = '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse';
const nativeBody = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] });

// Each route: what this Worker is sent, and what the floor is sent for the same answer.
const ROUTES = [
  {
    name: 'native passthrough',
    ours: { path: GENERATE, headers: { 'x-goog-api-key': CLIENT }, body: nativeBody },
    floor: { path: GENERATE, body: nativeBody },
    target: 1.2,
  },
  {
    name: 'OpenAI chat, 8 KB, non-stream',
    ours: {
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${CLIENT}` },
      body: JSON.stringify({ model: 'gemini-2.5-flash', messages: conversation() }),
    },
    floor: { path: GENERATE, body: JSON.stringify(geminiConversation()) },
    target: 1.3,
    throughput: 0.95,
  },
  {
    name: 'OpenAI chat, streamed (20 events)',
    ours: {
      path: '/v1/chat/completions',
      headers: { authorization: `Bearer ${CLIENT}` },
      body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'twenty' }] }),
    },
    floor: { path: STREAM, body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'twenty' }] }] }) },
    target: 1.3,
  },
];

// Every workerd process under `pid`.
function workerdPids(pid) {
  const out = [];
  const children = (p) => {
    try {
      return readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const walk = (p) => {
    for (const c of children(p)) {
      try {
        if (readFileSync(`/proc/${c}/comm`, 'utf8').trim() === 'workerd') out.push(c);
      } catch {
        // gone
      }
      walk(c);
    }
  };
  walk(pid);
  return out;
}

// CPU time in ns of every thread of the processes.
function cpuNs(pids) {
  let total = 0;
  for (const pid of pids) {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // a thread that ended meanwhile
      }
    }
  }
  return total;
}

async function hit(url, req) {
  const res = await fetch(url + req.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...req.headers },
    body: req.body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${req.path} answered ${res.status}`);
}

async function load(server, req, { seconds, connections }) {
  let served = 0;
  const until = performance.now() + seconds * 1000;
  const before = cpuNs(server.pids);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        await hit(server.url, req);
        served++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  return { served, rps: served / elapsed, cpuMsPerRequest: (cpuNs(server.pids) - before) / 1e6 / served };
}

// wrangler.toml's [assets] section (up to the next blank line), its directory made absolute.
function assetsSection() {
  const toml = readFileSync(path.join(REPO_ROOT, 'wrangler.toml'), 'utf8');
  const section = /^\[assets\]\n(?:.+\n)*/m.exec(toml);
  if (!section) throw new Error('wrangler.toml has no [assets] section');
  return { toml, section: section[0].replace(/^directory = .*$/m, `directory = ${JSON.stringify(path.join(REPO_ROOT, 'public'))}`) };
}

async function startFloor(mockUrl, withAssets) {
  const dir = makeTempDir('floor');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'floor.mjs'), FLOOR_WORKER);
  writeFileSync(
    path.join(dir, 'wrangler.toml'),
    `name = "floor"\nmain = "floor.mjs"\ncompatibility_date = "2026-04-20"\n${withAssets ? `\n${assetsSection().section}` : ''}`,
  );
  return startWranglerDev({ cwd: dir, vars: { GEMINI_API_BASE: mockUrl, KEY } });
}

// This balancer with wrangler.toml as it is, or without its [assets] section.
function startOurs(vars, withAssets) {
  if (withAssets) return startWranglerDev({ cwd: REPO_ROOT, vars });
  const dir = makeTempDir('alone');
  mkdirSync(dir, { recursive: true });
  const { toml, section } = assetsSection();
  const config = toml
    .replace(/^\[assets\]\n(?:.+\n)*/m, '')
    .replace(/^main = .*$/m, `main = ${JSON.stringify(path.join(REPO_ROOT, 'worker-shim/index.mjs'))}`);
  if (config.includes('[assets]') || !section) throw new Error('could not take [assets] out of wrangler.toml');
  writeFileSync(path.join(dir, 'wrangler.toml'), config);
  return startWranglerDev({ cwd: REPO_ROOT, vars, args: ['--config', path.join(dir, 'wrangler.toml')] });
}

// Adds the bench's key. A connection reset right after wrangler dev first answers (seen once
// in a few dozen starts) is tried again, at most five times in all.
async function addKey(url, name) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(`${url}/api/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ keys: [KEY] }),
      });
    } catch (err) {
      if (attempt === 5) throw new Error(`adding the key to ${name} failed: ${err.cause?.code ?? err.message}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}

const SIDES = [
  ['floor', (mockUrl) => startFloor(mockUrl, false)],
  ['floorAssets', (mockUrl) => startFloor(mockUrl, true)],
  ['ours', (mockUrl, vars) => startOurs(vars, true)],
  ['oursAlone', (mockUrl, vars) => startOurs(vars, false)],
];

export async function benchWorkerCpu({ seconds = 3, rounds = 3, connections = 8 } = {}) {
  const mock = await startMockGemini({ chunking: 'whole' });
  const vars = { GEMINI_API_BASE: mock.url, ADMIN_TOKEN: ADMIN, AUTH_TOKENS: CLIENT };
  const started = [];
  try {
    const servers = {};
    for (const [name, start] of SIDES) {
      const w = await start(mock.url, vars);
      started.push(w);
      servers[name] = { url: w.url, pids: workerdPids(w.child.pid), ours: name.startsWith('ours') };
      if (!servers[name].pids.length) throw new Error(`no workerd process found for ${name}`);
      if (!servers[name].ours) continue;
      const res = await addKey(w.url, name);
      if (res.status !== 200) throw new Error(`adding the key answered ${res.status}`);
    }
    const rows = [];
    for (const route of ROUTES) {
      const sides = Object.entries(servers);
      // Warm-up: JIT, the pool snapshot, connections.
      for (const [, s] of sides) await load(s, s.ours ? route.ours : route.floor, { seconds: 1, connections });
      // Rounds taken in turn, each side's median kept: a machine busy with other work for a
      // while weighs on every side alike.
      const runs = Object.fromEntries(sides.map(([name]) => [name, []]));
      for (let r = 0; r < rounds; r++) {
        for (const [name, s] of sides) runs[name].push(await load(s, s.ours ? route.ours : route.floor, { seconds, connections }));
      }
      const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
      const m = {};
      for (const [name, list] of Object.entries(runs)) {
        m[name] = { cpuMsPerRequest: median(list.map((x) => x.cpuMsPerRequest)), rps: median(list.map((x) => x.rps)) };
      }
      const ratio = (a, b) => ({ cpu: a.cpuMsPerRequest / b.cpuMsPerRequest, rps: a.rps / b.rps });
      rows.push({
        name: route.name,
        ...m,
        configured: ratio(m.ours, m.floor),
        behindAssets: ratio(m.ours, m.floorAssets),
        alone: ratio(m.oursAlone, m.floor),
        target: route.target,
        throughputTarget: route.throughput,
      });
    }
    return { rows, seconds, rounds, connections };
  } finally {
    for (const w of started) await w.stop();
    await mock.close();
  }
}
