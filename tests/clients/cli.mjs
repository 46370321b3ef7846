// What the CLI client tests share: running a command line, reading its JSON-lines output,
// the file their read tool loops read, and the checks of a Gemini 3 signature sent back.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { testKey } from '../integration/support.mjs';

// The value Google documents for a call whose signature is lost; the Worker sends it then.
export const SKIP_SIGNATURE = 'skip_thought_signature_validator';
// The working directory of a read tool loop.
export const NOTES = { 'notes.txt': 'the secret word is balancer-42\n' };
export const twoKeys = (label) => [testKey(`${label}-1`), testKey(`${label}-2`)];

// The JSON objects of a client's output, one a line; other lines are skipped.
export const jsonLines = (stdout) =>
  stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));

// The call part sent back carries the signature Gemini issued, not the skip value.
export function assertSigned(sent) {
  assert.ok(sent?.thoughtSignature && sent.thoughtSignature !== SKIP_SIGNATURE, JSON.stringify(sent));
}

// ... and the follow-up (`calls[1]`) went to the key that signed the call (`calls[0]`).
export function assertSignedOnItsKey(calls, sent) {
  assertSigned(sent);
  assert.equal(calls[1].key, calls[0].key, 'the follow-up went to the key that signed the call');
}

// Runs a client's command line to its end with stdin closed: resolves { code, stdout, stderr }.
// A run still going after `timeoutMs` is killed (SIGKILL), so a hung client fails its test.

export function runCli(command, args, { cwd, env, timeoutMs = 120000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
