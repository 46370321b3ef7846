// The official OpenAI SDK pointed at the Worker, with the strict mock Gemini behind it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { REPLIES, citations } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from './support.mjs';

// 1x1 transparent PNG.
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const WEATHER_TOOL = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    strict: true,
    parameters: {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      additionalProperties: false,
      properties: {
        city: { type: 'string', description: 'City name' },
        unit: { anyOf: [{ type: 'string', enum: ['celsius', 'fahrenheit'] }, { type: 'null' }] },
        days: { type: 'array', items: { type: 'object', properties: { day: { const: 'today' } } } },
      },
      required: ['city', 'unit', 'days'],
    },
  },
};

async function withClient(fn, options = {}) {
  const env = await setup({ keys: [testKey('sdk-1'), testKey('sdk-2')], ...options });
  const client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT, maxRetries: 0, timeout: 20000 });
  try {
    await fn(client, env);
    assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  } finally {
    await env.close();
  }
}

test('chat completion, non-stream', async () => {
  await withClient(async (client, env) => {
    const r = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello' },
      ],
      temperature: 0.2,
      max_tokens: 200,
      user: 'ignored-field',
    });
    assert.equal(r.object, 'chat.completion');
    assert.equal(r.model, 'gemini-2.5-flash');
    assert.equal(r.choices[0].message.role, 'assistant');
    assert.match(r.choices[0].message.content, /Hello from gemini-2.5-flash/);
    assert.equal(r.choices[0].finish_reason, 'stop');
    assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);
    const sent = env.mock.requests.at(-1).json();
    assert.deepEqual(sent.systemInstruction.parts, [{ text: 'Be brief.' }]);
    assert.equal(sent.generationConfig.maxOutputTokens, 200);
    assert.equal(sent.user, undefined);
  });
});

test('chat completion, stream with usage', async () => {
  await withClient(async (client) => {
    const stream = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'long' }],
    });
    let text = '';
    let role;
    let finish;
    let usage;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      role ??= choice.delta.role;
      text += choice.delta.content ?? '';
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(role, 'assistant');
    assert.match(text, /Line 40: streaming works 流式传输正常 🚀✨/);
    assert.equal(finish, 'stop');
    assert.ok(usage.total_tokens > 0);
  });
});

async function toolConversation(client, env, model, stream) {
  const messages = [{ role: 'user', content: 'call tool get_weather' }];
  const first = await client.chat.completions.create({ model, messages, tools: [WEATHER_TOOL], tool_choice: 'auto', stream });
  let call;
  if (stream) {
    const calls = [];
    let finish;
    for await (const chunk of first) {
      const choice = chunk.choices[0];
      if (!choice) continue;
      for (const tc of choice.delta.tool_calls ?? []) calls[tc.index] = { ...calls[tc.index], ...tc };
      finish = choice.finish_reason ?? finish;
    }
    assert.equal(finish, 'tool_calls');
    call = calls[0];
  } else {
    assert.equal(first.choices[0].finish_reason, 'tool_calls');
    call = first.choices[0].message.tool_calls[0];
  }
  assert.equal(call.type, 'function');
  assert.equal(call.function.name, 'get_weather');
  assert.equal(typeof JSON.parse(call.function.arguments), 'object');
  assert.ok(call.id);
  messages.push({ role: 'assistant', content: null, tool_calls: [call] });
  messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify({ temperature: 21 }) });
  const second = await client.chat.completions.create({ model, messages, tools: [WEATHER_TOOL] });
  assert.match(second.choices[0].message.content, /Result of get_weather/);
  return call;
}

test('multi-turn tools on Gemini 2.5, non-stream and stream', async () => {
  await withClient(async (client, env) => {
    await toolConversation(client, env, 'gemini-2.5-flash', false);
    await toolConversation(client, env, 'gemini-2.5-flash', true);
    const decl = env.mock.requests.find((q) => q.action === 'generateContent').json().tools[0].functionDeclarations[0];
    assert.equal(decl.name, 'get_weather');
  });
});

test('multi-turn tools on Gemini 3 carry the thought signature back', async () => {
  await withClient(async (client, env) => {
    const call = await toolConversation(client, env, 'gemini-3-pro-preview', false);
    assert.ok(call.extra_content?.google?.thought_signature, 'signature surfaced');
    const streamed = await toolConversation(client, env, 'gemini-3-pro-preview', true);
    assert.ok(streamed.extra_content?.google?.thought_signature, 'signature surfaced when streaming');
  });
});

// Gemini 4 models think by level, as Gemini 3 does, and refuse a call sent back without its
// signature.
test('multi-turn tools on Gemini 4: reasoning_effort as its level; a call back without its signature still goes', async () => {
  await withClient(async (client, env) => {
    const model = 'gemini-4-hydrogen';
    const messages = [{ role: 'user', content: 'call tool get_weather' }];
    const first = await client.chat.completions.create({ model, reasoning_effort: 'high', messages, tools: [WEATHER_TOOL] });
    const thinking = env.mock.requests.at(-1).json().generationConfig.thinkingConfig;
    assert.deepEqual(thinking, { includeThoughts: true, thinkingLevel: 'high' });
    const call = first.choices[0].message.tool_calls[0];
    assert.ok(call.extra_content?.google?.thought_signature, 'signature surfaced');
    const result = { role: 'tool', content: '{"temperature":21}' };
    // As it came: the signature goes back on its call.
    const kept = [...messages, { role: 'assistant', content: null, tool_calls: [call] }, { ...result, tool_call_id: call.id }];
    const second = await client.chat.completions.create({ model, messages: kept, tools: [WEATHER_TOOL] });
    assert.match(second.choices[0].message.content, /Result of get_weather/);
    // A client that keeps neither extra_content nor the id: Google's skip value stands in.
    const own = { id: 'call_1', type: 'function', function: call.function };
    const lost = [...messages, { role: 'assistant', content: null, tool_calls: [own] }, { ...result, tool_call_id: own.id }];
    const third = await client.chat.completions.create({ model, messages: lost, tools: [WEATHER_TOOL] });
    assert.match(third.choices[0].message.content, /Result of get_weather/);
    const sent = env.mock.requests.at(-1).json().contents[1].parts[0];
    assert.equal(sent.thoughtSignature, 'skip_thought_signature_validator');
    // xhigh is the deepest level each model has: Carbon refuses xhigh itself.
    for (const [m, level] of [['gemini-4-neon', 'xhigh'], ['gemini-4-carbon', 'high']]) {
      const r = await client.chat.completions.create({ model: m, reasoning_effort: 'xhigh', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(r.choices[0].finish_reason, 'stop');
      assert.equal(env.mock.requests.at(-1).json().generationConfig.thinkingConfig.thinkingLevel, level);
    }
  });
});

// A custom (free-form) tool: the model writes its input as plain text.
const RUN_SQL = {
  type: 'custom',
  custom: { name: 'run_sql', description: 'Runs one SQL statement.', format: { type: 'grammar', grammar: { syntax: 'regex', definition: '^SELECT .+;$' } } },
};
const SQL = 'SELECT "name" FROM users WHERE id = 1;';
const CALL_SQL = `call tool run_sql with ${JSON.stringify({ input: SQL })}`;

test('custom tools: the call is a custom tool call with its input, answered by a tool message, streamed or not', async () => {
  await withClient(async (client, env) => {
    const messages = [{ role: 'user', content: CALL_SQL }];
    const r = await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages, tools: [RUN_SQL] });
    const [call] = r.choices[0].message.tool_calls;
    assert.equal(call.type, 'custom');
    assert.deepEqual(call.custom, { name: 'run_sql', input: SQL });
    assert.equal(r.choices[0].finish_reason, 'tool_calls');
    assert.ok(call.extra_content?.google?.thought_signature, 'signature surfaced');
    const declared = env.mock.requests.at(-1).json().tools[0].functionDeclarations[0];
    assert.deepEqual(declared.parameters.required, ['input']);
    assert.ok(declared.parameters.properties.input.description.includes('^SELECT .+;$'), 'the grammar is given');

    messages.push(r.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '1 row: Ada' });
    const second = await client.chat.completions.create({ model: 'gemini-3-pro-preview', messages, tools: [RUN_SQL] });
    assert.match(second.choices[0].message.content, /Result of run_sql/);
    const sent = env.mock.requests.at(-1).json();
    assert.deepEqual(sent.contents[1].parts[0].functionCall.args, { input: SQL });
    assert.equal(sent.contents[2].parts[0].functionResponse.name, 'run_sql');

    // The SDK's chunk type documents only function deltas; a custom call streams in the shape
    // of the whole answer's, with its input in one delta.
    const stream = await client.chat.completions.create({ model: 'gemini-2.5-flash', messages: messages.slice(0, 1), tools: [RUN_SQL], stream: true });
    const deltas = [];
    let finish = null;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    assert.equal(deltas.length, 1);
    assert.equal(deltas[0].index, 0);
    assert.equal(deltas[0].type, 'custom');
    assert.deepEqual(deltas[0].custom, { name: 'run_sql', input: SQL });
    assert.equal(finish, 'tool_calls');
  });
});

test('Google Search grounding: the sources come back as url_citation annotations, whole and streamed', async () => {
  await withClient(async (client, env) => {
    const model = 'gemini-2.5-flash';
    const text = REPLIES.hello(model);
    // The spans the mock cites (answers.mjs): the first sentence, then the rest.
    const expected = citations(text);
    const check = (content, annotations) => {
      assert.equal(content, text);
      // Spans count code points: the rest holds CJK and two emoji outside the BMP.
      const chars = [...content];
      assert.deepEqual(
        annotations.map((a) => [a.type, chars.slice(a.url_citation.start_index, a.url_citation.end_index).join(''), a.url_citation.url, a.url_citation.title]),
        expected.map(([span, s]) => ['url_citation', span, s.uri, s.title]),
      );
    };
    const whole = await client.chat.completions.create({ model: `${model}-search`, messages: [{ role: 'user', content: 'Hello' }] });
    check(whole.choices[0].message.content, whole.choices[0].message.annotations);
    const stream = await client.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Hello' }],
      web_search_options: {},
      stream: true,
    });
    let content = '';
    const annotations = [];
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta ?? {};
      content += delta.content ?? '';
      annotations.push(...(delta.annotations ?? []));
    }
    check(content, annotations);
    // Both asked Google to search; a request without search gets no annotations.
    assert.ok(env.mock.requests.every((r) => r.json().tools?.some((t) => t.googleSearch)));
    const plain = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Hello' }] });
    assert.equal(plain.choices[0].message.annotations, undefined);
  });
});

test('parallel tool calls', async () => {
  await withClient(async (client) => {
    const r = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'call tools in parallel' }],
      tools: [WEATHER_TOOL],
    });
    assert.equal(r.choices[0].message.tool_calls.length, 2);
  });
});

test('json_schema structured output', async () => {
  await withClient(async (client, env) => {
    const r = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'json please' }],
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'city',
          strict: true,
          schema: {
            type: 'object',
            additionalProperties: false,
            properties: { name: { type: 'string' }, population: { type: 'integer' } },
            required: ['name', 'population'],
          },
        },
      },
    });
    const parsed = JSON.parse(r.choices[0].message.content);
    assert.equal(typeof parsed.name, 'string');
    assert.equal(env.mock.requests.at(-1).json().generationConfig.responseMimeType, 'application/json');
  });
});

test('image input as a data URL', async () => {
  await withClient(async (client, env) => {
    const r = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is in this image?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG}` } },
          ],
        },
      ],
    });
    assert.equal(r.choices[0].finish_reason, 'stop');
    const part = env.mock.requests.at(-1).json().contents[0].parts.find((p) => p.inlineData);
    assert.deepEqual(part.inlineData, { mimeType: 'image/png', data: PNG });
    await assert.rejects(
      client.chat.completions.create({
        model: 'gemini-2.5-flash',
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'http://127.0.0.1:1/a.png' } }] }],
      }),
      (err) =>
        err.status === 400 &&
        err.type === 'invalid_request_error' &&
        err.message.includes('http://127.0.0.1:1/a.png could not be reached'),
    );
  });
});

test('reasoning effort returns reasoning_content', async () => {
  await withClient(async (client, env) => {
    const r = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      reasoning_effort: 'high',
      messages: [{ role: 'user', content: 'think about it' }],
    });
    assert.ok(r.choices[0].message.reasoning_content, 'reasoning_content present');
    assert.ok(r.usage.completion_tokens_details.reasoning_tokens > 0);
    const cfg = env.mock.requests.at(-1).json().generationConfig.thinkingConfig;
    assert.ok(cfg.thinkingBudget > 0);
    assert.equal(cfg.thinkingLevel, undefined);
    const r3 = await client.chat.completions.create({
      model: 'gemini-3-pro-preview',
      reasoning_effort: 'low',
      messages: [{ role: 'user', content: 'think' }],
    });
    assert.equal(r3.choices[0].finish_reason, 'stop');
    const cfg3 = env.mock.requests.at(-1).json().generationConfig.thinkingConfig;
    assert.ok(cfg3.thinkingLevel);
    assert.equal(cfg3.thinkingBudget, undefined);
  });
});

test('embeddings: single, batch, dimensions, base64', async () => {
  await withClient(async (client, env) => {
    const one = await client.embeddings.create({ model: 'gemini-embedding-001', input: 'hello' });
    assert.equal(one.data.length, 1);
    assert.ok(one.data[0].embedding.length > 0);
    const batch = await client.embeddings.create({ model: 'gemini-embedding-001', input: ['a', 'b', 'c'], dimensions: 8 });
    assert.deepEqual(
      batch.data.map((d) => d.index),
      [0, 1, 2],
    );
    assert.equal(batch.data[0].embedding.length, 8);
    const req = env.mock.requests.at(-1).json();
    assert.equal(req.requests.length, 3);
    assert.equal(req.requests[0].outputDimensionality, 8);
    // The SDK asks for base64 by default when no format is given and decodes it itself.
    const b64 = await client.embeddings.create({ model: 'gemini-embedding-001', input: 'x', encoding_format: 'base64' });
    assert.equal(typeof b64.data[0].embedding, 'string');
  });
});

test('models: list follows every page, retrieve one', async () => {
  await withClient(async (client, env) => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.ok(ids.length >= 60, `all pages: ${ids.length}`);
    assert.ok(ids.includes('gemini-2.5-flash'));
    assert.ok(ids.every((id) => !id.startsWith('models/')));
    const m = await client.models.retrieve('gemini-2.5-pro');
    assert.equal(m.id, 'gemini-2.5-pro');
    await assert.rejects(client.models.retrieve('no-such-model'), (err) => err.status === 404);
  });
});

test('models: the list follows nextPageToken across pages', async () => {
  const key = testKey('sdk-pages');
  const page = (names, next) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      models: names.map((n) => ({ name: `models/${n}`, displayName: n, supportedGenerationMethods: ['generateContent'] })),
      ...(next ? { nextPageToken: next } : {}),
    }),
  });
  const pages = (req) => {
    if (req.path !== '/v1beta/models') return null;
    const token = req.query.get('pageToken');
    if (!token) return page(['m-1', 'm-2'], 'tok-2');
    if (token === 'tok-2') return page(['m-3'], 'tok-3');
    return page(['m-4'], null);
  };
  const env = await setup({ keys: [key], mockOptions: { keys: { [key]: pages } } });
  const client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT, maxRetries: 0 });
  try {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['m-1', 'm-2', 'm-3', 'm-4']);
    assert.deepEqual(
      env.mock.requests.map((q) => q.query.get('pageToken')),
      [null, 'tok-2', 'tok-3'],
    );
  } finally {
    await env.close();
  }
});

test('error classes reach the SDK as OpenAI errors', async () => {
  const limited = testKey('sdk-limited');
  const env = await setup({ keys: [limited], mockOptions: { keys: { [limited]: { kind: 'quota_minute', retryDelay: '30s' } } } });
  const client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT, maxRetries: 0 });
  try {
    await assert.rejects(
      client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] }),
      (err) => err.status === 429 && err.type === 'rate_limit_error' && Number(err.headers.get('retry-after')) > 0,
    );
    await assert.rejects(
      client.chat.completions.create({ model: 'gemini-2.5-flash', messages: [] }),
      (err) => err.status === 400 && err.type === 'invalid_request_error',
    );
    const bad = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(bad.models.list(), (err) => err.status === 401 && err.code === 'invalid_api_key');
    const res = await fetch(`${env.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' },
      body: '{"model": "gemini-2.5-flash", "messages": [',
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error.type, 'invalid_request_error');
  } finally {
    await env.close();
  }
});

test('a blocked prompt is a content_filter finish, not an error', async () => {
  await withClient(async (client) => {
    const r = await client.chat.completions.create({
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: 'blocked' }],
    });
    assert.equal(r.choices[0].finish_reason, 'content_filter');
  });
});

test('the model list is cached briefly in the isolate', async () => {
  await withClient(async (client, env) => {
    const first = [];
    for await (const m of client.models.list()) first.push(m.id);
    const calls = env.mock.requests.length;
    const second = [];
    for await (const m of client.models.list()) second.push(m.id);
    assert.deepEqual(second, first);
    assert.equal(env.mock.requests.length, calls, 'served from the cache');
  });
});

test('a route this server lacks gets an OpenAI 404 that names the routes it has', () =>
  withClient(async (client, env) => {
    await assert.rejects(
      client.completions.create({ model: 'gemini-3.8-flash', prompt: 'hi' }),
      (err) => {
        assert.equal(err.status, 404);
        assert.equal(err.code, 'unknown_url');
        assert.match(err.message, /POST \/v1\/completions/);
        assert.match(err.message, /POST \/v1\/chat\/completions/);
        assert.match(err.message, /POST \/v1\/responses/);
        return true;
      },
    );
    assert.equal(env.mock.requests.length, 0, 'nothing went to Gemini');
  }));
