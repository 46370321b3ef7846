// OpenCode and Kilo Code (a fork of it) take the same provider config, the same
// `run --format json` command line and switches, print the same JSON event lines and have the
// same read tool: what their tests share. Each runs offline and out of the real home: HOME and
// the XDG dirs in a temp dir, the config in <PREFIX>_CONFIG_CONTENT, and the switches below.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir } from '../helpers/worker.mjs';
import { CLIENT } from '../integration/support.mjs';
import { jsonLines, runCli } from './cli.mjs';

// The AI SDK package a provider kind uses, and the Worker path it is pointed at.
export const PROVIDERS = {
  openai: { npm: '@ai-sdk/openai-compatible', path: '/v1' },
  responses: { npm: '@ai-sdk/openai', path: '/v1' },
  anthropic: { npm: '@ai-sdk/anthropic', path: '/v1' },
  google: { npm: '@ai-sdk/google', path: '/v1beta' },
};

// A config whose one provider, "balancer", is the Worker as `kind` speaks it.
export function providerConfig({ schema, workerUrl, kind, model }) {
  return {
    $schema: schema,
    provider: {
      balancer: {
        npm: PROVIDERS[kind].npm,
        name: 'Gemini balancer',
        options: { baseURL: `${workerUrl}${PROVIDERS[kind].path}`, apiKey: CLIENT },
        models: { [model]: { name: model, tool_call: true, reasoning: true, limit: { context: 1048576, output: 65536 } } },
      },
    },
    model: `balancer/${model}`,
    enabled_providers: ['balancer'],
    autoupdate: false,
    share: 'disabled',
  };
}

// Switches both take under their own prefix: no models catalog fetch (the snapshot built into
// the binary serves), no auto-update, no default plugins (they would be installed from npm),
// no LSP downloads, no sharing, no Claude Code settings or external skills.
const OFF = ['MODELS_FETCH', 'AUTOUPDATE', 'DEFAULT_PLUGINS', 'LSP_DOWNLOAD', 'SHARE', 'CLAUDE_CODE', 'EXTERNAL_SKILLS'];

// Runs `<binary> run --format json extra… words…` in a fresh home and working directory holding
// `files`, with `env` added. Each word its own argument: run quotes an argument that holds
// spaces. Resolves { code, stdout, stderr, events, work }.
export async function runAgent({ binary, prefix, config, words, extra = [], files = {}, env = {} }) {
  const root = makeTempDir(prefix.toLowerCase());
  const home = path.join(root, 'home');
  const work = path.join(root, 'work');
  mkdirSync(home);
  mkdirSync(work);
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(work, name), text);
  const { code, stdout, stderr } = await runCli(binary, ['run', '--format', 'json', ...extra, ...words], {
    cwd: work,
    env: {
      PATH: process.env.PATH,
      HOME: home,
      XDG_CONFIG_HOME: path.join(home, '.config'),
      XDG_DATA_HOME: path.join(home, '.local', 'share'),
      XDG_CACHE_HOME: path.join(home, '.cache'),
      XDG_STATE_HOME: path.join(home, '.local', 'state'),
      [`${prefix}_CONFIG_CONTENT`]: JSON.stringify(config),
      ...Object.fromEntries(OFF.map((name) => [`${prefix}_DISABLE_${name}`, '1'])),
      ...env,
      NO_COLOR: '1',
    },
    timeoutMs: 60000,
  });
  const events = jsonLines(stdout);
  return { code, stdout, stderr, events, work };
}

export const generations = (env) => env.mock.requests.filter((r) => r.action === 'streamGenerateContent');
export const texts = (run) => run.events.filter((e) => e.type === 'text').map((e) => e.part.text);

// Every call reached Gemini once and was answered; the pool holds every key as active.
export async function assertClean(env, run) {
  assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  assert.ok(generations(env).every((r) => r.status === 200), generations(env).map((r) => r.status).join(', '));
  assert.ok(!run.events.some((e) => e.type === 'error'), run.stdout);
  const keys = await env.adminJson('/api/keys');
  assert.ok(keys.body.keys.every((k) => k.status === 'active'), 'no key blamed');
}

// The read loop: the tool ran on the file, and the answer's turn carries the call and its
// result. Returns the two calls that declare tools and the call part sent back.
export function assertReadLoop(env, run) {
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  const tool = run.events.find((e) => e.type === 'tool_use');
  assert.equal(tool?.part.tool, 'read', run.stdout);
  assert.equal(tool.part.state.status, 'completed');
  assert.match(tool.part.state.output, /balancer-42/);
  assert.match(texts(run).at(-1), /^Result of read: .*balancer-42/);
  const calls = generations(env).filter((r) => r.json().tools?.length);
  assert.equal(calls.length, 2, 'the call, then the answer to its result');
  const back = calls[1].json().contents.flatMap((c) => c.parts);
  assert.match(JSON.stringify(back.find((p) => p.functionResponse)), /balancer-42/);
  return { calls, sent: back.find((p) => p.functionCall?.name === 'read') };
}
