// `npm run bench`: the core's translation and key-pick costs (on the same core.wasm the
// Worker runs), then end-to-end load through the Worker in Miniflare against the mock.
//   npm run bench                  everything
//   npm run bench -- --core        only the core
//   npm run bench -- --seconds 10  longer load runs
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchAttempts, benchLoad } from './bench/load.mjs';

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

const core = JSON.parse(
  execFileSync(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/core.mjs'], { cwd: root }).toString(),
);
console.log(`core.wasm: ${core.wasm.raw} bytes, ${core.wasm.gzip} gzipped\n`);
table(
  ['translation', 'bytes', 'µs (Wasm)', 'µs (JSON.parse+stringify)', 'ratio', 'target'],
  core.translations.map((r) => [r.name, r.bytes, fmt(r.us), fmt(r.base), fmt(r.ratio, 2), r.target]),
);
table(
  ['keys', 'cooling for the model', 'µs per pick (incl. the call into Wasm)'],
  core.picks.map((r) => [r.keys, r.cooling, fmt(r.us, 2)]),
);

if (!args.includes('--core')) {
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
