// OpenCode itself (`opencode-ai`, its native binary from npm) running `opencode run --format json`
// against the Worker and the mock Gemini, offline, with a custom provider in its config:
//   @ai-sdk/openai-compatible with baseURL <worker>/v1 (chat completions), and
//   @ai-sdk/anthropic with baseURL <worker>/v1 (the Messages API),
// both with the client token as apiKey. It answers a prompt, and runs its own `read` tool on a
// file of the working directory, then answers from the result.
//
// How OpenCode is kept offline and out of the real home: HOME and the XDG dirs in a temp dir,
// the config in OPENCODE_CONFIG_CONTENT, OPENCODE_DISABLE_MODELS_FETCH (no models.dev catalog:
// it uses the snapshot built into the binary), OPENCODE_DISABLE_AUTOUPDATE, no default plugins
// (they would be installed from npm), no LSP downloads, no sharing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { nativeCliRequire } from '../../scripts/toolchain.mjs';
import { REPLIES } from '../helpers/mock-gemini.mjs';
import { setup, testKey } from '../integration/support.mjs';
import { assertSigned, assertSignedOnItsKey } from './cli.mjs';
import { assertClean, assertReadLoop, generations, providerConfig, runAgent, texts } from './opencode-family.mjs';

// npm test installs it into build/native-clis (scripts/toolchain.mjs).
const require = nativeCliRequire;

// The platform package's binary (opencode-ai's own bin is a copy its postinstall makes).
function opencodeBinary() {
  const arch = process.arch === 'x64' ? 'x64' : process.arch;
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const name = platform === 'windows' ? 'opencode.exe' : 'opencode';
  for (const pkg of [`opencode-${platform}-${arch}`, `opencode-${platform}-${arch}-baseline`]) {
    try {
      const bin = path.join(path.dirname(require.resolve(`${pkg}/package.json`)), 'bin', name);
      if (existsSync(bin)) return bin;
    } catch {
      // not installed for this platform: try the next
    }
  }
  return null;
}

const OPENCODE = opencodeBinary();
const skip = OPENCODE ? false : `no OpenCode binary for ${process.platform}-${process.arch}`;
// Runs `opencode run --format json words… extra…` (opencode-family.mjs).
function runOpencode(env, { kind, model, words, extra = [], files = {} }) {
  const config = providerConfig({ schema: 'https://opencode.ai/config.json', workerUrl: env.url, kind, model });
  return runAgent({ binary: OPENCODE, prefix: 'OPENCODE', config, words, extra, files });
}

test('opencode run answers through the Worker with an OpenAI-compatible provider', { skip }, async () => {
  const model = 'gemini-2.5-flash';
  const env = await setup({ keys: [testKey('opencode-1')] });
  try {
    const run = await runOpencode(env, { kind: 'openai', model, words: ['Hello'] });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.deepEqual(texts(run), [REPLIES.hello(model)]);
    const finish = run.events.find((e) => e.type === 'step_finish');
    assert.equal(finish.part.reason, 'stop');
    assert.ok(finish.part.tokens.input > 0, 'usage reached OpenCode');
    // Its session title, then the answer: both on chat completions, both on the pool's key.
    const calls = generations(env);
    assert.equal(calls.length, 2);
    assert.ok(calls.every((r) => r.model === model && r.key === testKey('opencode-1')));
    assert.ok(calls.some((r) => r.json().tools?.length), 'the agent call declares its tools');
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('opencode run: a read tool loop on Gemini 3 over chat completions', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const keys = ['opencode-read-1', 'opencode-read-2', 'opencode-read-3'].map(testKey);
  const env = await setup({ keys, mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runOpencode(env, {
      kind: 'openai',
      model,
      words: ['call', 'tool', 'read', 'with', '{"filePath":"notes.txt"}'],
      files: { 'notes.txt': 'the secret word is balancer-42\n' },
    });
    const { calls, sent } = assertReadLoop(env, run);
    // Its AI SDK provider keeps the signature under the provider's name but looks for it under
    // "google" when it sends the call back, so extra_content does not come back; the call's id
    // does, and the signature rides in it: Gemini gets it back, on the key that made it (the
    // mock refuses it on any other).
    assertSignedOnItsKey(calls, sent);
    assert.ok(!sent.functionCall.id.includes('__ts__'), 'Gemini sees the id without it');
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('opencode run with the Anthropic provider: thinking at --variant high and a read tool loop keep the signature', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: [testKey('opencode-anthropic')], mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runOpencode(env, {
      kind: 'anthropic',
      model,
      words: ['think,', 'then', 'call', 'tool', 'read', 'with', '{"filePath":"notes.txt"}'],
      extra: ['--variant', 'high'],
      files: { 'notes.txt': 'the secret word is balancer-42\n' },
    });
    const { calls, sent } = assertReadLoop(env, run);
    for (const call of calls) assert.equal(call.json().generationConfig.thinkingConfig.thinkingLevel, 'high');
    // The signature Gemini issued came back in the thinking block, not the skip value.
    assertSigned(sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});
