// Codex CLI itself (`@openai/codex`, its native binary from npm) running `codex exec` against
// the Worker and the mock Gemini, offline: one shell tool call (list a directory), then done;
// and under a GPT-5 name mapped to Gemini (MODEL_MAP), where Codex sends apply_patch as a
// custom (free-form) tool with a lark grammar, next to tool_search, one patch applied.
// Needs POST /v1/responses wired in the Worker.
//
// How Codex is pointed at the Worker, with no network and no state outside a temp dir:
//   CODEX_HOME=<temp>, config.toml with model_provider = "balancer" and
//   [model_providers.balancer] base_url = "<worker>/v1", env_key, wire_api = "responses";
//   check_for_update_on_startup = false; [analytics] enabled = false; stdin closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli.mjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { makeTempDir } from '../helpers/worker.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

const require = createRequire(import.meta.url);
const CODEX = require.resolve('@openai/codex/bin/codex.js');

export function codexConfig({ baseUrl, model, extra = [] }) {
  return [
    `model = "${model}"`,
    ...extra,
    'model_provider = "balancer"',
    'check_for_update_on_startup = false',
    '[model_providers.balancer]',
    'name = "Gemini balancer"',
    `base_url = "${baseUrl}"`,
    'env_key = "BALANCER_TOKEN"',
    'wire_api = "responses"',
    '[analytics]',
    'enabled = false',
    '',
  ].join('\n');
}

function runCodex({ home, cwd, prompt, timeoutMs = 120000 }) {
  return runCli(
    process.execPath,
    [CODEX, 'exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '-C', cwd, prompt],
    { env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, BALANCER_TOKEN: CLIENT }, timeoutMs },
  );
}

// A Codex home whose config.toml points at the Worker, and an empty working directory.
function codexDirs(env, config) {
  const root = makeTempDir('codex');
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  writeFileSync(path.join(home, 'config.toml'), codexConfig({ baseUrl: `${env.url}/v1`, ...config }));
  return { home, work };
}

test('codex exec runs one tool call through the Worker and finishes', async () => {
  const env = await setup({ keys: [testKey('codex-1')] });
  try {
    const { home, work } = codexDirs(env, { model: 'gemini-2.5-flash' });
    writeFileSync(path.join(work, 'hello.txt'), 'hi');
    // The mock calls the first declared tool whose name the prompt gives.
    const r = await runCodex({ home, cwd: work, prompt: 'call tool exec_command' });
    assert.equal(r.code, 0, r.stderr);
    const turns = env.mock.requests.filter((q) => q.action === 'streamGenerateContent');
    assert.ok(turns.length >= 2, 'a call, then the answer to its result');
    const last = turns.at(-1).json();
    assert.ok(last.contents.some((c) => c.parts.some((p) => p.functionResponse?.name === 'exec_command')));
    assert.match(r.stdout, /Result of exec_command/);
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

// Codex's efforts as the levels Gemini 3.8 Flash has: xhigh is its deepest (high), and medium
// (the default of Codex's own models) the model's own default, not the costlier high.
test('codex exec at reasoning effort xhigh and medium: the model thinks at the level it has', async () => {
  const env = await setup({ keys: [testKey('codex-xhigh')] });
  try {
    for (const [effort, level] of [['xhigh', 'high'], ['medium', 'medium']]) {
      const extra = [`model_reasoning_effort = "${effort}"`, 'model_reasoning_summary = "detailed"'];
      const { home, work } = codexDirs(env, { model: 'gemini-3.8-flash', extra });
      const before = env.mock.requests.length;
      const r = await runCodex({ home, cwd: work, prompt: 'think, then say hello' });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Hello from gemini-3\.8-flash/);
      const sent = env.mock.requests.slice(before).find((q) => q.action === 'streamGenerateContent').json();
      assert.equal(sent.generationConfig.thinkingConfig.thinkingLevel, level, `effort ${effort}`);
    }
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('codex exec on a GPT-5 name mapped to Gemini: apply_patch is a custom tool, and the patch it is called with is applied', async () => {
  const env = await setup({ keys: [testKey('codex-gpt')], workerOptions: { vars: { MODEL_MAP: 'gpt-5.5=gemini-2.5-flash' } } });
  try {
    const { home, work } = codexDirs(env, { model: 'gpt-5.5' });
    const patch = '*** Begin Patch\n*** Add File: greeting.txt\n+Hello from a patch\n*** End Patch\n';
    const r = await runCodex({ home, cwd: work, prompt: `call tool apply_patch with ${JSON.stringify({ input: patch })}` });
    assert.equal(r.code, 0, r.stderr);
    const turns = env.mock.requests.filter((q) => q.action === 'streamGenerateContent');
    const declared = turns[0].json().tools[0].functionDeclarations.find((d) => d.name === 'apply_patch');
    assert.deepEqual(declared.parameters.required, ['input'], 'declared as a function of its raw input');
    assert.ok(!turns[0].json().tools[0].functionDeclarations.some((d) => d.name === 'tool_search'), 'tool_search left out');
    assert.equal(readFileSync(path.join(work, 'greeting.txt'), 'utf8'), 'Hello from a patch\n');
    const last = turns.at(-1).json();
    assert.ok(last.contents.some((c) => c.parts.some((p) => p.functionResponse?.name === 'apply_patch')));
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('codex exec on a GPT-6 name mapped to Gemini: its tools come in an additional_tools item, and its exec tool runs the code it is called with', async () => {
  const env = await setup({ keys: [testKey('codex-gpt6')], workerOptions: { vars: { MODEL_MAP: 'gpt-6*=gemini-3.8-flash' } } });
  try {
    const { home, work } = codexDirs(env, { model: 'gpt-6-sol' });
    const code = "text('six times seven is ' + 6 * 7)";
    const r = await runCodex({ home, cwd: work, prompt: `call tool exec with ${JSON.stringify({ input: code })}` });
    assert.equal(r.code, 0, r.stderr);
    const turns = env.mock.requests.filter((q) => q.action === 'streamGenerateContent');
    const declared = turns[0].json().tools[0].functionDeclarations.map((d) => d.name);
    assert.ok(declared.includes('exec') && declared.includes('wait'), `declared: ${declared}`);
    // Codex ran the code and sent back what it printed.
    const answered = turns.at(-1).json().contents.flatMap((c) => c.parts).find((p) => p.functionResponse?.name === 'exec');
    assert.match(JSON.stringify(answered.functionResponse.response), /six times seven is 42/);
    assert.ok(turns.every((q) => q.status === 200));
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

// Codex's built-in openai provider, pointed at the Worker (openai_base_url, CODEX_API_KEY),
// compacts remotely: a request whose input ends with a compaction_trigger item, whose answer's
// compaction item then stands for the conversation in the next request. It first asks for the
// Responses API over a WebSocket, which the Worker answers 426, and goes over HTTPS at once.
test('codex exec with its built-in openai provider compacts through the Worker: the summary Gemini writes carries the turn on', async () => {
  const key = testKey('codex-compact');
  let compacted = false;
  const done = 'The listing is done.';
  // After the compaction, the mock would see "call tool exec_command" again and loop: the turn
  // that goes on from the summary answers in text, which ends it.
  const behaviour = (req) => {
    if (req.action !== 'streamGenerateContent') return null;
    if (req.json().toolConfig?.functionCallingConfig?.mode === 'NONE') {
      compacted = true;
      return null;
    }
    if (!compacted) return null;
    const event = { candidates: [{ content: { role: 'model', parts: [{ text: done }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 90, candidatesTokenCount: 5, totalTokenCount: 95 } };
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: `data: ${JSON.stringify(event)}\r\n\r\n` };
  };
  const env = await setup({ keys: [key], mockOptions: { keys: { [key]: behaviour } } });
  try {
    const root = makeTempDir('codex');
    const home = path.join(root, 'home');
    const work = path.join(root, 'work');
    mkdirSync(home);
    mkdirSync(work);
    writeFileSync(path.join(work, 'hello.txt'), 'hi');
    // Any turn over 4,000 tokens is compacted: Codex's own instructions already are.
    const config = ['model = "gemini-3.8-flash"', `openai_base_url = "${env.url}/v1"`, 'model_auto_compact_token_limit = 4000',
      'check_for_update_on_startup = false', '[analytics]', 'enabled = false', ''];
    writeFileSync(path.join(home, 'config.toml'), config.join('\n'));
    const r = await runCli(
      process.execPath,
      [CODEX, 'exec', '--skip-git-repo-check', '--dangerously-bypass-approvals-and-sandbox', '-C', work, 'call tool exec_command'],
      { env: { PATH: process.env.PATH, HOME: home, CODEX_HOME: home, CODEX_API_KEY: CLIENT }, timeoutMs: 120000 },
    );
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /Error running remote compact task/);
    assert.doesNotMatch(r.stderr, /Reconnecting/, 'no WebSocket retries before HTTPS');
    assert.match(r.stdout, /The listing is done\./);
    const turns = env.mock.requests.filter((q) => q.action === 'streamGenerateContent').map((q) => q.json());
    const at = turns.findIndex((t) => t.toolConfig?.functionCallingConfig?.mode === 'NONE');
    assert.ok(at > 0, 'a summary was asked for, after the tool call');
    // The summary is asked of the whole turn: the call and its result, then the request for it.
    const asked = turns[at].contents;
    assert.ok(asked.some((c) => c.parts.some((p) => p.functionCall?.name === 'exec_command')));
    const last = asked.at(-1);
    assert.equal(last.role, 'user');
    assert.ok(last.parts.some((p) => p.functionResponse?.name === 'exec_command'));
    assert.ok(last.parts.at(-1).text, 'the request for a summary comes last');
    assert.ok(!turns[at].tools.some((t) => t.googleSearch), 'no search while summarizing');
    // The next turn goes on from the summary (the mock's answer to the call's result), with
    // none of the turn it replaced.
    const next = turns[at + 1].contents;
    const parts = next.flatMap((c) => c.parts);
    assert.ok(parts.some((p) => /Result of exec_command/.test(p.text ?? '')), JSON.stringify(next).slice(0, 2000));
    assert.ok(!parts.some((p) => p.functionCall || p.functionResponse));
    assert.ok(parts.some((p) => p.text === 'call tool exec_command'), 'the user message Codex keeps');
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});
