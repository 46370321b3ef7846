// End-to-end load: the Worker in Miniflare, the mock Gemini on 127.0.0.1, 8 concurrent
// connections per route for a fixed time. Native passthrough is the floor of this stack;
// every other route is reported as a ratio to it. Also: the cold start (the first request
// after start, which instantiates the Wasm core and loads the pool snapshot) and the mean
// number of upstream attempts over a pool with dead and rate-limited keys.
import { startMockGemini } from '../../tests/helpers/mock-gemini.mjs';
import { startWorker } from '../../tests/helpers/worker.mjs';

const ADMIN = 'bench-admin';
const CLIENT = 'bench-client';
const key = (label) => `AIzaSy${label.padStart(33, 'x')}`;

function conversation() {
  const messages = [{ role: 'system', content: 'Be brief.' }];
  const line = 'Could you explain how the balancer spreads requests over keys? 说明一下 per project.\n';
  for (let i = 0; i < 11; i++) messages.push({ role: i % 2 ? 'assistant' : 'user', content: line.repeat(7) });
  return messages;
}

const ROUTES = {
  'native passthrough': {
    path: '/v1beta/models/gemini-2.5-flash:generateContent',
    headers: { 'x-goog-api-key': CLIENT },
    body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Hello' }] }] }),
  },
  'OpenAI chat, 8 KB conversation': {
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${CLIENT}` },
    body: JSON.stringify({ model: 'gemini-2.5-flash', messages: conversation() }),
  },
  'OpenAI chat, stream': {
    path: '/v1/chat/completions',
    headers: { authorization: `Bearer ${CLIENT}` },
    body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'Hello' }] }),
  },
  'embeddings, batch of 16': {
    path: '/v1/embeddings',
    headers: { authorization: `Bearer ${CLIENT}` },
    body: JSON.stringify({ model: 'gemini-embedding-001', dimensions: 768, input: Array.from({ length: 16 }, (_, i) => `text ${i}`) }),
  },
};

async function hit(worker, route) {
  const res = await worker.fetch(route.path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...route.headers },
    body: route.body,
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${route.path} answered ${res.status}`);
}

async function load(worker, route, { seconds, connections }) {
  const latencies = [];
  const until = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await hit(worker, route);
        latencies.push(performance.now() - t0);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return { requests: latencies.length, rps: latencies.length / seconds, p50: pct(50), p99: pct(99) };
}

async function withWorker(mockOptions, fn) {
  const mock = await startMockGemini({ chunking: 'whole', ...mockOptions });
  const worker = await startWorker({ geminiBase: mock.url, adminToken: ADMIN, authTokens: CLIENT });
  try {
    return await fn(worker, mock);
  } finally {
    await worker.dispose();
    await mock.close();
  }
}

async function addKeys(worker, keys) {
  const res = await worker.fetch('/api/keys', {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ keys }),
  });
  if (res.status !== 200) throw new Error(`adding keys answered ${res.status}`);
  await res.arrayBuffer();
}

export async function benchLoad({ seconds = 5, connections = 8 } = {}) {
  return withWorker({}, async (worker) => {
    const t0 = performance.now();
    await hit(worker, ROUTES['native passthrough']).catch(() => {});
    const coldStartMs = performance.now() - t0; // answered 503 (empty pool): routing + Wasm start
    await addKeys(worker, Array.from({ length: 8 }, (_, i) => key(`load${i}`)));
    const t1 = performance.now();
    await hit(worker, ROUTES['native passthrough']);
    const firstProxiedMs = performance.now() - t1;
    const rows = [];
    for (const [name, route] of Object.entries(ROUTES)) {
      await load(worker, route, { seconds: 1, connections }); // warm-up
      rows.push({ name, ...(await load(worker, route, { seconds, connections })) });
    }
    const floor = rows[0].rps;
    for (const r of rows) r.ratio = r.rps / floor;
    return { rows, coldStartMs, firstProxiedMs, seconds, connections };
  });
}

// Mean upstream attempts per request over 4 good, 4 dead and 4 rate-limited keys.
export async function benchAttempts({ requests = 200 } = {}) {
  const behaviours = {};
  const keys = [];
  const kinds = ['ok', 'ok', 'ok', 'ok', 'invalid', 'invalid', 'leaked', 'suspended', 'quota_day', 'quota_day', 'quota_minute', 'quota_minute'];
  kinds.forEach((kind, i) => {
    const k = key(`sim${i}`);
    keys.push(k);
    if (kind !== 'ok') behaviours[k] = kind;
  });
  return withWorker({ keys: behaviours }, async (worker) => {
    await addKeys(worker, keys);
    let attempts = 0;
    let ok = 0;
    for (let i = 0; i < requests; i += 4) {
      const results = await Promise.all(
        [0, 1, 2, 3].map(async () => {
          const res = await worker.fetch(ROUTES['native passthrough'].path, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-goog-api-key': CLIENT },
            body: ROUTES['native passthrough'].body,
          });
          await res.arrayBuffer();
          return { status: res.status, attempts: Number(res.headers.get('x-balancer-attempts')) };
        }),
      );
      for (const r of results) {
        attempts += r.attempts;
        ok += r.status === 200 ? 1 : 0;
      }
    }
    return { requests, succeeded: ok, meanAttempts: attempts / requests };
  });
}
