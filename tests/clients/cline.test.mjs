// Cline's CLI (`cline`, its native binary from the @cline/cli-linux-x64 package) running a
// prompt headless with `cline --json "<prompt>"` against the Worker and the mock Gemini, offline,
// with three of its providers pointed at the Worker:
//   openai-compatible, set up with `cline auth -p openai-compatible -b <worker>/v1` (chat completions),
//   openai-native, likewise (the Responses API: it sends web_search and image_generation next
//     to its functions),
//   anthropic, whose baseUrl goes into its providers.json (`cline auth -b` takes a base URL
//     only for the OpenAI providers) as <worker>/v1 (the Messages API), and
//   gemini, likewise with baseUrl <worker>/v1 (the native API: its AI SDK provider asks for
//     /v1/models/<model>:streamGenerateContent, with Google Search next to its functions and
//     toolConfig.includeServerSideToolInvocations, which is how Gemini 3 combines them).
// It answers a prompt, and runs its own read_files tool on a file of the working directory,
// then answers from the result, on a pool of two keys that each accept only the thought
// signatures they issued.
//
// How Cline is kept offline and out of the real home: HOME in a temp dir, its global settings
// with telemetryOptOut and autoUpdateEnabled false, CLINE_NO_AUTO_UPDATE and DO_NOT_TRACK, and
// CLINE_SESSION_BACKEND_MODE=local, so that the run is in its own process rather than in the
// background hub daemon it would otherwise start (and leave running) on a fixed local port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NOTES, SKIP_SIGNATURE, assertSignedOnItsKey, jsonLines, runCli, twoKeys } from './cli.mjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { nativeCliRequire } from '../../scripts/toolchain.mjs';
import { REPLIES } from '../helpers/mock-gemini.mjs';
import { makeTempDir } from '../helpers/worker.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

// npm test installs it into build/native-clis (scripts/toolchain.mjs).
const require = nativeCliRequire;

// The platform package's binary (cline's own bin is a Node wrapper that finds it).
function clineBinary() {
  try {
    const pkg = `@cline/cli-${process.platform}-${process.arch}/package.json`;
    const bin = path.join(path.dirname(require.resolve(pkg)), 'bin', 'cline');
    if (existsSync(bin)) return bin;
  } catch {
    // not installed for this platform
  }
  return null;
}

const CLINE = clineBinary();
const skip = CLINE ? false : `no Cline binary for ${process.platform}-${process.arch}`;

function spawnCline(args, { cwd, home }) {
  return runCli(CLINE, args, {
    cwd,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      CLINE_SESSION_BACKEND_MODE: 'local',
      CLINE_NO_AUTO_UPDATE: '1',
      DO_NOT_TRACK: '1',
      NO_COLOR: '1',
      CI: '1',
    },
    timeoutMs: 60000,
  });
}

// Sets the provider up in a fresh home, then runs `cline --json … prompt` in a working directory
// holding `files`. Resolves { code, stdout, stderr, events, result, work }.
async function runCline(env, { provider, model, prompt, extra = [], files = {} }) {
  const root = makeTempDir('cline');
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  const settings = path.join(home, '.cline', 'data', 'settings');
  mkdirSync(settings, { recursive: true });
  mkdirSync(work);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(work, name), text);
  writeFileSync(path.join(settings, 'global-settings.json'), JSON.stringify({ telemetryOptOut: true, autoUpdateEnabled: false }));
  const baseUrl = `${env.url}/v1`;
  const byFlag = provider.startsWith('openai');
  const auth = await spawnCline(['auth', '-p', provider, '-k', CLIENT, '-m', model, ...(byFlag ? ['-b', baseUrl] : [])], { cwd: work, home });
  assert.equal(auth.code, 0, `${auth.stdout}\n${auth.stderr}`);
  if (!byFlag) {
    const file = path.join(settings, 'providers.json');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    saved.providers[provider].settings.baseUrl = baseUrl;
    writeFileSync(file, JSON.stringify(saved, null, 2));
  }
  const p = typeof prompt === 'function' ? prompt(work) : prompt;
  const run = await spawnCline(['--json', ...extra, p], { cwd: work, home });
  const events = jsonLines(run.stdout);
  return { ...run, events, result: events.find((e) => e.type === 'run_result'), work };
}

const generations = (env) => env.mock.requests.filter((r) => r.action === 'streamGenerateContent');
const readPrompt = (work) => `call tool read_files with {"files":[{"path":"${path.join(work, 'notes.txt')}"}]}`;

// Every call reached Gemini once and was answered; the pool holds every key as active.
async function assertClean(env, run) {
  assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  assert.ok(generations(env).every((r) => r.status === 200), generations(env).map((r) => r.status).join(', '));
  assert.equal(run.result?.finishReason, 'completed', run.stdout);
  const keys = await env.adminJson('/api/keys');
  assert.ok(keys.body.keys.every((k) => k.status === 'active'), 'no key blamed');
}

// The read_files loop: two calls, the second carrying the call and its result back.
function assertReadLoop(env, run) {
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.result?.text ?? '', /^Result of read_files: .*balancer-42/, run.stdout);
  const calls = generations(env);
  assert.equal(calls.length, 2, 'the call, then the answer to its result');
  const back = calls[1].json().contents.flatMap((c) => c.parts);
  assert.match(JSON.stringify(back.find((p) => p.functionResponse)), /balancer-42/);
  return { calls, sent: back.find((p) => p.functionCall?.name === 'read_files') };
}


test('cline answers through the Worker with its OpenAI-compatible provider', { skip }, async () => {
  const model = 'gemini-2.5-flash';
  const env = await setup({ keys: [testKey('cline-1')] });
  try {
    // One word alone would be taken for a subcommand.
    const run = await runCline(env, { provider: 'openai-compatible', model, prompt: 'Hello there' });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(run.result?.text, REPLIES.hello(model));
    assert.ok(run.result.usage.inputTokens > 0, 'usage reached Cline');
    const calls = generations(env);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].model, model);
    assert.ok(calls[0].json().tools?.some((t) => t.functionDeclarations?.some((f) => f.name === 'read_files')), 'its tools are declared');
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('cline, OpenAI-compatible provider: a read_files tool loop on Gemini 3 over two keys, at --thinking high', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('cline-chat'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runCline(env, { provider: 'openai-compatible', model, prompt: readPrompt, files: NOTES, extra: ['--thinking', 'high'] });
    const { calls, sent } = assertReadLoop(env, run);
    // --thinking high is its reasoning_effort, Gemini 3's thinking level.
    for (const call of calls) assert.equal(call.json().generationConfig.thinkingConfig.thinkingLevel, 'high');
    // Its AI SDK provider does not send extra_content back with the call, but keeps the call's
    // id, which carries the signature too: Gemini gets it back, on the key that issued it.
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('cline, Anthropic provider: a read_files tool loop on Gemini 3 with --thinking high', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('cline-anthropic'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runCline(env, { provider: 'anthropic', model, prompt: readPrompt, files: NOTES, extra: ['--thinking', 'high'] });
    const { calls, sent } = assertReadLoop(env, run);
    // Its thinking budget reaches Gemini on both calls.
    for (const call of calls) assert.ok(call.json().generationConfig?.thinkingConfig, JSON.stringify(call.json().generationConfig));
    // Cline sends no thinking block back on this provider (with thought text or without), so
    // the call comes back without its signature, and the Worker sends the skip value here too.
    assert.equal(sent?.thoughtSignature, SKIP_SIGNATURE, JSON.stringify(sent));
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('cline, Gemini provider: a read_files tool loop on Gemini 3 keeps the signature and its key', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('cline-gemini'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runCline(env, { provider: 'gemini', model, prompt: readPrompt, files: NOTES });
    const { calls, sent } = assertReadLoop(env, run);
    const first = calls[0].json();
    assert.equal(first.toolConfig?.includeServerSideToolInvocations, true);
    assert.ok(first.tools.some((t) => t.googleSearch), 'Google Search next to its functions');
    // The signature Gemini issued came back, and went to the key that issued it.
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('cline, OpenAI provider on the Responses API: image_generation and web_search next to its functions, and a read_files loop', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: twoKeys('cline-responses'), mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runCline(env, { provider: 'openai-native', model, prompt: readPrompt, files: NOTES });
    const { calls, sent } = assertReadLoop(env, run);
    // Both hosted tools are left out: Gemini gets its functions only.
    for (const call of calls) assert.deepEqual(call.json().tools.map((t) => Object.keys(t)), [['functionDeclarations']]);
    // It sends the function_call back with neither its item id, a reasoning item nor
    // previous_response_id, and store left to its default: the call_id names the stored
    // response, whose record gives the signature back, and the key that issued it.
    assertSignedOnItsKey(calls, sent);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});
