// The official Anthropic SDK (@anthropic-ai/sdk) pointed at the Worker, with the strict mock
// Gemini behind it: what an Anthropic client sees of POST /v1/messages (whole and streamed),
// count_tokens, the models list and every error class.
//
// They go through the Worker's Anthropic routes (/v1/messages, /v1/messages/count_tokens,
// /v1/models with x-api-key), which the request machine serves with cpp/src/anthropic/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import Anthropic from '@anthropic-ai/sdk';
import { REPLIES, SOURCES } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

// 1x1 transparent PNG, and the smallest PDF header.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';
const PDF = Buffer.from('%PDF-1.4\n%mock\n').toString('base64');

const WEATHER = {
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    properties: { city: { type: 'string', description: 'City name' } },
    required: ['city'],
  },
};

async function withClient(fn, { keys = [testKey('anthropic-1'), testKey('anthropic-2')], ...options } = {}) {
  const env = await setup({ keys, ...options });
  const client = new Anthropic({ baseURL: env.url, apiKey: CLIENT, maxRetries: 0, timeout: 20000 });
  try {
    await fn(client, env);
    assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  } finally {
    await env.close();
  }
}

const lastGemini = (env) => env.mock.requests.findLast((r) => r.action?.endsWith('enerateContent')).json();

test('messages.create: a Claude name maps to Gemini, the answer keeps the name', async () => {
  await withClient(async (client, env) => {
    const m = await client.messages.create({
      model: 'claude-haiku-4-5',
      max_tokens: 200,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Hello' }],
      metadata: { user_id: '{"device_id":"d"}' },
    });
    assert.match(m.id, /^msg_/);
    assert.equal(m.type, 'message');
    assert.equal(m.role, 'assistant');
    assert.equal(m.model, 'claude-haiku-4-5');
    assert.equal(m.content[0].type, 'text');
    assert.equal(m.content[0].text, REPLIES.hello('gemini-3.5-flash-lite'));
    assert.equal(m.stop_reason, 'end_turn');
    assert.equal(m.stop_sequence, null);
    assert.ok(m.usage.input_tokens > 0 && m.usage.output_tokens > 0);
    const sent = lastGemini(env);
    assert.deepEqual(sent.systemInstruction.parts, [{ text: 'Be brief.' }]);
    assert.equal(sent.generationConfig.maxOutputTokens, 200);
    assert.equal(env.mock.requests.at(-1).model, 'gemini-3.5-flash-lite');
  });
});

test('messages.stream: the helper\'s text events and finalMessage() add up, byte-exact', async () => {
  await withClient(async (client) => {
    const stream = client.messages.stream({
      model: 'gemini-2.5-flash',
      max_tokens: 4000,
      messages: [{ role: 'user', content: 'a long answer please' }],
    });
    let text = '';
    const events = [];
    stream.on('text', (delta) => (text += delta));
    stream.on('streamEvent', (e) => events.push(e.type));
    const final = await stream.finalMessage();
    assert.equal(text, REPLIES.long);
    assert.equal(final.content[0].text, REPLIES.long);
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(final.usage.output_tokens > 0);
    assert.equal(events[0], 'message_start');
    assert.equal(events.at(-1), 'message_stop');
    assert.ok(events.includes('content_block_delta'));
  });
});

async function toolLoop(client, model, stream) {
  const messages = [{ role: 'user', content: 'call tool get_weather' }];
  const params = { model, max_tokens: 1000, tools: [WEATHER], messages };
  const first = stream ? await client.messages.stream(params).finalMessage() : await client.messages.create(params);
  assert.equal(first.stop_reason, 'tool_use');
  const use = first.content.find((b) => b.type === 'tool_use');
  assert.equal(use.name, 'get_weather');
  assert.equal(typeof use.input.city, 'string');
  messages.push({ role: 'assistant', content: first.content });
  messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '21 degrees' }] });
  const second = await client.messages.create({ ...params, messages });
  assert.equal(second.stop_reason, 'end_turn');
  assert.match(second.content.find((b) => b.type === 'text').text, /Result of get_weather/);
  return first;
}

test('a multi-turn tool loop on Gemini 2.5 and on Gemini 3, whole and streamed', async () => {
  await withClient(
    async (client, env) => {
      await toolLoop(client, 'gemini-2.5-flash', false);
      await toolLoop(client, 'gemini-2.5-flash', true);
      const g3 = await toolLoop(client, 'gemini-3-pro-preview', false);
      assert.ok(g3.content.some((b) => b.type === 'thinking' && b.signature), 'the signature rides in a thinking block');
      await toolLoop(client, 'gemini-3-pro-preview', true);
      // Gemini 3 signs its calls (the mock's 2.5 does not), and each signature came back.
      const bodies = env.mock.requests.filter((r) => r.model.startsWith('gemini-3')).map((r) => r.body.toString('utf8'));
      assert.equal(bodies.length, 4);
      assert.ok(!bodies.some((b) => b.includes('skip_thought_signature_validator')), 'no fallback signature was needed');
    },
    { keys: [testKey('anthropic-only')], mockOptions: { bindSignaturesToKey: true } },
  );
});

test('Gemini 3 tool loops over a pool of four keys: each follow-up goes to the key that signed the call', async () => {
  // Signatures are bound to the project of the key that made them (the mock refuses them
  // elsewhere, as Google does): the thinking block that carries one back must bring the next
  // turn to that key, though the pool's turn has moved on.
  await withClient(
    async (client, env) => {
      for (let i = 0; i < 4; i++) await toolLoop(client, 'gemini-3-pro-preview', i % 2 === 1);
      const calls = env.mock.requests.filter((r) => r.path.includes('gemini-3-pro-preview'));
      assert.equal(calls.length, 8);
      for (let i = 0; i < 8; i += 2) assert.equal(calls[i + 1].key, calls[i].key, `loop ${i / 2}: the follow-up stayed`);
      assert.ok(new Set(calls.map((r) => r.key)).size > 1, 'the loops were spread over keys');
      assert.ok(calls.every((r) => r.status === 200));
    },
    { keys: ['sig-1', 'sig-2', 'sig-3', 'sig-4'].map(testKey), mockOptions: { bindSignaturesToKey: true } },
  );
});

test("Anthropic's bash and text editor tools, which the client runs: calls with their documented inputs, results back", async () => {
  await withClient(async (client, env) => {
    const tools = [
      { type: 'bash_20250124', name: 'bash' },
      { type: 'text_editor_20250728', name: 'str_replace_based_edit_tool' },
    ];
    const ask = (content) => [{ role: 'user', content }];
    const bash = await client.messages.create({
      model: 'gemini-3.8-flash',
      max_tokens: 1000,
      tools,
      messages: ask('call tool bash with {"command": "ls -la"}'),
    });
    const use = bash.content.find((b) => b.type === 'tool_use');
    assert.deepEqual([bash.stop_reason, use.name, use.input], ['tool_use', 'bash', { command: 'ls -la' }]);
    const messages = [...ask('call tool bash with {"command": "ls -la"}'), { role: 'assistant', content: bash.content }];
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: 'notes.txt' }] });
    const after = await client.messages.create({ model: 'gemini-3.8-flash', max_tokens: 1000, tools, messages });
    assert.match(after.content.find((b) => b.type === 'text').text, /Result of bash: .*notes\.txt/);

    const edit = await client.messages
      .stream({
        model: 'gemini-3.8-flash',
        max_tokens: 1000,
        tools,
        messages: ask('call tool str_replace_based_edit_tool with {"command": "view", "path": "/repo/a.py"}'),
      })
      .finalMessage();
    const view = edit.content.find((b) => b.type === 'tool_use');
    assert.deepEqual([view.name, view.input], ['str_replace_based_edit_tool', { command: 'view', path: '/repo/a.py' }]);
    // Google was told what the tools take.
    const declared = env.mock.requests[0].json().tools[0].functionDeclarations;
    assert.deepEqual(
      declared.map((d) => [d.name, d.parameters.required ?? []]),
      [
        ['bash', []],
        ['str_replace_based_edit_tool', ['command', 'path']],
      ],
    );
  });
});

test('the web_search server tool: the search and its sources come back as blocks, whole and streamed, and go back unrefused', async () => {
  await withClient(async (client, env) => {
    const tools = [{ type: 'web_search_20250305', name: 'web_search', max_uses: 3 }];
    const params = { model: 'claude-haiku-4-5', max_tokens: 300, tools, messages: [{ role: 'user', content: 'Hello' }] };
    // `order`: the block types, in order.
    const check = (m, order) => {
      assert.deepEqual(m.content.map((b) => b.type), order);
      const block = (type) => m.content.find((b) => b.type === type);
      const use = block('server_tool_use');
      const result = block('web_search_tool_result');
      assert.equal(use.name, 'web_search');
      assert.equal(typeof use.input.query, 'string');
      assert.equal(result.tool_use_id, use.id);
      assert.deepEqual(result.content.map((r) => [r.type, r.url, r.title]), SOURCES.map((s) => ['web_search_result', s.uri, s.title]));
      assert.equal(block('text').text, REPLIES.hello('gemini-3.5-flash-lite'));
      assert.equal(m.usage.server_tool_use.web_search_requests, 1);
    };
    const whole = await client.messages.create(params);
    check(whole, ['server_tool_use', 'web_search_tool_result', 'text']);
    // Streamed, the search follows the text it grounds (Gemini sends the sources last).
    check(await client.messages.stream(params).finalMessage(), ['text', 'server_tool_use', 'web_search_tool_result']);
    // A follow-up turn that sends the blocks back is no 400: they stay out of Gemini's history.
    const next = await client.messages.create({
      ...params,
      messages: [...params.messages, { role: 'assistant', content: whole.content }, { role: 'user', content: 'Thanks' }],
    });
    assert.equal(next.content.at(-1).type, 'text');
    const sent = lastGemini(env).contents;
    assert.equal(sent.length, 3);
    assert.deepEqual(sent[1].parts.map((p) => Object.keys(p).filter((k) => k !== 'thoughtSignature')), [['text']]);
  });
});

test('thinking: budget_tokens shows the thoughts, whole and streamed', async () => {
  await withClient(async (client, env) => {
    const params = {
      model: 'gemini-2.5-flash',
      max_tokens: 8000,
      thinking: { type: 'enabled', budget_tokens: 2048 },
      messages: [{ role: 'user', content: 'think before you answer' }],
    };
    const m = await client.messages.create(params);
    assert.equal(m.content[0].type, 'thinking');
    assert.equal(m.content[0].thinking, REPLIES.thought);
    assert.equal(m.content[1].type, 'text');
    assert.deepEqual(lastGemini(env).generationConfig.thinkingConfig, { includeThoughts: true, thinkingBudget: 2048 });
    let thinking = '';
    const stream = client.messages.stream(params);
    stream.on('thinking', (delta) => (thinking += delta));
    const final = await stream.finalMessage();
    assert.equal(thinking, REPLIES.thought);
    assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text']);
    const adaptive = await client.messages.create({
      ...params,
      model: 'gemini-2.5-pro',
      thinking: { type: 'adaptive', display: 'omitted' },
      output_config: { effort: 'low' },
    });
    assert.ok(!adaptive.content.some((b) => b.type === 'thinking' && b.thinking));
    assert.deepEqual(lastGemini(env).generationConfig.thinkingConfig, { includeThoughts: false, thinkingBudget: 1024 });
  });
});

test('images and PDFs go inline, from base64 or fetched from a url source; a bad URL is a 400 BadRequestError', async () => {
  const files = http.createServer((req, res) => {
    if (req.url === '/a.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.from(PNG, 'base64'));
    if (req.url === '/a.pdf') return res.writeHead(200, { 'content-type': 'application/pdf' }).end(Buffer.from(PDF, 'base64'));
    return res.writeHead(404).end();
  });
  await new Promise((resolve) => files.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${files.address().port}`;
  try {
    await withClient(async (client, env) => {
      await client.messages.create({
        model: 'gemini-2.5-flash',
        max_tokens: 100,
        messages: [
          {
            role: 'user',
            content: [
              { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG } },
              { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: PDF } },
              { type: 'image', source: { type: 'url', url: `${base}/a.png` } },
              { type: 'document', source: { type: 'url', url: `${base}/a.pdf` } },
              { type: 'text', text: 'What are these?' },
            ],
          },
        ],
      });
      const parts = lastGemini(env).contents[0].parts;
      assert.deepEqual(parts[0], { inlineData: { mimeType: 'image/png', data: PNG } });
      assert.deepEqual(parts[1], { inlineData: { mimeType: 'application/pdf', data: PDF } });
      assert.deepEqual(parts[2], parts[0]);
      assert.deepEqual(parts[3], parts[1]);
      await assert.rejects(
        client.messages.create({
          model: 'gemini-2.5-flash',
          max_tokens: 100,
          messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'url', url: `${base}/gone.png` } }] }],
        }),
        (err) =>
          err instanceof Anthropic.BadRequestError &&
          err.error?.error?.type === 'invalid_request_error' &&
          err.error.error.message.includes(`${base}/gone.png answered HTTP 404`),
      );
    });
  } finally {
    files.closeAllConnections?.();
    await new Promise((resolve) => files.close(resolve));
  }
});

test('count_tokens counts the system prompt and the tools too', async () => {
  await withClient(async (client, env) => {
    const messages = [{ role: 'user', content: 'How many tokens is this?' }];
    const bare = await client.messages.countTokens({ model: 'claude-sonnet-4-5', messages });
    const full = await client.messages.countTokens({
      model: 'claude-sonnet-4-5',
      messages,
      system: 'You are a careful assistant who counts every token twice.',
      tools: [WEATHER],
    });
    assert.ok(bare.input_tokens > 0);
    assert.ok(full.input_tokens > bare.input_tokens);
    const sent = env.mock.requests.at(-1);
    assert.equal(sent.action, 'countTokens');
    assert.equal(sent.json().generateContentRequest.model, 'models/gemini-3.8-flash');
  });
});

test('models.list answers in Anthropic\'s shape', async () => {
  await withClient(async (client) => {
    const ids = [];
    for await (const m of client.models.list()) {
      assert.equal(m.type, 'model');
      assert.equal(typeof m.display_name, 'string');
      ids.push(m.id);
    }
    assert.ok(ids.includes('gemini-2.5-flash'));
    assert.ok(ids.includes('gemini-flash-latest'), 'models past Gemini\'s first page are listed');
    assert.ok(!ids.includes('gemini-embedding-001'), 'only models that generate content');
  });
});

test('errors arrive as the SDK\'s error classes', async () => {
  await withClient(async (client, env) => {
    const bad = new Anthropic({ baseURL: env.url, apiKey: 'wrong-token', maxRetries: 0 });
    const hello = { model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
    await assert.rejects(bad.messages.create(hello), Anthropic.AuthenticationError);
    await assert.rejects(client.messages.create({ ...hello, model: 'gemini-nope' }), Anthropic.NotFoundError);
    await assert.rejects(
      client.messages.create({ ...hello, temperature: 7 }),
      (err) => err instanceof Anthropic.BadRequestError && /temperature/.test(err.message),
    );
  });
  await withClient(
    async (client) => {
      const hello = { model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
      await assert.rejects(client.messages.create(hello), (err) => {
        assert.ok(err instanceof Anthropic.RateLimitError);
        assert.ok(Number(err.headers.get('retry-after')) >= 1);
        assert.equal(err.error.error.type, 'rate_limit_error');
        return true;
      });
    },
    { keys: [testKey('limited')], mockOptions: { keys: { [testKey('limited')]: 'quota_minute' } } },
  );
  await withClient(
    async (client) => {
      const hello = { model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] };
      await assert.rejects(client.messages.create(hello), (err) => {
        assert.equal(err.status, 529);
        assert.equal(err.error.error.type, 'overloaded_error');
        return true;
      });
    },
    { keys: [testKey('busy')], mockOptions: { keys: { [testKey('busy')]: 'overloaded' } } },
  );
});

test('Bearer auth (ANTHROPIC_AUTH_TOKEN) works like x-api-key, and neither reaches Google', async () => {
  await withClient(async (_client, env) => {
    const bearer = new Anthropic({ baseURL: env.url, authToken: CLIENT, apiKey: null, maxRetries: 0 });
    const m = await bearer.messages.create({ model: 'gemini-2.5-flash', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(m.type, 'message');
  });
});
