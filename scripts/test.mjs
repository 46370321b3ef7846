// test.mjs — `npm test`: installs what is missing, builds the core natively (clang, under
// ASan + UBSan, one build for the unit tests and the fuzz targets) and to Wasm, checks the
// committed Wasm is up to date, runs every suite, and ends with one line "N passed, M failed"
// over all of them.
//
//   npm test                                   every suite: asan, fuzz, wasm, node
//   npm test -- --only asan,node               some suites
//   npm test -- --only node tests/integration  the node suite on some files or folders
//   npm test -- --only native                  the unit tests built by g++ without sanitizers
//                                              (not in the default run: asan runs the same tests)
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNativeClis, ensureNode22, ensureNode22Sdks, ensureToolchain } from './toolchain.mjs';
import { FUZZ_BUILD } from './fuzz.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const results = []; // { suite, passed, failed, seconds }

// Runs a command, echoing its output, and returns { code, output }.
function run(cmd, args, options = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const echo = (stream) => (data) => {
      output += data;
      if (!options.quiet) stream.write(data);
    };
    child.stdout.on('data', echo(process.stdout));
    child.stderr.on('data', echo(process.stderr));
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function step(name, fn) {
  const started = Date.now();
  console.log(`\n=== ${name}`);
  const r = await fn();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ suite: name, ...r, seconds });
  console.log(`=== ${name}: ${r.passed} passed, ${r.failed} failed (${seconds} s)`);
}

async function mustSucceed(cmd, args, options) {
  const r = await run(cmd, args, options);
  if (r.code !== 0) {
    if (options?.quiet) process.stdout.write(r.output);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${r.code}`);
  }
  return r;
}

// ctest's summary: "100% tests passed, 0 tests failed out of 75".
async function ctestSuite(buildDir, cmakeArgs, { target, env } = {}) {
  await mustSucceed('cmake', ['-S', '.', '-B', buildDir, ...cmakeArgs], { quiet: true, env });
  await mustSucceed('cmake', ['--build', buildDir, '-j2', ...(target ? ['--target', target] : [])], { quiet: true, env });
  const r = await run('ctest', ['--test-dir', buildDir, '--output-on-failure', '-j2'], { quiet: true });
  const m = r.output.match(/(\d+) tests failed out of (\d+)/);
  if (!m) {
    process.stdout.write(r.output);
    return { passed: 0, failed: 1 };
  }
  const failed = Number(m[1]);
  const total = Number(m[2]);
  console.log(r.output.split('\n').filter((l) => /tests passed|Failed|\*\*\*/.test(l)).join('\n'));
  if (failed) process.stdout.write(r.output);
  return { passed: total - failed, failed };
}

function testFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (name === 'node_modules' || name === 'fixtures' || name === 'screenshots') continue;
    if (statSync(full).isDirectory()) out.push(...testFiles(full));
    else if (name.endsWith('.test.mjs')) out.push(relative(root, full));
  }
  return out.sort();
}

// node's TAP summary: "# pass N" / "# fail M", of `files` run on `node` with the modules
// `preload` first.
async function nodeTests(node, preload, files) {
  // Two test files at a time: most of their time is spent waiting on a Worker, the mock or a
  // client process, and node --test's default on two cores is one (315 s then, 167 s so).
  const args = [...preload.flatMap((m) => ['--import', m]), '--test', '--test-concurrency=2', '--test-reporter=tap', ...files];
  const r = await run(node, args, { env: { WRANGLER_SEND_METRICS: 'false' }, quiet: true });
  const lines = r.output.split('\n');
  const failures = lines.filter((l) => /^\s*not ok /.test(l));
  console.log(lines.filter((l) => /^# (tests|suites|pass|fail|skipped|duration_ms)/.test(l)).join('\n'));
  const pass = Number(r.output.match(/^# pass (\d+)/m)?.[1] ?? 0);
  const fail = Number(r.output.match(/^# fail (\d+)/m)?.[1] ?? (r.code ? 1 : 0));
  if (fail || r.code) {
    process.stdout.write(r.output);
    console.log(failures.join('\n'));
  }
  return { passed: pass, failed: fail || (r.code && !fail ? 1 : 0) };
}

// A test file that imports the OpenAI SDK or the AI SDK (`ai` or a provider) itself.
const SDK_IMPORT = /^import [^;]* from '(?:ai|openai|@ai-sdk\/[a-z-]+)';$/m;

// Every test file on this Node, with the project's dependencies; then, with `node22`, the files
// that import the OpenAI SDK or the AI SDK once more, on Node 22 with the newest of those
// SDKs in their place (tests/clients/node22-sdks).
async function nodeSuite(paths, node22) {
  const files = paths.length
    ? paths.flatMap((p) => (statSync(join(root, p)).isDirectory() ? testFiles(join(root, p)) : [p]))
    : testFiles(join(root, 'tests'));
  // The loader lets tests import worker-shim/core.mjs (and so core.wasm) the way Workers do.
  const first = await nodeTests(process.execPath, ['./scripts/wasm-loader.mjs'], files);
  const sdkFiles = files.filter((f) => SDK_IMPORT.test(readFileSync(join(root, f), 'utf8')));
  if (!node22 || !sdkFiles.length) return first;
  const n = sdkFiles.length;
  console.log(`\nThe ${n} test file${n === 1 ? '' : 's'} importing the OpenAI SDK or the AI SDK, again on Node 22 with tests/clients/node22-sdks:`);
  const second = await nodeTests(node22, ['./tests/clients/node22-sdks/resolve.mjs', './scripts/wasm-loader.mjs'], sdkFiles);
  return { passed: first.passed + second.passed, failed: first.failed + second.failed };
}

const SUITES = ['native', 'asan', 'fuzz', 'wasm', 'node'];
const DEFAULT_SUITES = ['asan', 'fuzz', 'wasm', 'node'];

function options(argv) {
  const at = argv.indexOf('--only');
  if (at < 0) return { suites: new Set(DEFAULT_SUITES), paths: [] };
  const suites = new Set((argv[at + 1] ?? '').split(',').filter(Boolean));
  for (const s of suites) {
    if (!SUITES.includes(s)) {
      console.error(`unknown suite ${s}: use ${SUITES.join(', ')}`);
      process.exit(2);
    }
  }
  return { suites, paths: argv.slice(at + 2) };
}

async function main() {
  const started = Date.now();
  const { suites, paths } = options(process.argv.slice(2));
  const wanted = (name) => suites.has(name);
  ensureToolchain();
  if (!existsSync(join(root, 'node_modules', '.bin', 'wrangler'))) {
    await mustSucceed('npm', ['ci', '--no-audit', '--no-fund']);
  }
  try {
    if (wanted('native')) await step('C++ unit tests (g++, no sanitizers)', () => ctestSuite('build/native', ['-DCMAKE_BUILD_TYPE=Debug']));
    // The unit tests built by clang under ASan + UBSan, on the core objects the fuzz targets
    // below link too: the core is compiled natively once. A plain g++ build and a g++ ASan
    // build of the same tests, beside the fuzz build, took 546 s of a fresh run on a 2-core
    // machine where these two suites now take 164 s.
    if (wanted('asan')) {
      await step('C++ unit tests (clang, ASan + UBSan)', () =>
        ctestSuite(FUZZ_BUILD.dir, FUZZ_BUILD.configure, { target: 'balancer_tests', env: FUZZ_BUILD.env }),
      );
    }
    // libFuzzer targets (cpp/fuzz): replays the committed corpus and fuzzes each target briefly.
    if (wanted('fuzz')) await step('Fuzz targets: corpus replay + smoke run (libFuzzer, ASan + UBSan)', async () => {
      const r = await run(process.execPath, ['scripts/fuzz.mjs', '--smoke', '--seconds', '5'], { quiet: true });
      const m = r.output.match(/^fuzz: (\d+) passed, (\d+) failed/m);
      const table = r.output.split('\n').filter((l) => /^(fuzz targets built|target |\w+ +\d+ +\d+ +\d+ )/.test(l));
      console.log(table.join('\n'));
      if (!m || r.code) process.stdout.write(r.output.slice(-6000));
      return m ? { passed: Number(m[1]), failed: Number(m[2]) } : { passed: 0, failed: 1 };
    });
    if (wanted('wasm')) await step('Wasm artifact is up to date', async () => {
      const r = await run(process.execPath, ['scripts/build.mjs', '--check'], { quiet: true });
      const line = r.output.split('\n').filter((l) => /core\.wasm/.test(l)).pop() ?? r.output.slice(-2000);
      console.log(line);
      return r.code === 0 ? { passed: 1, failed: 0 } : { passed: 0, failed: 1 };
    });
    if (wanted('node')) {
      const node22 = ensureNode22();
      ensureNativeClis();
      if (node22) ensureNode22Sdks();
      await step('Worker, key pool and UI tests (node --test)', () => nodeSuite(paths, node22));
    }
  } catch (err) {
    console.error(`\n${err.message}`);
    results.push({ suite: 'build', passed: 0, failed: 1, seconds: '0' });
  }
  const passed = results.reduce((s, r) => s + r.passed, 0);
  const failed = results.reduce((s, r) => s + r.failed, 0);
  console.log('\nSuites:');
  for (const r of results) console.log(`  ${r.suite}: ${r.passed} passed, ${r.failed} failed (${r.seconds} s)`);
  console.log(`Total time ${((Date.now() - started) / 1000).toFixed(0)} s`);
  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main();
