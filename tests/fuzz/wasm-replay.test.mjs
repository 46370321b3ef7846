// The committed fuzz corpus, replayed through worker-shim/core.wasm: no input may trap the
// module or make it refuse a call the shim would make. node --test runs without the .wasm
// loader, so each target runs in a child `node --import ./scripts/wasm-loader.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TARGETS } from './formats.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));

function replay(target) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'tests/fuzz/replay.mjs', target], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

for (const target of TARGETS) {
  test(`fuzz corpus of ${target} replays through core.wasm`, async () => {
    const r = await replay(target);
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, new RegExp(`^${target}: \\d+ inputs, 0 failed`, 'm'));
  });
}
