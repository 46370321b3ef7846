// fuzz.mjs — `npm run fuzz`: builds the libFuzzer targets of cpp/fuzz/ (clang, ASan + UBSan,
// in build/fuzz) and runs each one for a while over its committed corpus.
//
//   npm run fuzz                         every target, 60 s each, one at a time
//   npm run fuzz -- --seconds 600 --jobs 2 --target router,abi
//   npm run fuzz -- --merge              also fold the new interesting inputs, minimised,
//                                        into tests/fuzz-corpus/<target>/ (to commit)
//   npm run fuzz -- --seeds              rebuild the seeds from the fixtures and merge them
//   npm run fuzz -- --smoke              what npm test runs: a short run of each target,
//                                        ending with "fuzz: N passed, M failed"
//
// New inputs land in build/fuzz/new/<target>/ and the committed corpus is read only, unless
// --merge or --seeds. A crash or hang leaves its input in build/fuzz/artifacts/<target>/;
// to keep it as a regression input, copy it to tests/fuzz-corpus/<target>/regression-<what>
// (files named regression-* survive every minimisation).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureToolchain } from './toolchain.mjs';
import { TARGETS } from '../tests/fuzz/formats.mjs';
import { seeds } from '../tests/fuzz/seeds.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'fuzz');
const corpusRoot = join(root, 'tests', 'fuzz-corpus');
const binary = (t) => join(buildDir, 'cpp', 'fuzz', `fuzz_${t}`);
const sub = (what, t) => join(buildDir, what, t);
const REGRESSION = /^regression-/;

function parseArgs(argv) {
  const o = { seconds: null, targets: TARGETS, jobs: 1, merge: false, seeds: false, smoke: false, nice: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seconds') o.seconds = Number(value());
    else if (a === '--target') o.targets = value().split(',').filter(Boolean);
    else if (a === '--jobs') o.jobs = Math.max(1, Number(value()));
    else if (a === '--nice') o.nice = Number(value());
    else if (a === '--merge') o.merge = true;
    else if (a === '--seeds') o.seeds = true;
    else if (a === '--smoke') o.smoke = true;
    else throw new Error(`unknown option ${a} (see the top of scripts/fuzz.mjs)`);
  }
  for (const t of o.targets) if (!TARGETS.includes(t)) throw new Error(`no fuzz target ${t}: ${TARGETS.join(', ')}`);
  o.seconds ??= o.smoke ? 10 : 60;
  if (!(o.seconds > 0)) throw new Error('--seconds must be a positive number');
  return o;
}

function mustRun(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', env: { ...process.env, ...FUZZ_BUILD.env } });
  if (r.status !== 0) {
    process.stdout.write(r.stdout + r.stderr);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status}`);
  }
  return r;
}

// The sanitizer build: npm test's asan suite builds its unit tests in the same directory.
export const FUZZ_BUILD = { dir: buildDir, configure: ['-DBALANCER_FUZZ=ON', '-DCMAKE_CXX_COMPILER=clang++-14'], env: { CXX: 'clang++-14' } };

export function buildFuzzers() {
  const started = Date.now();
  mustRun('cmake', ['-S', '.', '-B', buildDir, ...FUZZ_BUILD.configure]);
  mustRun('cmake', ['--build', buildDir, '-j2']);
  console.log(`fuzz targets built in ${((Date.now() - started) / 1000).toFixed(0)} s (build/fuzz)`);
}

const files = (dir) => (existsSync(dir) ? readdirSync(dir).filter((f) => statSync(join(dir, f)).isFile()) : []);

function freshDir(dir) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// Runs a fuzzer binary; resolves { code, output }. A watchdog stops one that overruns its
// time by far (libFuzzer's own -timeout catches a single slow input first).
function runFuzzer(args, limitSeconds, nice) {
  return new Promise((resolve) => {
    const [cmd, argv] = nice ? ['nice', ['-n', String(nice), ...args]] : [args[0], args.slice(1)];
    const child = spawn(cmd, argv, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), (limitSeconds + 120) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 1 : 0), output });
    });
  });
}

// The last status line ("#123 DONE cov: 45 ft: 67 corp: ...") and the final stats.
function stats(output) {
  const status = output.split('\n').filter((l) => /^#\d+\s.*cov: \d+/.test(l)).pop() ?? '';
  const execs = output.match(/stat::number_of_executed_units: (\d+)/)?.[1] ?? status.match(/^#(\d+)/)?.[1];
  return {
    execs: Number(execs ?? 0),
    cov: Number(status.match(/cov: (\d+)/)?.[1] ?? 0),
    ft: Number(status.match(/ft: (\d+)/)?.[1] ?? 0),
  };
}

async function fuzzTarget(t, o) {
  const corpus = join(corpusRoot, t);
  mkdirSync(corpus, { recursive: true });
  // A smoke run (npm test) may overlap a long run: it keeps its new inputs apart.
  const fresh = freshDir(sub(o.smoke ? 'smoke-new' : 'new', t));
  const artifacts = sub('artifacts', t);
  mkdirSync(artifacts, { recursive: true });
  const args = [
    binary(t),
    `-max_total_time=${o.seconds}`,
    '-timeout=10',
    '-rss_limit_mb=2048',
    '-print_final_stats=1',
    `-artifact_prefix=${artifacts}/`,
    // npm test should not fail on one run and pass on the next: the smoke run's mutations are
    // the same every time (long runs explore with a new seed each run).
    ...(o.smoke ? ['-seed=1'] : []),
    fresh,
    corpus,
  ];
  const r = await runFuzzer(args, o.seconds, o.nice);
  const result = { target: t, ...stats(r.output), ok: r.code === 0, newInputs: files(fresh).length };
  if (!result.ok) {
    const written = r.output.match(/Test unit written to (\S+)/)?.[1];
    const summary = r.output.split('\n').filter((l) => /ERROR|SUMMARY|invariant failed|runtime error/.test(l));
    result.failure = { artifact: written, summary: summary.slice(0, 6).join('\n') };
    console.log(r.output.split('\n').slice(-60).join('\n'));
  }
  if (o.merge && result.ok) await merge(t, [fresh], o);
  result.corpus = files(corpus).length;
  return result;
}

// Re-minimises the committed corpus together with `extra` dirs: only inputs that reach an edge
// no smaller input reaches stay, plus regression-* files, which are kept whatever they cover.
// Edges only (-use_counters=0): counting hit counts too keeps four to five times as many
// files, mostly near-copies; a run finds that variety again from the edges.
async function merge(t, extra, o) {
  const corpus = join(corpusRoot, t);
  mkdirSync(corpus, { recursive: true });
  const merged = freshDir(sub('merged', t));
  const artifacts = sub('artifacts', t);
  mkdirSync(artifacts, { recursive: true });
  const flags = ['-merge=1', '-use_counters=0', '-timeout=10', '-rss_limit_mb=2048', `-artifact_prefix=${artifacts}/`];
  const args = [binary(t), ...flags, merged, corpus, ...extra];
  const r = await runFuzzer(args, 600, o.nice);
  // A merge runs every input in one process, after the others (the core's isolate state
  // carries over), and goes on past an input that crashes: that crash must not pass unseen.
  const crashed = r.output.match(/Test unit written to (\S+)/)?.[1];
  if (r.code !== 0 || crashed) {
    console.log(r.output.split('\n').slice(-30).join('\n'));
    throw new Error(`merging the ${t} corpus failed${crashed ? `: an input crashed, kept in ${crashed}` : ''}`);
  }
  for (const f of files(corpus)) if (!REGRESSION.test(f)) rmSync(join(corpus, f));
  for (const f of files(merged)) copyFileSync(join(merged, f), join(corpus, f));
}

async function writeSeeds(o) {
  const all = seeds();
  for (const t of o.targets) {
    const dir = freshDir(sub('seeds', t));
    all[t].forEach((bytes, i) => writeFileSync(join(dir, `seed-${String(i).padStart(3, '0')}`), bytes));
    await merge(t, [dir], o);
    console.log(`${t}: ${all[t].length} seeds, corpus now ${files(join(corpusRoot, t)).length} files`);
  }
}

// Runs up to `jobs` tasks at a time, in order.
async function pool(items, jobs, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
  return results;
}

function report(results) {
  const pad = (s, n) => String(s).padStart(n);
  const row = (cells) => cells[0].padEnd(16) + [12, 7, 8, 8, 6].map((n, i) => pad(cells[i + 1], n)).join('');
  console.log(`\n${row(['target', 'execs', 'cov', 'ft', 'corpus', 'new'])}  result`);
  for (const r of results) {
    const verdict = r.ok ? 'ok' : `FAILED ${r.failure.artifact ?? ''}`;
    console.log(`${row([r.target, r.execs, r.cov, r.ft, r.corpus, r.newInputs])}  ${verdict}`);
  }
  for (const r of results.filter((x) => !x.ok)) {
    console.log(`\n${r.target}:\n${r.failure.summary}`);
    if (r.failure.artifact) console.log(`reproduce: ${binary(r.target)} ${r.failure.artifact}`);
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  ensureToolchain();
  buildFuzzers();
  if (o.seeds) await writeSeeds(o);
  if (o.smoke) o.jobs = Math.max(o.jobs, 2);
  const results = await pool(o.targets, o.jobs, (t) => fuzzTarget(t, o));
  report(results);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`fuzz: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(err.message);
    console.log('fuzz: 0 passed, 1 failed');
    process.exit(1);
  });
}
