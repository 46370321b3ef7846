// build.mjs — builds the core to WebAssembly and copies it to worker-shim/core.wasm.
//   node scripts/build.mjs           build and update the committed artifact
//   node scripts/build.mjs --check   build and fail if the committed artifact differs
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureToolchain } from './toolchain.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const buildDir = join(root, 'build', 'wasm');
const built = join(buildDir, 'core.wasm');
const committed = join(root, 'worker-shim', 'core.wasm');

const sha = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

export function buildWasm() {
  ensureToolchain();
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: 'inherit' });
  run('emcmake', ['cmake', '-S', '.', '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release']);
  run('cmake', ['--build', buildDir, '-j2']);
  return built;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const check = process.argv.includes('--check');
  buildWasm();
  if (check) {
    if (!existsSync(committed) || sha(built) !== sha(committed)) {
      console.error(
        'worker-shim/core.wasm does not match the C++ sources: run `npm run build` and commit worker-shim/core.wasm.',
      );
      process.exit(1);
    }
    console.log(`worker-shim/core.wasm is up to date (sha256 ${sha(built).slice(0, 16)}…)`);
  } else {
    copyFileSync(built, committed);
    console.log(`worker-shim/core.wasm updated (${readFileSync(committed).length} bytes)`);
  }
}
