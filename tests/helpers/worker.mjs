// Runs the real Worker for tests: in Miniflare (fast, in-process, the default) or through
// `wrangler dev` (slower; proves the wrangler.toml and the CLI flags users rely on).
//
// Always dispose in `finally`: a Miniflare or wrangler left running keeps workerd alive,
// holds its port and makes `node --test` hang after the last test.
//
//   const worker = await startWorker({ geminiBase: mock.url, adminToken: 'a', authTokens: ['t'] });
//   try {
//     const res = await worker.fetch('/v1/models', { headers: { authorization: 'Bearer t' } });
//   } finally {
//     await worker.dispose();
//   }

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Miniflare } from 'miniflare';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const COMPATIBILITY_DATE = '2026-04-20';

// The project's git-ignored temp dir: state, logs and caches of test runs go here.
const TEMP_ROOT = path.join(REPO_ROOT, '.tmp');

// A fresh dir there, removed when this process exits: a test may read what a client left in
// it until then (a client's home holds its config, logs and caches: tens of MB for some).
const tempDirs = [];
export function makeTempDir(prefix) {
  mkdirSync(TEMP_ROOT, { recursive: true });
  const dir = mkdtempSync(path.join(TEMP_ROOT, `${prefix}-`));
  if (!tempDirs.length) {
    process.once('exit', () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  tempDirs.push(dir);
  return dir;
}

// The paths wrangler.toml sends to the Worker before any asset lookup ([assets]
// run_worker_first), as Miniflare's router takes them: tests route the way a deploy does.
export function workerFirstPaths(root = REPO_ROOT) {
  const toml = readFileSync(path.join(root, 'wrangler.toml'), 'utf8');
  const m = /^run_worker_first = (\[.*\])$/m.exec(toml);
  return m ? JSON.parse(m[1]) : [];
}

/**
 * The Worker's bindings. An option left undefined leaves its binding out entirely, so a test
 * can check the "unset → 503" answers. `authTokens` may be a list (joined with commas).
 */
export function workerBindings({ geminiBase, adminToken, authTokens, vars = {} }) {
  const bindings = { ...vars };
  if (geminiBase !== undefined) bindings.GEMINI_API_BASE = geminiBase;
  if (adminToken !== undefined) bindings.ADMIN_TOKEN = adminToken;
  if (authTokens !== undefined) {
    bindings.AUTH_TOKENS = Array.isArray(authTokens) ? authTokens.join(',') : authTokens;
  }
  return bindings;
}

/**
 * Starts the Worker in Miniflare on 127.0.0.1 and a free port.
 * Options:
 *   geminiBase, adminToken, authTokens   the GEMINI_API_BASE, ADMIN_TOKEN, AUTH_TOKENS bindings
 *   vars                 further bindings ({ NAME: 'value' })
 *   persistDir           a directory for Durable Object storage: the key pool survives a
 *                        dispose() and a new startWorker() on the same dir; null = in memory
 *   root                 project root (default: this repo); scriptPath and assetsDir are
 *                        relative to it (defaults 'worker-shim/index.mjs' and 'public')
 *   compatibilityFlags   default none
 *   log                  a Miniflare Log (e.g. new Log(LogLevel.DEBUG)) to see workerd output
 *   handleRuntimeStdio   (stdout, stderr) => void: the workerd process's output streams, where
 *                        the Worker's console lines go (default: printed to this process)
 * Returns { url, mf, fetch(path, init), dispose() }. Prefer `fetch` over a plain fetch of
 * `url` (see the comment on it); `url` is for clients that must use real HTTP.
 */
export async function startWorker(options = {}) {
  const {
    persistDir = null,
    root = REPO_ROOT,
    scriptPath = 'worker-shim/index.mjs',
    assetsDir = 'public',
    compatibilityFlags = [],
    log,
    handleRuntimeStdio,
  } = options;
  const first = workerFirstPaths(root);
  const mf = new Miniflare({
    host: '127.0.0.1',
    port: 0,
    compatibilityDate: COMPATIBILITY_DATE,
    compatibilityFlags,
    modules: true,
    scriptPath: path.join(root, scriptPath),
    modulesRoot: root,
    modulesRules: [
      { type: 'ESModule', include: ['**/*.mjs'] },
      { type: 'CompiledWasm', include: ['**/*.wasm'] },
    ],
    bindings: workerBindings(options),
    durableObjects: { KEY_POOL: { className: 'KeyPool', useSQLite: true } },
    durableObjectsPersist: persistDir || false,
    assets: {
      directory: path.join(root, assetsDir),
      routerConfig: { has_user_worker: true, ...(first.length ? { static_routing: { user_worker: first } } : {}) },
    },
    cf: false,
    ...(log ? { log } : {}),
    ...(handleRuntimeStdio ? { handleRuntimeStdio } : {}),
  });
  let base;
  try {
    base = (await mf.ready).href.replace(/\/$/, '');
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  let disposing = null;
  return {
    url: base,
    mf,
    // Through Miniflare's own entry rather than a plain fetch of `url`: workerd resets a
    // keep-alive connection when a Worker answers without reading the request body, and the
    // next request that reuses that socket fails with ECONNRESET (seen here ~1 in 8 requests).
    fetch: (urlPath, init) => mf.dispatchFetch(base + urlPath, init),
    dispose() {
      disposing ??= mf.dispose();
      return disposing;
    },
  };
}

/** A free TCP port on 127.0.0.1 (there is a small race until the caller binds it). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Spawns `wrangler dev` (local mode) in its own process group and waits until it answers.
 * Options:
 *   port            default: a free port
 *   vars            { NAME: 'value' }, each passed as --var NAME:VALUE (see workerBindings)
 *   cwd             directory holding wrangler.toml (default: this repo)
 *   persistTo       state directory (default: a fresh temp dir, removed on stop)
 *   timeoutMs       how long to wait for the first answer (default 60 s)
 *   args            extra CLI arguments
 * Returns { url, port, inspectorPort, child, output(), stop() }. stop() ends the whole process
 * group.
 * Note: wrangler also reads `.dev.vars` from cwd; a --var of the same name wins over it.
 */
export async function startWranglerDev(options = {}) {
  const { vars = {}, cwd = REPO_ROOT, timeoutMs = 60000, args = [] } = options;
  const port = options.port ?? (await freePort());
  const inspectorPort = await freePort();
  const temp = makeTempDir('wrangler');
  const persistTo = options.persistTo ?? path.join(temp, 'state');
  const cli = [
    'dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    persistTo,
    '--show-interactive-dev-session=false',
    ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ...args,
  ];
  const child = spawn(path.join(REPO_ROOT, 'node_modules/.bin/wrangler'), cli, {
    cwd,
    detached: true, // its own process group, so stop() also reaches workerd
    stdio: ['ignore', 'pipe', 'pipe'],
    env: wranglerEnv(temp),
  });
  let output = '';
  const collect = (chunk) => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

  const stop = makeStopper(child, exited, temp);
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(url, exited, timeoutMs);
  } catch (error) {
    await stop();
    throw new Error(`${error.message}\n--- wrangler output ---\n${output}`);
  }
  return { url, port, inspectorPort, child, output: () => output, stop };
}

function wranglerEnv(temp) {
  for (const name of ['config', 'cache', 'tmp', 'logs'])
    mkdirSync(path.join(temp, name), { recursive: true });
  return {
    ...process.env,
    XDG_CONFIG_HOME: path.join(temp, 'config'),
    XDG_CACHE_HOME: path.join(temp, 'cache'),
    TMPDIR: path.join(temp, 'tmp'),
    WRANGLER_LOG_PATH: path.join(temp, 'logs'),
    WRANGLER_REGISTRY_PATH: path.join(temp, 'registry'),
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    FORCE_COLOR: '0',
  };
}

async function waitUntilAnswering(url, exited, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let status = null;
  exited.then((s) => {
    status = s;
  });
  while (Date.now() < deadline) {
    if (status) throw new Error(`wrangler dev exited early (code ${status.code}, signal ${status.signal})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms`);
}

function makeStopper(child, exited, temp) {
  let stopping = null;
  const signalGroup = (signal) => {
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        signalGroup('SIGTERM');
        const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
      signalGroup('SIGKILL'); // workerd children that outlived their parent
      rmSync(temp, { recursive: true, force: true });
    })();
    return stopping;
  };
}
