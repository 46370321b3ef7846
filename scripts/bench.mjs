// `npm run bench`: the core's translation and key-pick costs (on the same core.wasm the
// Worker runs), the Worker's CPU per request beside a bare passthrough Worker under
// `wrangler dev`, then end-to-end load through the Worker in Miniflare against the mock.
//   npm run bench                  everything
//   npm run bench -- --core        only the core
//   npm run bench -- --cpu         only the Worker CPU comparison
//   npm run bench -- --seconds 10  longer load runs
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAttempts, benchLoad } from './bench/load.mjs';
import { benchWorkerCpu } from './bench/worker-cpu.mjs';
import { loadavg } from 'node:os';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1]) || 5;

const fmt = (n, digits = 1) => (n == null ? '—' : n.toFixed(digits));
const table = (head, rows) => {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map(() => '---').join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log('');
};

console.log(`Load average at start: ${loadavg().map((l) => l.toFixed(2)).join(', ')} (${process.env.npm_lifecycle_event ?? 'bench'})\n`);

if (!args.includes('--cpu')) {
  const core = JSON.parse(
    execFileSync(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/core.mjs'], { cwd: root }).toString(),
  );
  console.log(`core.wasm: ${core.wasm.raw} bytes, ${core.wasm.gzip} gzipped (target ≤ 100 KB gzipped)\n`);
  table(
    ['on core.wasm, called as the Worker calls it', 'bytes', 'µs (Wasm)', 'µs (JSON.parse+stringify)', 'ratio', 'target'],
    core.translations.map((r) => [r.name, r.bytes, fmt(r.us, 2), fmt(r.base), fmt(r.ratio, 2), r.target]),
  );
  table(
    ['keys', 'cooling for the model', 'µs per request routed and its key picked'],
    core.picks.map((r) => [r.keys, r.cooling, fmt(r.us, 2)]),
  );
  const media = JSON.parse(
    execFileSync(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/media.mjs', '--json'], {
      cwd: root,
    }).toString(),
  );
  table(
    ['media on core.wasm, as the Worker feeds it', 'bytes in', 'best ms (Wasm, copies included)', 'best ms (V8 baseline)', 'ratio', 'target', 'peak MB (estimate)'],
    media.map((r) => [r.name, r.bytes, fmt(r.ms), fmt(r.baseline_ms), fmt(r.ratio, 2), '≤ 1.0', r.memory ? fmt(r.memory.today / 1048576) : '—']),
  );
}

if (!args.includes('--core')) {
  const cpu = await benchWorkerCpu({ seconds });
  console.log(`Worker CPU per request under wrangler dev (${cpu.connections} connections, ${cpu.seconds} s per side), beside a 15-line Worker that forwards the same Gemini request untouched:\n`);
  table(
    ['route', 'floor ms CPU/req', 'floor req/s', 'balancer ms CPU/req', 'balancer req/s', 'CPU ratio', 'target', 'throughput ratio'],
    cpu.rows.map((r) => [
      r.name,
      fmt(r.floor.cpuMsPerRequest, 3),
      fmt(r.floor.rps),
      fmt(r.ours.cpuMsPerRequest, 3),
      fmt(r.ours.rps),
      fmt(r.cpuRatio, 2),
      `≤ ${r.target}`,
      `${fmt(r.rpsRatio, 2)}${r.throughputTarget ? ` (target ≥ ${r.throughputTarget})` : ''}`,
    ]),
  );
}

if (!args.includes('--core') && !args.includes('--cpu')) {
  const attempts = await benchAttempts();
  console.log(
    `Failover: ${attempts.succeeded}/${attempts.requests} requests succeeded over 4 good, 4 dead and 4 limited keys; ` +
      `mean upstream attempts per request ${fmt(attempts.meanAttempts, 3)}\n`,
  );
  const loadResult = await benchLoad({ seconds });
  console.log(
    `Cold start: first request ${fmt(loadResult.coldStartMs)} ms (Wasm instantiation, empty pool), ` +
      `first proxied request ${fmt(loadResult.firstProxiedMs)} ms\n`,
  );
  table(
    [`route (${loadResult.connections} connections, ${loadResult.seconds} s)`, 'requests', 'req/s', 'p50 ms', 'p99 ms', 'vs passthrough'],
    loadResult.rows.map((r) => [r.name, r.requests, fmt(r.rps), fmt(r.p50), fmt(r.p99), fmt(r.ratio, 2)]),
  );
}
