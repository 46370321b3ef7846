// Shared set-up for the integration suites: the real Worker in Miniflare against the mock
// Gemini on 127.0.0.1, with helpers for the admin API and the proxy routes.
import { startMockGemini } from '../helpers/mock-gemini.mjs';
import { startWorker } from '../helpers/worker.mjs';

export const ADMIN = 'admin-token-for-tests';
export const CLIENT = 'client-token-for-tests';
export const CLIENT2 = 'second-client-token';

// A well-formed Gemini key, distinct per label: "AIza" + 35 characters, ending with the
// label so that masked keys ("AIzaSy…abcd") tell labels apart too.
export function testKey(label) {
  const tail = label.replace(/[^A-Za-z0-9_-]/g, '_').slice(-33);
  return `AIzaSy${'x'.repeat(33 - tail.length)}${tail}`;
}

export async function setup({ mockOptions = {}, workerOptions = {}, keys = [] } = {}) {
  const mock = await startMockGemini({ forbiddenValues: [CLIENT, CLIENT2, ADMIN], ...mockOptions });
  let worker;
  try {
    worker = await startWorker({
      geminiBase: mock.url,
      adminToken: ADMIN,
      authTokens: `${CLIENT},${CLIENT2}`,
      ...workerOptions,
    });
  } catch (err) {
    await mock.close();
    throw err;
  }
  const env = {
    mock,
    worker,
    url: worker.url,
    admin(path, init = {}) {
      const headers = { authorization: `Bearer ${ADMIN}`, ...(init.headers ?? {}) };
      return fetch(`${worker.url}${path}`, { ...init, headers });
    },
    async adminJson(path, init = {}) {
      const res = await env.admin(path, init);
      return { status: res.status, body: await res.json(), headers: res.headers };
    },
    client(path, init = {}) {
      const headers = { 'x-goog-api-key': CLIENT, ...(init.headers ?? {}) };
      return fetch(`${worker.url}${path}`, { ...init, headers });
    },
    async addKeys(list) {
      return env.adminJson('/api/keys', { method: 'POST', body: JSON.stringify({ keys: list }) });
    },
    async close() {
      try {
        await worker.dispose();
      } finally {
        await mock.close();
      }
    },
  };
  if (keys.length) await env.addKeys(keys);
  return env;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Polls `fn` until it returns a truthy value (bounded).
export async function eventually(fn, { timeoutMs = 5000, everyMs = 100 } = {}) {
  const until = Date.now() + timeoutMs;
  let last;
  while (Date.now() < until) {
    last = await fn();
    if (last) return last;
    await sleep(everyMs);
  }
  return last;
}

export function generateBody(text = 'Hello') {
  return JSON.stringify({ contents: [{ role: 'user', parts: [{ text }] }] });
}
