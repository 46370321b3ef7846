// The core bench's translations on this tree's core and on another revision's, taken in turns
// in one process: on a machine whose speed drifts from minute to minute, the per-round ratio
// of the two says more than two runs apart. The other revision's core.wasm runs behind its own
// core.mjs (the ABI they share), both measured by this tree's bench (scripts/bench/core.mjs).
//   node --import ./scripts/wasm-loader.mjs scripts/bench/core-against.mjs REV [ROUNDS]
// (npm run bench -- --core-against REV [--rounds N]). Prints JSON: per translation, the
// median µs of each core and the median and per-round ratios, this tree's over REV's.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// A copy of what the bench needs, with REV's core: <dir>/worker-shim/core.{mjs,wasm} from REV,
// this tree's bench, and the fixtures it reads.
function checkout(rev) {
  const sha = execFileSync('git', ['rev-parse', '--verify', `${rev}^{commit}`], { cwd: root }).toString().trim();
  const dir = join(root, 'build', 'bench-against', sha);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'worker-shim'), { recursive: true });
  mkdirSync(join(dir, 'scripts', 'bench'), { recursive: true });
  for (const file of ['core.mjs', 'core.wasm']) {
    writeFileSync(join(dir, 'worker-shim', file), execFileSync('git', ['show', `${sha}:worker-shim/${file}`], { cwd: root, maxBuffer: 1 << 26 }));
  }
  copyFileSync(join(root, 'scripts', 'bench', 'core.mjs'), join(dir, 'scripts', 'bench', 'core.mjs'));
  symlinkSync(join(root, 'tests'), join(dir, 'tests'));
  return { sha, dir };
}

const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];

export async function benchCoreAgainst(rev, rounds = 9) {
  const then = checkout(rev);
  const now = await import(pathToFileURL(join(root, 'scripts', 'bench', 'core.mjs')).href);
  const old = await import(pathToFileURL(join(then.dir, 'scripts', 'bench', 'core.mjs')).href);
  const runs = { now: [], then: [] };
  for (let r = 0; r < rounds; r++) {
    runs.now.push(now.benchTranslations());
    runs.then.push(old.benchTranslations());
  }
  const rows = runs.now[0].map((row, k) => {
    const ratios = runs.now.map((run, r) => run[k].us / runs.then[r][k].us);
    return {
      name: row.name,
      usNow: median(runs.now.map((run) => run[k].us)),
      usThen: median(runs.then.map((run) => run[k].us)),
      ratio: median(ratios),
      ratios,
    };
  });
  return { rev, sha: then.sha, rounds, rows };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [rev, rounds] = process.argv.slice(2);
  if (!rev) {
    console.error('usage: core-against.mjs REV [ROUNDS]');
    process.exit(2);
  }
  console.log(JSON.stringify(await benchCoreAgainst(rev, Number(rounds) || 9)));
}
