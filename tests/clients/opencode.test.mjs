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
import { runCli } from './cli.mjs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { REPLIES } from '../helpers/mock-gemini.mjs';
import { makeTempDir } from '../helpers/worker.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

const require = createRequire(import.meta.url);

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
  return path.join(path.dirname(require.resolve('opencode-ai/package.json')), 'bin', 'opencode.exe');
}

const OPENCODE = opencodeBinary();
const NPM = { openai: '@ai-sdk/openai-compatible', anthropic: '@ai-sdk/anthropic' };

export function opencodeConfig({ baseUrl, kind, model }) {
  return {
    $schema: 'https://opencode.ai/config.json',
    provider: {
      balancer: {
        npm: NPM[kind],
        name: 'Gemini balancer',
        options: { baseURL: baseUrl, apiKey: CLIENT },
        models: { [model]: { name: model, tool_call: true, reasoning: true, limit: { context: 1048576, output: 65536 } } },
      },
    },
    model: `balancer/${model}`,
    enabled_providers: ['balancer'],
    autoupdate: false,
    share: 'disabled',
  };
}

// Runs `opencode run --format json words… extra…` in a fresh home and working directory holding
// `files`. Resolves { code, stdout, stderr, events, work }.
async function runOpencode(env, { kind, model, words, extra = [], files = {} }) {
  const root = makeTempDir('opencode');
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(work, name), text);
  const config = opencodeConfig({ baseUrl: `${env.url}/v1`, kind, model });
  // Each word its own argument: opencode run quotes an argument that holds spaces.
  const { code, stdout, stderr } = await runCli(OPENCODE, ['run', '--format', 'json', ...extra, ...words], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_STATE_HOME: path.join(home, '.local', 'state'),
      OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
      OPENCODE_DISABLE_MODELS_FETCH: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
      OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
      OPENCODE_DISABLE_SHARE: '1',
      OPENCODE_DISABLE_CLAUDE_CODE: '1',
      OPENCODE_DISABLE_EXTERNAL_SKILLS: '1',
      NO_COLOR: '1',
    },
    timeoutMs: 60000,
  });
  const events = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
  return { code, stdout, stderr, events, work };
}

const generations = (env) => env.mock.requests.filter((r) => r.action === 'streamGenerateContent');
const texts = (run) => run.events.filter((e) => e.type === 'text').map((e) => e.part.text);

// Every call reached Gemini once and was answered; the pool holds every key as active.
async function assertClean(env, run) {
  assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  assert.ok(generations(env).every((r) => r.status === 200), generations(env).map((r) => r.status).join(', '));
  assert.ok(!run.events.some((e) => e.type === 'error'), run.stdout);
  const keys = await env.adminJson('/api/keys');
  assert.ok(keys.body.keys.every((k) => k.status === 'active'), 'no key blamed');
}

test('opencode run answers through the Worker with an OpenAI-compatible provider', async () => {
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

test('opencode run: a read tool loop on Gemini 3 over chat completions', async () => {
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
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const tool = run.events.find((e) => e.type === 'tool_use');
    assert.equal(tool?.part.tool, 'read', run.stdout);
    assert.equal(tool.part.state.status, 'completed');
    assert.match(tool.part.state.output, /balancer-42/);
    assert.match(texts(run).at(-1), /^Result of read: .*balancer-42/);
    // The answer's turn carries the call and its result back to Gemini.
    const back = generations(env).at(-1).json().contents.flatMap((c) => c.parts);
    // Its AI SDK provider keeps the signature under the provider's name but looks for it under
    // "google" when it sends the call back, so extra_content does not come back; the call's id
    // does, and the signature rides in it: Gemini gets it back, on the key that made it (the
    // mock refuses it on any other).
    const sent = back.find((p) => p.functionCall?.name === 'read');
    assert.ok(sent?.thoughtSignature && sent.thoughtSignature !== 'skip_thought_signature_validator', JSON.stringify(sent));
    assert.ok(!sent.functionCall.id.includes('__ts__'), 'Gemini sees the id without it');
    const hasResult = (r) => r.json().contents.some((c) => c.parts.some((p) => p.functionResponse));
    const asked = generations(env).filter((r) => r.json().tools && !hasResult(r)).at(-1);
    assert.equal(generations(env).at(-1).key, asked.key, 'the follow-up went to the key that signed the call');
    assert.match(JSON.stringify(back.find((p) => p.functionResponse)), /balancer-42/);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('opencode run with the Anthropic provider: thinking at --variant high and a read tool loop keep the signature', async () => {
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
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.events.find((e) => e.type === 'tool_use')?.part.state.status, 'completed', run.stdout);
    assert.match(texts(run).at(-1), /^Result of read: .*balancer-42/);
    const calls = generations(env).filter((r) => r.json().tools?.length);
    assert.equal(calls.length, 2, 'the call, then the answer to its result');
    for (const call of calls) assert.equal(call.json().generationConfig.thinkingConfig.thinkingLevel, 'high');
    // The signature Gemini issued came back in the thinking block, not the skip value.
    const back = calls[1].json().contents.flatMap((c) => c.parts);
    const sent = back.find((p) => p.functionCall?.name === 'read');
    assert.ok(sent?.thoughtSignature && sent.thoughtSignature !== 'skip_thought_signature_validator', JSON.stringify(sent));
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});
