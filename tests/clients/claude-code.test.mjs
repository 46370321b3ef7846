// Claude Code itself (@anthropic-ai/claude-code) against the Worker and the mock, offline:
// `claude -p … --output-format json` makes a tool call (the mock scripts a Bash `ls`), gets
// the result back through the Worker, and finishes. Then the requests Claude Code 2.1 was
// captured sending (tests/fixtures/anthropic/captures/) replayed through the Worker reach a
// mock as strict as Google unrefused.
//
// They go through the Worker's Anthropic routes (/v1/messages, /v1/messages/count_tokens,
// /v1/models with x-api-key), which the request machine serves with cpp/src/anthropic/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SOURCES } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';
import { claudeEnv, runClaude } from './claude-code-env.mjs';

const PROMPT = 'List the files here: call tool Bash with {"command":"ls","description":"List files"} then summarise.';

async function withWorkdir(fn) {
  // Outside any git checkout, so Claude Code sees only this directory.
  const home = mkdtempSync(path.join(tmpdir(), 'claude-code-test-'));
  const work = path.join(home, 'project');
  mkdirSync(work);
  writeFileSync(path.join(work, 'alpha.txt'), 'a\n');
  writeFileSync(path.join(work, 'beta.md'), '# b\n');
  try {
    return await fn(home, work);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

for (const auth of ['authToken', 'apiKey']) {
  test(`claude -p lists a directory with a tool and finishes (${auth === 'authToken' ? 'ANTHROPIC_AUTH_TOKEN' : 'ANTHROPIC_API_KEY'})`, async () => {
    const env = await setup({ keys: [testKey('claude-code')] });
    try {
      await withWorkdir(async (home, work) => {
        const run = await runClaude({ prompt: PROMPT, cwd: work, env: claudeEnv({ home, baseUrl: env.url, [auth]: CLIENT }) });
        assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
        assert.equal(run.result?.is_error, false, run.stdout);
        assert.ok(run.result.num_turns >= 2, 'a tool turn, then the answer');
        assert.match(run.result.result, /Result of Bash/);
        const generate = env.mock.requests.filter((r) => r.action === 'streamGenerateContent' || r.action === 'generateContent');
        assert.ok(generate.length >= 2);
        const answered = generate.at(-1).json().contents.flatMap((c) => c.parts).find((p) => p.functionResponse);
        assert.equal(answered.functionResponse.name, 'Bash');
        assert.match(answered.functionResponse.response.output, /alpha\.txt/);
      });
      assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
    } finally {
      await env.close();
    }
  });
}

test('claude -p runs its WebSearch tool through the Worker: the search comes back with its sources as links', async () => {
  const env = await setup({ keys: [testKey('claude-search')] });
  try {
    await withWorkdir(async (home, work) => {
      // ENABLE_TOOL_SEARCH=false: Claude Code declares WebSearch itself rather than behind its
      // ToolSearch tool, so the mock's scripted call can name it.
      const run = await runClaude({
        prompt: 'call tool WebSearch with {"query":"balancer release notes"} then summarise.',
        cwd: work,
        env: { ...claudeEnv({ home, baseUrl: env.url, authToken: CLIENT }), ENABLE_TOOL_SEARCH: 'false' },
        args: ['--allowedTools', 'WebSearch'],
      });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.equal(run.result?.is_error, false, run.stdout);
      const generate = env.mock.requests.filter((r) => r.action === 'streamGenerateContent' || r.action === 'generateContent');
      // WebSearch's own request: Anthropic's web_search tool, sent to Gemini as Google Search.
      const search = generate.filter((r) => r.json().tools?.some((t) => t.googleSearch));
      assert.equal(search.length, 1);
      // What WebSearch handed back to the model lists the sources' links, from the
      // web_search_tool_result block.
      const answered = generate.at(-1).json().contents.flatMap((c) => c.parts).find((p) => p.functionResponse);
      assert.equal(answered.functionResponse.name, 'WebSearch');
      const output = JSON.stringify(answered.functionResponse.response);
      assert.match(output, /Web search results for query: \\"balancer release notes\\"/);
      for (const source of SOURCES) assert.ok(output.includes(source.uri) && output.includes(source.title), output);
    });
    assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  } finally {
    await env.close();
  }
});

test('claude -p on Gemini 3 carries the thought signatures back through its tool loop, no fallback', async () => {
  const env = await setup({ keys: [testKey('claude-code-g3')], mockOptions: { bindSignaturesToKey: true } });
  try {
    await withWorkdir(async (home, work) => {
      const run = await runClaude({
        prompt: PROMPT,
        cwd: work,
        env: claudeEnv({ home, baseUrl: env.url, authToken: CLIENT }),
        args: ['--model', 'gemini-3-pro-preview'],
      });
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.equal(run.result?.is_error, false, run.stdout);
      assert.match(run.result.result, /Result of Bash/);
      const generate = env.mock.requests.filter((r) => r.action === 'streamGenerateContent' || r.action === 'generateContent');
      assert.ok(generate.every((r) => r.model === 'gemini-3-pro-preview' && r.status === 200));
      const call = generate.at(-1).json().contents.flatMap((c) => c.parts).find((p) => p.functionCall);
      assert.ok(env.mock.signatures.has(call.thoughtSignature), 'the call went back with the signature Gemini issued');
      assert.ok(!generate.some((r) => r.body.toString('utf8').includes('skip_thought_signature_validator')));
    });
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('the captured Claude Code requests go through the Worker to a mock that refuses nothing', async () => {
  const dir = new URL('../fixtures/anthropic/captures/', import.meta.url);
  const captures = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  assert.ok(captures.length >= 2);
  const env = await setup({ keys: [testKey('captures')] });
  try {
    for (const name of captures) {
      const capture = JSON.parse(readFileSync(new URL(name, dir), 'utf8'));
      const res = await env.worker.fetch(`${capture.path}${capture.query}`, {
        method: 'POST',
        headers: { ...capture.headers, authorization: `Bearer ${CLIENT}` },
        body: JSON.stringify(capture.body),
      });
      const text = await res.text();
      assert.equal(res.status, 200, `${name}: ${text.slice(0, 500)}`);
      assert.match(res.headers.get('content-type'), /^text\/event-stream/);
      assert.match(text, /^event: message_start\n/);
      assert.match(text, /event: message_stop\n/);
      assert.equal(env.mock.requests.at(-1).status, 200, `${name}: the mock accepted the Gemini body`);
    }
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

// A pool of free keys, which Google gives no Google Search grounding: WebSearch fails, and
// only WebSearch. Its failure leaves the keys serving gemini-3.8-flash, so Claude Code's own
// turns go on and the run finishes; WebSearch is not retried against a pool that cannot search.
test('claude -p over keys without search grounding: WebSearch fails alone, the run goes on and finishes', async () => {
  const keys = ['claude-free-1', 'claude-free-2'].map(testKey);
  const env = await setup({ keys, mockOptions: { keys: Object.fromEntries(keys.map((k) => [k, 'no_grounding'])) } });
  try {
    await withWorkdir(async (home, work) => {
      const started = Date.now();
      const run = await runClaude({
        prompt: 'call tool WebSearch with {"query":"balancer release notes"} then summarise.',
        cwd: work,
        env: { ...claudeEnv({ home, baseUrl: env.url, authToken: CLIENT }), ENABLE_TOOL_SEARCH: 'false' },
        args: ['--allowedTools', 'WebSearch'],
      });
      console.log(`# claude run took ${Date.now() - started} ms`);
      assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
      assert.equal(run.result?.is_error, false, run.stdout);
      const generate = env.mock.requests.filter((r) => r.action === 'streamGenerateContent' || r.action === 'generateContent');
      const search = generate.filter((r) => r.json().tools?.some((t) => t.googleSearch));
      console.log(`# searches ${search.length}: ${search.map((r) => r.status).join(',')}`);
      const turns = generate.filter((r) => !r.json().tools?.some((t) => t.googleSearch));
      assert.ok(turns.length >= 2, 'a turn that calls WebSearch, then one with its result');
      assert.ok(turns.every((r) => r.status === 200), turns.map((r) => r.status).join(','));
      // WebSearch's failure reached the model as its result.
      const answered = turns.at(-1).json().contents.flatMap((c) => c.parts).find((p) => p.functionResponse);
      assert.equal(answered?.functionResponse.name, 'WebSearch');
    });
  } finally {
    await env.close();
  }
});
