// The key pool at the edge. Two parts:
// 1. What the core pays (core.wasm, through core.mjs as the Worker calls it): loading a whole
//    pool of 10,000 keys against a slice, and applying a batch of 100 changes.
// 2. A simulation: the real KeyPool Durable Object (Miniflare, the Worker's own script), 10,000
//    keys, 50 isolates (each its own pool-client.mjs and core.wasm instance in this process,
//    see isolate-hooks.mjs), requests at 200 per second for 60 s of real time spread at random
//    over the isolates, each driven through the request machine as worker-shim/index.mjs
//    drives it (up to 8 keys a request). Upstream is a function: 20 % of the keys are
//    rate-limited at any moment and a fresh 20 % each minute (a limit lasts 60 s), answering
//    429 with Google's per-minute quota body; the rest 200.
// Prints JSON on stdout.
//   node --import ./scripts/wasm-loader.mjs scripts/bench/pool.mjs [--seconds 60] [--keys 10000]
// (--keys: the pool's size, to see what the object's calls cost at another size)
import { register } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import { CoreRequest, call, callRemembered, tables } from '../../worker-shim/core.mjs';
import { startWorker } from '../../tests/helpers/worker.mjs';

register('./isolate-hooks.mjs', import.meta.url);

const KEYS = Number(process.argv[process.argv.indexOf('--keys') + 1]) || 10_000;
const ISOLATES = 50;
const RATE = 200;
const LIMITED_SHARE = 0.2;
const LIMIT_MS = 60_000;
const MODEL = 'gemini-2.5-flash';
const TOKEN = 'bench';
const BINDINGS = JSON.stringify({ AUTH_TOKENS: TOKEN, ADMIN_TOKEN: TOKEN, GEMINI_API_BASE: 'https://up.bench', MAX_ATTEMPTS: '8' });
const REPLY = new TextEncoder().encode('{"candidates":[{"content":{"parts":[{"text":"Hi"}],"role":"model"},"finishReason":"STOP"}]}');
const BODY = new TextEncoder().encode('{"contents":[{"parts":[{"text":"Hi"}]}]}');

const key = (i) => `AIzaSy${String(i).padStart(33, '0')}`;
const quantile = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : 0);

// One generateContent request for `model` through an isolate's core, as index.mjs drives it:
// `upstream(id)` is Google's answer for key id ({ status, body }), `pool(task)` carries out a
// POOL task, `done(flags)` is the housekeeping after the answer. Returns the answer's status.
async function drive(core, { model = MODEL, upstream, pool, done }) {
  const { ABI } = core;
  const A = ABI.action;
  const E = ABI.event;
  const req = new core.CoreRequest({
    METHOD: 'POST',
    PATH: `/v1beta/models/${model}:generateContent`,
    HEADERS: `x-goog-api-key\n${TOKEN}\n`,
    ORIGIN: 'https://worker.bench',
    NOW: Date.now(),
    RANDOM: '0123456789abcdef0123456789abcdef',
  });
  const answers = new Map();
  let a = req.action;
  try {
    for (;;) {
      const NOW = Date.now();
      if (a.KIND === A.RESPOND) {
        done(a.FLAGS ?? 0);
        return a.STATUS;
      }
      if (a.KIND === A.READ_BODY) {
        a = req.feed({ KIND: E.BODY, BODY, NOW });
      } else if (a.KIND === A.READ_UPSTREAM) {
        a = req.feed({ KIND: E.UPSTREAM_BODY, SLOT: a.SLOT, BODY: answers.get(a.SLOT).body, NOW });
      } else if (a.KIND === A.TASKS) {
        const [task] = a.TASK;
        if (task.KIND === ABI.task.POOL) {
          const ok = await pool(task).then(() => 1, () => 0);
          a = req.feed({ KIND: E.POOL_READY, SLOT: task.SLOT, OK: ok, NOW: Date.now() });
        } else {
          const id = Number(task.HEADERS.split('\n').find((l) => l.startsWith('AIza')).slice(6));
          const answer = upstream(id);
          answers.set(task.SLOT, answer);
          a = req.feed({ KIND: E.UPSTREAM_HEAD, SLOT: task.SLOT, STATUS: answer.status, HEADERS: 'content-type\napplication/json\n', NOW });
        }
      } else {
        throw new Error(`unexpected action ${a.KIND}`);
      }
    }
  } finally {
    req.close();
  }
}

// ---- 1. the core ----------------------------------------------------------------------

function pool(n, slice = '0 0') {
  const lines = [`T ${n}`, `W ${slice}`];
  for (let i = 1; i <= n; i++) lines.push(`K ${i} ${key(i)} a`);
  return lines.join('\n');
}

// CPU milliseconds (this process: the core's work and core.mjs around it), which a busy
// machine does not inflate as it does wall time.
function cpuMs(fn) {
  const started = process.cpuUsage();
  fn();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

function medianMs(fn, reps) {
  for (let i = 0; i < 3; i++) fn();
  const times = Array.from({ length: reps }, () => cpuMs(fn)).sort((a, b) => a - b);
  return quantile(times, 0.5);
}

// 100 changes of every kind an isolate is sent: cooldowns (most of them), disables, enables,
// new keys, removals, affinities learnt and forgotten.
function changeBatch(state, rand) {
  const lines = [];
  const some = () => 1 + Math.floor(rand() * state.top);
  for (let i = 0; i < 50; i++) lines.push(`C ${some()} ${rand() < 0.2 ? '*' : MODEL} ${Date.now() + 30_000 + Math.floor(rand() * 60_000)}`);
  for (let i = 0; i < 10; i++) lines.push(`D ${some()}`);
  for (let i = 0; i < 10; i++) {
    const id = some();
    lines.push(`K ${id} ${key(id)} a`);
  }
  for (let i = 0; i < 10; i++) lines.push(`K ${++state.top} ${key(state.top)} a`);
  for (let i = 0; i < 5; i++) lines.push(`R ${some()}`);
  for (let i = 0; i < 10; i++) lines.push(`A ${some()} files/f${state.files++}`);
  for (let i = 0; i < 5; i++) lines.push(`F files/f${Math.floor(rand() * state.files)}`);
  return lines.join('\n');
}

function rng(seed) {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

// A request that picks a key for `model` (its model index is then built and kept current).
const pick = (model) =>
  drive({ ABI: tables(), CoreRequest }, { model, upstream: () => ({ status: 200, body: REPLY }), pool: async () => {}, done: () => {} });

export async function benchCore() {
  callRemembered('CONFIGURE', { BODY: BINDINGS });
  const load = (text, version) => call('POOL_LOAD', { SEED: 1, VERSION: version, NOW: Date.now(), BODY: text });
  const rows = {};
  const full = pool(KEYS);
  rows.full = { keys: KEYS, bytes: full.length, rawKeyBytes: KEYS * key(1).length };
  rows.full.loadMs = medianMs(() => load(full, 1), 21);
  const slice = pool(64, '1 65');
  rows.slice = { keys: 64, bytes: slice.length, loadMs: medianMs(() => load(slice, 1), 201) };
  // The same 300 batches applied three times from the same start; each batch's time is the
  // least of the three (wall time, so the collector's other threads do not count).
  rows.changes = [];
  for (const n of [1000, KEYS]) {
    const state = { top: n, files: 0 };
    const rand = rng(n);
    const batches = Array.from({ length: 300 }, () => changeBatch(state, rand));
    const best = batches.map(() => Infinity);
    for (let run = 0; run < 3; run++) {
      load(pool(n), 0);
      for (const model of [MODEL, 'gemini-2.5-pro']) await pick(model);
      for (let v = 0; v < batches.length; v++) {
        const started = performance.now();
        const info = call('POOL_APPLY', { FROM: v, TO: v + 1, NOW: Date.now(), BODY: batches[v] });
        best[v] = Math.min(best[v], performance.now() - started);
        if (!info.OK) throw new Error('a change batch was refused');
        await pick(MODEL);
      }
    }
    best.sort((x, y) => x - y);
    rows.changes.push({ keys: n, p50Ms: quantile(best, 0.5), p99Ms: quantile(best, 0.99), maxMs: best.at(-1) });
  }
  return rows;
}

// ---- 2. the simulation ----------------------------------------------------------------

// CPU seconds (user + system) of the workerd process Miniflare started for us.
function workerdCpuSeconds() {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    if (name === 'workerd' && Number(fields[1]) === process.pid) total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}

function quotaBody(remainingMs) {
  return new TextEncoder().encode(
    JSON.stringify({
      error: {
        code: 429,
        message: 'You exceeded your current quota, please check your plan and billing details.',
        status: 'RESOURCE_EXHAUSTED',
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${Math.max(1, Math.ceil(remainingMs / 1000))}s` },
        ],
      },
    }),
  );
}

// What each kind of call costs the object when calls come one at a time (workerd CPU per
// call, Miniflare's way in from Node included): a report like the simulation's last one, a
// pull that brings a few changes, and a pull of the next slice; a report whose answer is read
// as the simulation reads it (one copy, see answers()); and one whose answer is read
// property by property through Miniflare's proxy, to show what that way would add.
async function callCosts(stub, events, read) {
  const costs = {};
  const measure = async (name, fn) => {
    const before = workerdCpuSeconds();
    for (let i = 0; i < 200; i++) await fn(i);
    costs[name] = ((workerdCpuSeconds() - before) / 200) * 1000;
  };
  const at = await read(stub.pull(-1, null, false));
  await measure('report', (i) => stub.report(`cost-${i}`, events));
  await measure('changes', () => stub.pull(at.version, at.slice, false));
  await measure('nextSlice', () => stub.pull(at.version, at.slice, true));
  await measure('reportRead', (i) => read(stub.report(`read-${i}`, events)));
  await measure('reportProxyRead', async (i) => JSON.stringify(await stub.report(`proxy-${i}`, events)));
  return costs;
}

// Reads an answer of the object as a Worker gets it: one structured copy. Miniflare hands
// Node an RPC answer as a proxy (the answer carries a disposer, which Miniflare does not
// copy) whose every property read is one more call into workerd: a dozen per answer, which
// a Worker calling its object never makes and which would count as the object's CPU. So the
// copy is made in workerd by its own structuredClone (reached through Miniflare's proxy
// client; miniflare is pinned in package.json) and comes to Node in one call.
async function answers(mf) {
  const clone = (await mf._getProxyClient()).global.structuredClone;
  if (typeof clone !== 'function') throw new Error("miniflare's proxy client no longer reaches workerd's structuredClone");
  return async (answer) => clone(await answer);
}

function spread(sorted) {
  return {
    calls: sorted.length,
    p50Ms: quantile(sorted, 0.5),
    p99Ms: quantile(sorted, 0.99),
    maxMs: sorted.at(-1) ?? 0,
    over1Ms: sorted.filter((t) => t > 1).length,
  };
}

// Every isolate's pool loads and change batches again, in order, on one fresh core (a
// snapshot load resets it): each call's time is the least of three runs, so that what the
// machine does meanwhile (other processes, this one's collector) does not count.
async function replay(calls) {
  const { call: replayCall } = await import('../../worker-shim/core.mjs?isolate=replay');
  const best = calls.map(() => Infinity);
  let refused = 0;
  for (let run = 0; run < 3; run++) {
    for (const isolate of new Set(calls.map((c) => c.isolate))) {
      calls.forEach((c, i) => {
        if (c.isolate !== isolate) return;
        const started = performance.now();
        const ok = replayCall(c.op, c.input).OK;
        best[i] = Math.min(best[i], performance.now() - started);
        if (!ok && run === 0) refused++;
      });
    }
  }
  if (refused) throw new Error(`${refused} replayed pool calls were refused: the replay is not the simulation's`);
  return best.sort((a, b) => a - b);
}

// The object's stub as simulated isolate `isolate` sees it: every answer read (one copy:
// answers()) counted and measured (a report may carry a pull's answer too), and each slice
// it brings kept, to tell where a key that was never picked went.
function observed(stub, traffic, read, isolate) {
  const count = (r, kind) => {
    const bytes = JSON.stringify(r).length;
    traffic[`${kind}Bytes`] += bytes;
    traffic[`${kind}s`]++;
    if (r.snapshot !== undefined || r.changes !== undefined) traffic.loads++;
    if (r.snapshot !== undefined) traffic.snapshots++;
    if (r.slice && r.snapshot === undefined) traffic.newSlices++;
    if (r.slice) traffic.handouts.push({ isolate, at: Date.now(), slice: r.slice, lines: r.snapshot ?? r.changes });
    traffic.largestAnswer = Math.max(traffic.largestAnswer, bytes);
    return r;
  };
  return {
    pull: async (...args) => count(await read(stub.pull(...args)), 'pull'),
    async report(...args) {
      traffic.lastEvents = args[1];
      traffic.eventBytes += args[1].length;
      return count(await read(stub.report(...args)), 'report');
    },
  };
}

// Where the first keys never picked went: each slice that held one, which isolate it went to,
// when (seconds into the run), and whether the key was cooling down then as far as the
// object knew.
function unpicked(picks, handouts, started) {
  const out = [];
  for (let id = 1; id < picks.length && out.length < 10; id++) {
    if (picks[id]) continue;
    const handedTo = handouts
      .filter((h) => h.slice.lo !== h.slice.hi && inSlice(h.slice, id))
      .map((h) => ({ isolate: h.isolate, atS: (h.at - started) / 1000, cooling: `\n${h.lines}`.includes(`\nC ${id} `) }));
    out.push({ id, handedTo });
  }
  return out;
}

const inSlice = ({ lo, hi }, id) => (lo < hi ? id >= lo && id < hi : id >= lo || id < hi);

// Upstream: which keys are rate-limited now. 20 % at any moment, a fresh 20 % per minute.
function limits(rand) {
  const until = new Float64Array(KEYS + 1);
  const limit = (n, now, spread) => {
    for (let i = 0; i < n; i++) until[1 + Math.floor(rand() * KEYS)] = now + (spread ? rand() : 1) * LIMIT_MS;
  };
  limit(KEYS * LIMITED_SHARE, Date.now(), true);
  let tick = Date.now();
  return {
    until,
    advance(now) {
      for (; now - tick >= 1000; tick += 1000) limit((KEYS * LIMITED_SHARE) / 60, now, false);
    },
  };
}

// One request in one isolate.
async function request(iso, ctx, limited, picks, stats) {
  stats.requests++;
  let attempts = 0;
  const status = await drive(iso.core, {
    upstream(id) {
      attempts++;
      picks[id]++;
      const left = limited.until[id] - Date.now();
      return left > 0 ? { status: 429, body: quotaBody(left) } : { status: 200, body: REPLY };
    },
    pool: (task) => iso.client.refreshPool(iso.env, task.FLAGS ?? 0),
    done: (flags) => iso.client.housekeeping(flags, iso.env, ctx),
  });
  if (status === 200) {
    stats.served++;
    stats.attempts += attempts;
  } else {
    stats.failed++;
  }
}

// Issues RATE requests per second for `seconds` to isolates picked at random.
function issue(seconds, each, limited) {
  const started = Date.now();
  let issued = 0;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const now = Date.now();
      limited.advance(now);
      for (const due = Math.min(RATE * seconds, Math.floor(((now - started) / 1000) * RATE)); issued < due; issued++) each();
      if (now - started >= seconds * 1000) {
        clearInterval(timer);
        resolve((now - started) / 1000);
      }
    }, 5);
  });
}

export async function simulate({ seconds = 60 } = {}) {
  const worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', adminToken: TOKEN, authTokens: TOKEN });
  try {
    const ns = await worker.mf.getDurableObjectNamespace('KEY_POOL');
    const stub = ns.get(ns.idFromName('pool'));
    const read = await answers(worker.mf);
    const keys = Array.from({ length: KEYS }, (_, i) => key(i + 1));
    for (let i = 0; i < KEYS; i += 5000) {
      const part = keys.slice(i, i + 5000);
      await stub.addKeys(part, part.map((k) => `${k.slice(0, 6)}…${k.slice(-4)}`));
    }
    // What a call costs workerd when the object has nothing to do (an isolate up to date):
    // Miniflare's way in from Node, which a Worker calling its object skips. A whole-pool
    // slice asked again does not move the object's sweep.
    const whole = { lo: 0, hi: 0 };
    const { version } = await stub.pull(-1, whole, false);
    const floor0 = workerdCpuSeconds();
    for (let i = 0; i < 1000; i++) await stub.pull(version, whole, false);
    const rpcFloor = (workerdCpuSeconds() - floor0) / 1000;

    const traffic = { pullBytes: 0, reportBytes: 0, eventBytes: 0, pulls: 0, reports: 0, loads: 0, snapshots: 0, newSlices: 0, largestAnswer: 0, handouts: [] };
    globalThis.poolMaintenance = [];
    const isolates = [];
    for (let i = 0; i < ISOLATES; i++) {
      const client = await import(`../../worker-shim/pool-client.mjs?isolate=${i}`);
      const core = await import(`../../worker-shim/core.mjs?isolate=${i}`);
      core.tables();
      core.callRemembered('CONFIGURE', { BODY: BINDINGS });
      const env = { KEY_POOL: { idFromName: () => 'pool', get: () => observed(stub, traffic, read, i) } };
      isolates.push({ client, core, env });
    }
    const rand = rng(7);
    const limited = limits(rand);
    const picks = new Uint32Array(KEYS + 1);
    const stats = { requests: 0, served: 0, failed: 0, attempts: 0 };
    const pending = new Set();
    const track = (p) => {
      const tracked = Promise.resolve(p)
        .catch((err) => console.error(`simulated request failed: ${err?.stack ?? err}`))
        .finally(() => pending.delete(tracked));
      pending.add(tracked);
    };
    const ctx = { waitUntil: track };

    const started = Date.now();
    const cpu0 = workerdCpuSeconds();
    const elapsed = await issue(seconds, () => track(request(isolates[Math.floor(rand() * ISOLATES)], ctx, limited, picks, stats)), limited);
    const objectCpu = workerdCpuSeconds() - cpu0;
    for (let i = 0; i < 20 && pending.size; i++) await Promise.race([Promise.all([...pending]), new Promise((r) => setTimeout(r, 500))]);

    const perCall = await callCosts(stub, traffic.lastEvents, read);
    const used = Array.from(picks.subarray(1)).sort((a, b) => a - b);
    const calls = traffic.pulls + traffic.reports;
    const oneAtATime = perCall.report * traffic.reports + perCall.nextSlice * traffic.newSlices + perCall.changes * traffic.pulls;
    return {
      seconds: elapsed,
      isolates: ISOLATES,
      keys: KEYS,
      ...stats,
      meanAttempts: stats.attempts / Math.max(1, stats.served),
      objectCpuPerSecond: objectCpu / elapsed,
      rpcFloorMs: rpcFloor * 1000,
      objectCpuPerSecondBeyondFloor: (objectCpu - rpcFloor * calls) / elapsed,
      perCallMs: perCall,
      objectCpuPerSecondOneAtATime: oneAtATime / 1000 / elapsed,
      proxyReadsCpuPerSecond: ((perCall.reportProxyRead - perCall.reportRead) * calls) / 1000 / elapsed,
      bytesPerSecond: (traffic.pullBytes + traffic.reportBytes) / elapsed,
      eventBytesPerSecond: traffic.eventBytes / elapsed,
      traffic: { ...traffic, lastEvents: undefined, handouts: undefined },
      maintenance: {
        ...spread(await replay(globalThis.poolMaintenance)),
        inSimulation: spread(globalThis.poolMaintenance.map((m) => m.ms).sort((a, b) => a - b)),
      },
      picksPerKey: {
        min: used[0],
        p50: quantile(used, 0.5),
        max: used.at(-1),
        neverPicked: used.filter((n) => n === 0).length,
        unpicked: unpicked(picks, traffic.handouts, started),
      },
    };
  } finally {
    await worker.dispose();
  }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const args = process.argv.slice(2);
  const seconds = Number(args[args.indexOf('--seconds') + 1]) || 60;
  const core = await benchCore();
  const sim = await simulate({ seconds });
  console.log(JSON.stringify({ core, sim }));
}
