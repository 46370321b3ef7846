// Proves the Worker helpers on a stand-in Worker with the same shape as the real one: an ES
// module entry importing another .mjs and a .wasm, a SQLite Durable Object bound as KEY_POOL,
// static assets, and upstream calls to GEMINI_API_BASE (here: the Gemini mock).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startMockGemini } from './mock-gemini.mjs';
import { COMPATIBILITY_DATE, makeTempDir, startWorker, startWranglerDev } from './worker.mjs';

const KEY = `AIzaSy${'C'.repeat(29)}test`;

// add(i32, i32) -> i32, hand-assembled so the test needs no toolchain.
const ADD_WASM = Buffer.from(
  '0061736d01000000010701600' + '27f7f017f030201000707010361646400000a09010700200020016a0b',
  'hex',
);

const ENTRY = `
import { DurableObject } from 'cloudflare:workers';
import { bindingNames } from './names.mjs';
import addModule from './add.wasm';

const add = new WebAssembly.Instance(addModule).exports.add;

export class KeyPool extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec('CREATE TABLE IF NOT EXISTS hits (n INTEGER)');
  }
  hit() {
    this.ctx.storage.sql.exec('INSERT INTO hits VALUES (1)');
    return this.ctx.storage.sql.exec('SELECT COUNT(*) AS c FROM hits').one().c;
  }
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/env') return Response.json(bindingNames(env));
    if (url.pathname === '/add') return new Response(String(add(2, 3)));
    if (url.pathname === '/hit') {
      const pool = env.KEY_POOL.get(env.KEY_POOL.idFromName('global'));
      return new Response(String(await pool.hit()));
    }
    if (url.pathname === '/upstream') {
      const res = await fetch(env.GEMINI_API_BASE + '/v1beta/models', {
        headers: { 'x-goog-api-key': url.searchParams.get('k') },
      });
      return new Response(res.body, { status: res.status });
    }
    if (url.pathname === '/early') return new Response('no', { status: 401 }); // body unread
    return new Response('worker', { status: 404 });
  },
};
`;

const NAMES = `
export const bindingNames = (env) =>
  Object.fromEntries(['GEMINI_API_BASE', 'ADMIN_TOKEN', 'AUTH_TOKENS', 'EXTRA'].map((n) => [n, env[n] ?? null]));
`;

const WRANGLER_TOML = `
name = "helper-selftest"
main = "worker-shim/index.mjs"
compatibility_date = "${COMPATIBILITY_DATE}"

[assets]
directory = "public"
run_worker_first = ["/v1/*"]

[[durable_objects.bindings]]
name = "KEY_POOL"
class_name = "KeyPool"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["KeyPool"]
`;

function writeStandIn(root) {
  mkdirSync(path.join(root, 'worker-shim'), { recursive: true });
  mkdirSync(path.join(root, 'public'), { recursive: true });
  writeFileSync(path.join(root, 'worker-shim/index.mjs'), ENTRY);
  writeFileSync(path.join(root, 'worker-shim/names.mjs'), NAMES);
  writeFileSync(path.join(root, 'worker-shim/add.wasm'), ADD_WASM);
  writeFileSync(path.join(root, 'public/index.html'), '<!doctype html><title>admin</title>');
  mkdirSync(path.join(root, 'public/v1'), { recursive: true });
  writeFileSync(path.join(root, 'public/v1/shadow.txt'), 'asset');
  writeFileSync(path.join(root, 'public/shadow.txt'), 'asset');
  writeFileSync(path.join(root, 'wrangler.toml'), WRANGLER_TOML);
}

// Live (not zombie) processes of a process group. Orphans re-parented to a PID 1 that does not
// reap them stay as zombies, so "kill(-pgid, 0) fails" would be too strict a check.
function liveGroupMembers(pgid) {
  const live = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    const [state, , group] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(group) === pgid && state !== 'Z') live.push(Number(entry));
  }
  return live;
}

let root;
let mock;
before(async () => {
  root = makeTempDir('worker-selftest');
  writeStandIn(root);
  mock = await startMockGemini();
});
after(async () => {
  await mock.close();
  rmSync(root, { recursive: true, force: true });
});

describe('startWorker (Miniflare)', () => {
  test('bindings, modules, wasm, assets and upstream calls', async () => {
    const worker = await startWorker({
      root,
      geminiBase: mock.url,
      authTokens: ['t1', 't2'],
      vars: { EXTRA: 'x' },
    });
    try {
      assert.match(worker.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const env = await (await worker.fetch('/env')).json();
      assert.deepEqual(env, {
        GEMINI_API_BASE: mock.url,
        ADMIN_TOKEN: null,
        AUTH_TOKENS: 't1,t2',
        EXTRA: 'x',
      });
      assert.equal(await (await worker.fetch('/add')).text(), '5');
      const page = await worker.fetch('/');
      assert.match(await page.text(), /<title>admin<\/title>/);
      // run_worker_first, read from wrangler.toml: its paths reach the Worker even where a
      // file of that name exists; other files are served as assets.
      assert.equal(await (await worker.fetch('/v1/shadow.txt')).text(), 'worker');
      assert.equal(await (await worker.fetch('/shadow.txt')).text(), 'asset');
      const upstream = await worker.fetch(`/upstream?k=${KEY}`);
      assert.equal(upstream.status, 200);
      assert.equal((await upstream.json()).models.length, 50);
      assert.equal(mock.requests.at(-1).key, KEY);
    } finally {
      await worker.dispose();
    }
  });

  test('fetch() survives answers that leave the request body unread', async () => {
    const worker = await startWorker({ root });
    try {
      for (let i = 0; i < 60; i++) {
        const init = i % 2 ? { method: 'POST', body: '{"x":1}' } : {};
        const res = await worker.fetch('/early', init);
        assert.equal(res.status, 401);
        await res.text();
      }
    } finally {
      await worker.dispose();
    }
  });

  test('persistDir keeps Durable Object storage across a restart; no dir forgets it', async () => {
    const persistDir = makeTempDir('worker-persist');
    try {
      const hit = async (options) => {
        const worker = await startWorker({ root, ...options });
        try {
          return Number(await (await worker.fetch('/hit')).text());
        } finally {
          await worker.dispose();
        }
      };
      assert.equal(await hit({ persistDir }), 1);
      assert.equal(await hit({ persistDir }), 2);
      assert.equal(await hit({}), 1);
    } finally {
      rmSync(persistDir, { recursive: true, force: true });
    }
  });
});

describe('startWranglerDev', () => {
  test('serves the Worker with --var bindings and stops its process group', async () => {
    const dev = await startWranglerDev({
      cwd: root,
      vars: { ADMIN_TOKEN: 'adm', GEMINI_API_BASE: mock.url },
    });
    let pid;
    try {
      pid = dev.child.pid;
      const env = await (await fetch(`${dev.url}/env`)).json();
      assert.equal(env.ADMIN_TOKEN, 'adm');
      assert.equal(env.GEMINI_API_BASE, mock.url, 'a value containing colons survives --var');
      assert.equal(await (await fetch(`${dev.url}/hit`)).text(), '1');
    } finally {
      await dev.stop();
    }
    assert.deepEqual(liveGroupMembers(pid), [], 'no process of the group is left running');
  });
});
