// What the browser tests talk to: the real Worker in Miniflare with the mock Gemini upstream
// (tests/helpers), or, where those helpers are not available, the in-memory fake API.
// E2E_BACKEND=fake forces the fake (quick UI work); E2E_BACKEND=worker forbids the fallback.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakeServer } from './fake-api.mjs';

const HELPERS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../helpers');

// Tags put in a key's text tell the fake API how the key answers a check; the same keys are
// given to the mock Gemini as behaviours, so both back ends agree on every verdict.
export const TAG_BEHAVIOUR = { DEAD: 'invalid', LEAK: 'leaked', RATE: 'quota_minute', DAYQ: 'quota_day' };

const QUOTA = new Set(['quota_minute', 'quota_day']);

// The mock applies quota errors to model calls only, but a check probes with a free call:
// a rate-limited key answers every call with the 429 here, so the check sees it too.
function behaviourOf(key, quotaError) {
  const tag = Object.keys(TAG_BEHAVIOUR).find((name) => key.includes(name));
  const kind = tag ? TAG_BEHAVIOUR[tag] : 'ok';
  if (!QUOTA.has(kind)) return kind;
  return (req) => ({
    status: 429,
    headers: { 'content-type': 'application/json; charset=UTF-8' },
    body: quotaError[kind]({ key, model: req.model, retryDelay: '28s' }).toBody(),
  });
}

export function workerAvailable() {
  return existsSync(path.join(HELPERS, 'worker.mjs')) && existsSync(path.join(HELPERS, 'mock-gemini.mjs'));
}

// keys: the keys the test will use, so the mock knows how each one answers.
// Returns { kind, url (for the browser), fetch(path, init) (for set-up calls), dispose() }.
export async function startBackend({ adminToken, keys = [] }) {
  const wanted = process.env.E2E_BACKEND;
  if (wanted !== 'fake' && workerAvailable()) {
    const { startMockGemini } = await import(path.join(HELPERS, 'mock-gemini.mjs'));
    const { startWorker } = await import(path.join(HELPERS, 'worker.mjs'));
    const { KEY_ERRORS } = await import(path.join(HELPERS, 'mock/errors.mjs'));
    const behaviours = Object.fromEntries(keys.map((key) => [key, behaviourOf(key, KEY_ERRORS)]));
    const mock = await startMockGemini({ keys: behaviours });
    try {
      const worker = await startWorker({ adminToken, authTokens: 'e2e-client-token', geminiBase: mock.url });
      return {
        kind: 'worker',
        url: worker.url,
        fetch: worker.fetch,
        async dispose() {
          await worker.dispose();
          await mock.close();
        },
      };
    } catch (err) {
      await mock.close();
      throw err;
    }
  }
  if (wanted === 'worker') throw new Error('E2E_BACKEND=worker but tests/helpers/worker.mjs is missing');
  const fake = await startFakeServer({ adminToken: adminToken ?? null });
  return { kind: 'fake', url: fake.url, fetch: (urlPath, init) => fetch(fake.url + urlPath, init), dispose: fake.dispose };
}
