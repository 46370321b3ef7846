// What users pay: the Worker's CPU per request. Two `wrangler dev` processes side by side in
// one run against the same mock Gemini: this balancer, and a floor — a 15-line JavaScript
// Worker that forwards the same Gemini request untouched. For each route, 8 connections for a
// fixed time; the workerd process's CPU time (every thread's, from /proc) before and after,
// divided by the requests served.
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

async function startFloor(mockUrl) {
  const dir = makeTempDir('floor');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'floor.mjs'), FLOOR_WORKER);
  writeFileSync(
    path.join(dir, 'wrangler.toml'),
    `name = "floor"\nmain = "floor.mjs"\ncompatibility_date = "2026-04-20"\n`,
  );
  return startWranglerDev({ cwd: dir, vars: { GEMINI_API_BASE: mockUrl, KEY } });
}

export async function benchWorkerCpu({ seconds = 5, connections = 8 } = {}) {
  const mock = await startMockGemini({ chunking: 'whole' });
  const ours = await startWranglerDev({
    cwd: REPO_ROOT,
    vars: { GEMINI_API_BASE: mock.url, ADMIN_TOKEN: ADMIN, AUTH_TOKENS: CLIENT },
  });
  const floor = await startFloor(mock.url);
  try {
    const res = await fetch(`${ours.url}/api/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ keys: [KEY] }),
    });
    if (res.status !== 200) throw new Error(`adding the key answered ${res.status}`);
    const servers = {
      ours: { url: ours.url, pids: workerdPids(ours.child.pid) },
      floor: { url: floor.url, pids: workerdPids(floor.child.pid) },
    };
    if (!servers.ours.pids.length || !servers.floor.pids.length) throw new Error('no workerd process found');
    const rows = [];
    for (const route of ROUTES) {
      // Warm-up: JIT, the pool snapshot, connections.
      await load(servers.floor, route.floor, { seconds: 1, connections });
      await load(servers.ours, route.ours, { seconds: 1, connections });
      const f = await load(servers.floor, route.floor, { seconds, connections });
      const o = await load(servers.ours, route.ours, { seconds, connections });
      rows.push({
        name: route.name,
        floor: f,
        ours: o,
        cpuRatio: o.cpuMsPerRequest / f.cpuMsPerRequest,
        rpsRatio: o.rps / f.rps,
        target: route.target,
        throughputTarget: route.throughput,
      });
    }
    return { rows, seconds, connections };
  } finally {
    await ours.stop();
    await floor.stop();
    await mock.close();
  }
}
