// `npm run bench`: the core's translation and key-pick costs (on the same core.wasm the
// Worker runs), the Worker's CPU per request beside a bare passthrough Worker under
// `wrangler dev`, then end-to-end load through the Worker in Miniflare against the mock.
//   npm run bench                  everything
//   npm run bench -- --core        only the core
//   npm run bench -- --cpu         only the Worker CPU comparison
//   npm run bench -- --seconds 10  longer load runs
//   npm run bench -- --pool        only the key pool at the edge (scripts/bench/pool.mjs): 10,000
//                                  keys, 50 isolates, 60 s (--seconds and --keys set them)
//   npm run bench -- --core-against REV [--rounds N]
//                                  only the core's translations, this tree's core and REV's taken
//                                  in turns in one process, N rounds (9): their ratio per round
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

if (args.includes('--pool')) {
  const out = execFileSync(
    process.execPath,
    ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/pool.mjs', '--seconds', String(Number(args[args.indexOf('--seconds') + 1]) || 60), '--keys', String(Number(args[args.indexOf('--keys') + 1]) || 10000)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 },
  );
  printPool(JSON.parse(out.toString()));
  console.log(`Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  process.exit(0);
}

if (args.includes('--core-against')) {
  const rev = args[args.indexOf('--core-against') + 1];
  const rounds = Number(args[args.indexOf('--rounds') + 1]) || 9;
  const out = execFileSync(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/core-against.mjs', rev, String(rounds)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const r = JSON.parse(out.toString());
  console.log(`This tree's core against ${r.rev} (${r.sha.slice(0, 12)}): ${r.rounds} rounds, the two taken in turns; µs are medians.\n`);
  table(
    ['on core.wasm, called as the Worker calls it', `µs (${r.rev})`, 'µs (this tree)', 'ratio (median)', 'ratio per round'],
    r.rows.map((row) => [row.name, fmt(row.usThen, 2), fmt(row.usNow, 2), fmt(row.ratio, 3), row.ratios.map((x) => fmt(x, 2)).join(' ')]),
  );
  console.log(`Load average at the end: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
  process.exit(0);
}

function printPool({ core: c, sim: s }) {
  const kb = (n) => `${fmt(n / 1024)} KB`;
  table(
    ['loading a pool into core.wasm', 'bytes', 'CPU ms (median)'],
    [
      [`the whole pool, ${c.full.keys} keys (raw key bytes ${kb(c.full.rawKeyBytes)})`, kb(c.full.bytes), fmt(c.full.loadMs, 3)],
      [`one isolate's slice (${c.slice.keys} keys)`, kb(c.slice.bytes), fmt(c.slice.loadMs, 3)],
    ],
  );
  table(
    ['100 changes applied to a pool of (300 batches, least of 3 runs)', 'p50 ms', 'p99 ms', 'max ms', 'target'],
    c.changes.map((r) => [r.keys, fmt(r.p50Ms, 3), fmt(r.p99Ms, 3), fmt(r.maxMs, 3), '≤ 0.2']),
  );
  const m = s.maintenance;
  const p = s.picksPerKey;
  table(
    [`simulation: ${s.keys} keys, ${s.isolates} isolates, ${s.requests} requests in ${fmt(s.seconds)} s`, 'measured', 'target'],
    [
      ['KeyPool object CPU per second (workerd process)', `${fmt(s.objectCpuPerSecond * 100)} %`, '≤ 10 %'],
      [`… beyond Miniflare's own cost per call (${fmt(s.rpcFloorMs, 2)} ms)`, `${fmt(s.objectCpuPerSecondBeyondFloor * 100)} %`, ''],
      [
        `… the same calls one at a time (ms per report ${fmt(s.perCallMs.report, 2)}, its answer copied to Node ${fmt(s.perCallMs.reportRead, 2)}; changes ${fmt(s.perCallMs.changes, 2)}, next slice ${fmt(s.perCallMs.nextSlice, 2)})`,
        `${fmt(s.objectCpuPerSecondOneAtATime * 100)} %`,
        '',
      ],
      [
        `not counted above: each answer read in Node property by property through Miniflare's proxy, as before (ms per report and answer ${fmt(s.perCallMs.reportProxyRead, 2)}), would add about`,
        `${fmt(s.proxyReadsCpuPerSecond * 100)} %`,
        '',
      ],
      ['bytes sent to isolates per second', kb(s.bytesPerSecond), '≤ 100 KB'],
      ['key events isolates send per second', kb(s.eventBytesPerSecond), ''],
      [`an isolate's pool upkeep per load (${m.calls} loads, replayed): p50 / p99 / max ms`, `${fmt(m.p50Ms, 3)} / ${fmt(m.p99Ms, 3)} / ${fmt(m.maxMs, 3)}`, 'p99 ≤ 1'],
      ['… as timed in the simulation (CPU, busy process)', `${fmt(m.inSimulation.p50Ms, 3)} / ${fmt(m.inSimulation.p99Ms, 3)} / ${fmt(m.inSimulation.maxMs, 3)}`, ''],
      ['picks per key: min / median / max; keys never picked', `${p.min} / ${p.p50} / ${p.max}; ${p.neverPicked}`, 'none unpicked'],
      ['requests served / failed; mean upstream attempts', `${s.served} / ${s.failed}; ${fmt(s.meanAttempts, 3)}`, ''],
      [
        'object calls: reports, pulls; pool loads (snapshots, new slices)',
        `${s.traffic.reports}, ${s.traffic.pulls}; ${s.traffic.loads} (${s.traffic.snapshots}, ${s.traffic.newSlices})`,
        '',
      ],
    ],
  );
  for (const { id, handedTo } of p.unpicked) {
    const where = handedTo.map((h) => `isolate ${h.isolate} at ${fmt(h.atS)} s${h.cooling ? ' (cooling)' : ''}`);
    console.log(`key ${id} never picked; its slice went to ${where.join(', ') || 'no isolate'}`);
  }
}

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
    ['media on core.wasm, as the Worker feeds it', 'bytes in', 'best ms (Wasm, copies included)', 'best ms (V8 baseline)', 'ratio', 'target', 'peak MB: core grown + JS (chunk in, slice out)', '× body (target ≤ 3)'],
    media.map((r) => [
      r.name,
      r.bytes,
      fmt(r.ms),
      fmt(r.baseline_ms),
      fmt(r.ratio, 2),
      '≤ 1.0',
      r.memory ? `${fmt(r.memory.wasm / 1048576)} + ${fmt(r.memory.js / 1048576, 2)}` : '—',
      r.memory ? fmt(r.memory.peak / r.bytes, 2) : '—',
    ]),
  );
}

if (!args.includes('--core')) {
  const cpu = await benchWorkerCpu(args.includes('--seconds') ? { seconds } : {});
  console.log(
    `Worker CPU per request under wrangler dev (${cpu.connections} connections; median of ${cpu.rounds} rounds of ${cpu.seconds} s per side, the sides taking turns), beside a 15-line Worker that forwards the same Gemini request untouched (the floor). ` +
      'Each is measured as configured and with the other\'s configuration: the floor behind the same static-assets router ([assets] in wrangler.toml), and the balancer without it. ' +
      'Ratios: CPU (throughput).\n',
  );
  const both = (r) => `${fmt(r.cpu, 2)} (${fmt(r.rps, 2)})`;
  table(
    ['route', 'floor ms/req', 'floor + assets ms/req', 'balancer ms/req', 'balancer alone ms/req', 'as configured', 'behind the same router', 'both without it', 'target'],
    cpu.rows.map((r) => [
      r.name,
      fmt(r.floor.cpuMsPerRequest, 3),
      fmt(r.floorAssets.cpuMsPerRequest, 3),
      fmt(r.ours.cpuMsPerRequest, 3),
      fmt(r.oursAlone.cpuMsPerRequest, 3),
      both(r.configured),
      both(r.behindAssets),
      both(r.alone),
      `≤ ${r.target}${r.throughputTarget ? ` (≥ ${r.throughputTarget})` : ''}`,
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
