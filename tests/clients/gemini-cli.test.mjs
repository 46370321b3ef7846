// Gemini CLI itself (@google/gemini-cli) against the Worker and the mock, offline: `gemini -p …
// --output-format json` with GOOGLE_GEMINI_BASE_URL set to the Worker and the client token
// as GEMINI_API_KEY, as the README says. It answers a prompt, and runs a read_file tool loop on
// Gemini 3 (thought signatures bound to the key that made them) over a pool that also holds a
// dead and an exhausted key, without noticing whichever of them the balancer tries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './cli.mjs';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CLIENT, eventually, setup, testKey } from '../integration/support.mjs';

const require = createRequire(import.meta.url);
const GEMINI = path.join(path.dirname(require.resolve('@google/gemini-cli/package.json')), 'bundle', 'gemini.js');
const MODEL = 'gemini-3.8-flash';

// Runs `gemini args…` in a fresh home and workspace: API-key auth, no update check, no
// telemetry or usage statistics, a trusted workspace. Resolves { code, stdout, stderr, json }.
async function runGemini(baseUrl, args, files = {}) {
  const home = mkdtempSync(path.join(tmpdir(), 'gemini-cli-test-'));
  try {
    mkdirSync(path.join(home, '.gemini'));
    const settings = {
      security: { auth: { selectedType: 'gemini-api-key' } },
      general: { disableAutoUpdate: true, disableUpdateNag: true },
      privacy: { usageStatisticsEnabled: false },
      telemetry: { enabled: false },
      ide: { enabled: false },
    };
    writeFileSync(path.join(home, '.gemini', 'settings.json'), JSON.stringify(settings));
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(home, name), text);
    const { code, stdout, stderr } = await runCli(process.execPath, [GEMINI, ...args, '--output-format', 'json', '-m', MODEL], {
      cwd: home,
      env: {
        PATH: process.env.PATH,
        HOME: home,
        GEMINI_API_KEY: CLIENT,
        GOOGLE_GEMINI_BASE_URL: baseUrl,
        GEMINI_CLI_TRUST_WORKSPACE: 'true',
        GEMINI_CLI_NO_RELAUNCH: 'true',
        NO_COLOR: '1',
        CI: '1',
      },
    });
    let json = null;
    try {
      json = JSON.parse(stdout);
    } catch {
      // left null: the assertions show stdout
    }
    return { code, stdout, stderr, json };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const generations = (env) => env.mock.requests.filter((r) => r.action === 'streamGenerateContent' || r.action === 'generateContent');

test('gemini -p answers through the Worker', async () => {
  const env = await setup({ keys: [testKey('gemini-cli')] });
  try {
    const run = await runGemini(env.url, ['-p', 'Hello']);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.equal(typeof run.json?.response, 'string', run.stdout);
    assert.ok(run.json.response.length > 0);
    const api = run.json.stats.models[MODEL].api;
    assert.deepEqual([api.totalRequests, api.totalErrors], [1, 0]);
    assert.ok(run.json.stats.models[MODEL].tokens.prompt > 0, 'usage reached the CLI');
    const calls = generations(env);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].model, MODEL);
    assert.equal(calls[0].key, testKey('gemini-cli'));
    assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  } finally {
    await env.close();
  }
});

test('gemini -p runs a read_file tool loop on Gemini 3, unaware of the dead and exhausted keys in the pool', async () => {
  const dead = testKey('gcli-dead');
  const limited = testKey('gcli-limited');
  const good = testKey('gcli-good');
  const env = await setup({
    keys: [dead, limited, good],
    mockOptions: { bindSignaturesToKey: true, keys: { [dead]: 'invalid', [limited]: 'quota_day' } },
  });
  try {
    const run = await runGemini(env.url, ['-p', 'call tool read_file with {"file_path": "notes.txt"}'], {
      'notes.txt': 'the secret word is balancer-42\n',
    });
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.json?.response ?? '', /balancer-42/, run.stdout);
    assert.equal(run.json.stats.tools.byName.read_file?.success, 1);
    assert.equal(run.json.stats.models[MODEL].api.totalErrors, 0);
    const calls = generations(env);
    const answered = calls.filter((r) => r.key === good);
    // The call, then its answer: each on the good key, the second with the signature it made.
    assert.equal(answered.length, 2, calls.map((r) => r.key).join(', '));
    const back = answered[1].json().contents.flatMap((c) => c.parts);
    assert.ok(back.some((p) => p.functionCall?.name === 'read_file' && p.thoughtSignature));
    assert.match(JSON.stringify(back.find((p) => p.functionResponse)), /balancer-42/);
    // A bad key the balancer tried failed once, and was put aside for the rest of the run.
    assert.ok(calls.filter((r) => r.key === dead).length <= 1);
    assert.ok(calls.filter((r) => r.key === limited).length <= 1);
    if (calls.some((r) => r.key === dead)) {
      // The key event reaches the pool in the background: wait for it, then look.
      const status = () => env.adminJson('/api/keys').then((r) => r.body.keys.find((k) => k.masked.endsWith('dead')).status);
      assert.equal(await eventually(async () => ((await status()) === 'disabled' ? 'disabled' : null)), 'disabled');
    }
    assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  } finally {
    await env.close();
  }
});

// Every key's daily quota for the model spent: the Worker answers at once, and says when to
// retry as Google does (a RetryInfo detail, hours away), so Gemini CLI stops rather than
// retrying with backoff ten times.
test('gemini -p over a pool whose daily quota is spent stops at once', async () => {
  const keys = ['gemini-day-1', 'gemini-day-2'].map(testKey);
  const env = await setup({ keys, mockOptions: { keys: Object.fromEntries(keys.map((k) => [k, 'quota_day'])) } });
  try {
    // The first run meets Google's own 429s, and the keys cool down until midnight Pacific.
    await runGemini(env.url, ['-p', 'Hello']);
    const before = generations(env).length;
    const started = Date.now();
    const run = await runGemini(env.url, ['-p', 'Hello again']);
    const took = Date.now() - started;
    assert.notEqual(run.code, 0, run.stdout);
    assert.equal(generations(env).length, before, 'no key was tried');
    assert.match(`${run.stdout}\n${run.stderr}`, /daily quota/);
    assert.ok(took < 30000, `stopped after ${took} ms`);
  } finally {
    await env.close();
  }
});
