// Kilo Code's CLI (`@kilocode/cli`, its native binary from the @kilocode/cli-linux-x64 package)
// running `kilo run --format json` against the Worker and the mock Gemini, offline, with a custom
// provider in KILO_CONFIG_CONTENT:
//   @ai-sdk/openai-compatible with baseURL <worker>/v1 (chat completions),
//   @ai-sdk/openai with baseURL <worker>/v1 (the Responses API),
//   @ai-sdk/anthropic with baseURL <worker>/v1 (the Messages API), and
//   @ai-sdk/google with baseURL <worker>/v1beta (the native API),
// each with the client token as apiKey. It answers a prompt, and runs its own `read` tool on a
// file of the working directory, then answers from the result, on a pool of two keys that each
// accept only the thought signatures they issued.
//
// How Kilo is kept offline and out of the real home: HOME and the XDG dirs in a temp dir, no
// models catalog fetch (it uses the snapshot built into the binary), no auto-update, telemetry
// off (KILO_TELEMETRY_LEVEL), no session ingest, presence, sharing or codebase indexing, no
// default plugins (they would be installed from npm), no LSP downloads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { nativeCliRequire } from '../../scripts/toolchain.mjs';
import { REPLIES } from '../helpers/mock-gemini.mjs';
import { setup, testKey } from '../integration/support.mjs';
import { NOTES, assertSignedOnItsKey, twoKeys } from './cli.mjs';
import { assertClean, assertReadLoop, generations, providerConfig, runAgent, texts } from './opencode-family.mjs';

// npm test installs it into build/native-clis (scripts/toolchain.mjs).
const require = nativeCliRequire;

// The platform package's binary (@kilocode/cli's own bin is a copy its postinstall makes).
function kiloBinary() {
  for (const pkg of [`@kilocode/cli-${process.platform}-${process.arch}`, `@kilocode/cli-${process.platform}-${process.arch}-baseline`]) {
    try {
      const bin = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'bin', 'kilo');
      if (existsSync(bin)) return bin;
    } catch {
      // not installed for this platform: try the next
    }
  }
  return null;
}

const KILO = kiloBinary();
const skip = KILO ? false : `no Kilo binary for ${process.platform}-${process.arch}`;

// Runs `kilo run --format json words… extra…` (opencode-family.mjs), with its own switches too:
// telemetry off, no session ingest, presence or codebase indexing.
function runKilo(env, { kind, model, words, extra = [], files = {} }) {
  const config = providerConfig({ schema: 'https://app.kilo.ai/config.json', workerUrl: env.url, kind, model });
  return runAgent({
    binary: KILO,
    prefix: 'KILO',
    config,
    words,
    extra,
    files,
    env: {
      KILO_TELEMETRY_LEVEL: 'off',
      KILO_DISABLE_SESSION_INGEST: '1',
      KILO_DISABLE_PRESENCE: '1',
      KILO_DISABLE_CODEBASE_INDEXING: '1',
    },
  });
}

const READ = ['call', 'tool', 'read', 'with', '{"filePath":"notes.txt"}'];

test('kilo run answers through the Worker with an OpenAI-compatible provider', { skip }, async () => {
  const model = 'gemini-2.5-flash';
  const env = await setup({ keys: [testKey('kilo-1')] });
  try {
    const run = await runKilo(env, { kind: 'openai', model, words: ['Hello'] });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(texts(run), [REPLIES.hello(model)]);
    const finish = run.events.find((e) => e.type === 'step_finish');
    assert.equal(finish.part.reason, 'stop');
    assert.ok(finish.part.tokens.input > 0, 'usage reached Kilo');
    const calls = generations(env);
    assert.ok(calls.length >= 1 && calls.every((r) => r.model === model && r.key === testKey('kilo-1')));
    assert.ok(calls.some((r) => r.json().tools?.length), 'the agent call declares its tools');
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('kilo run: a read tool loop on Gemini 3 over chat completions and two keys', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('kilo-chat'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runKilo(env, { kind: 'openai', model, words: READ, files: NOTES });
    const { calls, sent } = assertReadLoop(env, run);
    // As in OpenCode, its OpenAI-compatible provider drops extra_content but keeps the call's id,
    // which carries the signature too: Gemini gets it back, on the key that issued it.
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('kilo run with the Anthropic provider: --variant high and a read tool loop keep the signature and its key', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('kilo-anthropic'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runKilo(env, { kind: 'anthropic', model, words: ['think,', 'then', ...READ], extra: ['--variant', 'high'], files: NOTES });
    const { calls, sent } = assertReadLoop(env, run);
    for (const call of calls) assert.equal(call.json().generationConfig.thinkingConfig.thinkingLevel, 'high');
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('kilo run with the Google provider on the native API: a read tool loop keeps the signature and its key', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('kilo-google'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runKilo(env, { kind: 'google', model, words: READ, files: NOTES });
    const { calls, sent } = assertReadLoop(env, run);
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('kilo run with the OpenAI provider on the Responses API: a read tool loop keeps the signature and its key', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('kilo-responses'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runKilo(env, { kind: 'responses', model, words: READ, files: NOTES });
    const { calls, sent } = assertReadLoop(env, run);
    // It sends store: false and asks for reasoning.encrypted_content, which carries the
    // signature back in a reasoning item.
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});
