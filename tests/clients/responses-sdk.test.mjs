// The Responses API as real clients use it, against the Worker with the strict mock Gemini
// behind it: the official openai SDK, the AI SDK's default OpenAI provider and the Agents SDK.
// They need POST /v1/responses and the stored-response routes wired in the Worker.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText, tool, jsonSchema, stepCountIs } from 'ai';
import { Agent, run, tool as agentTool, setDefaultOpenAIClient, setOpenAIAPI, setTracingDisabled, webSearchTool } from '@openai/agents';
import { CLIENT, CLIENT2, setup, testKey } from '../integration/support.mjs';
import { DUMMY_SIGNATURES, REPLIES, citations } from '../helpers/mock-gemini.mjs';

const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

const WEATHER = {
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  strict: true,
  parameters: {
    type: 'object',
    properties: { city: { type: 'string' } },
    required: ['city'],
    additionalProperties: false,
  },
};

// A custom (free-form) tool with a grammar, as Codex declares apply_patch.
const APPLY_PATCH = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Edit files with a patch. This is a FREEFORM tool: do not wrap the patch in JSON.',
  format: {
    type: 'grammar',
    syntax: 'lark',
    definition: 'start: "*** Begin Patch" LF hunk+ "*** End Patch" LF?\nhunk: "*** Add File: " /(.+)/ LF ("+" /(.*)/ LF)+\n%import common.LF\n',
  },
};
const PATCH = '*** Begin Patch\n*** Add File: hello.txt\n+Hello 👋\n*** End Patch\n';
// The mock calls the tool with exactly these arguments.
const CALL_PATCH = `call tool apply_patch with ${JSON.stringify({ input: PATCH })}`;

// Gemini 3 signatures are bound to the key that issued them, as on the real service.
const MOCK = { bindSignaturesToKey: true };

async function withClient(fn, { keys = ['r-1', 'r-2'] } = {}) {
  const env = await setup({ keys: keys.map(testKey), mockOptions: MOCK });
  const client = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT, maxRetries: 0, timeout: 20000 });
  try {
    await fn(client, env);
    assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
  } finally {
    await env.close();
  }
}

// No request that reached Gemini relied on a dummy signature.
function assertRealSignatures(env) {
  for (const r of env.mock.requests) {
    const body = r.body.toString('utf8');
    for (const dummy of DUMMY_SIGNATURES) assert.ok(!body.includes(dummy), `request ${r.seq} used ${dummy}`);
  }
}

test('openai: responses.create, non-stream', async () => {
  await withClient(async (client) => {
    const r = await client.responses.create({ model: 'gemini-2.5-flash', instructions: 'Be brief.', input: 'Hello' });
    assert.equal(r.object, 'response');
    assert.equal(r.status, 'completed');
    assert.match(r.id, /^resp_[0-9a-f]{16}$/);
    assert.match(r.output_text, /Hello from gemini-2.5-flash/);
    assert.ok(r.usage.input_tokens > 0 && r.usage.total_tokens >= r.usage.output_tokens);
  });
});

test('openai: responses.create stream and the responses.stream() helper', async () => {
  await withClient(async (client) => {
    const stream = await client.responses.create({ model: 'gemini-2.5-flash', input: 'long', stream: true });
    const types = [];
    let text = '';
    let seq = -1;
    for await (const e of stream) {
      types.push(e.type);
      assert.equal(e.sequence_number, seq + 1);
      seq = e.sequence_number;
      if (e.type === 'response.output_text.delta') text += e.delta;
    }
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.match(text, /Line 40: streaming works 流式传输正常 🚀✨/);

    const helper = client.responses.stream({ model: 'gemini-2.5-flash', input: 'Hello' });
    let deltas = '';
    helper.on('response.output_text.delta', (e) => (deltas += e.delta));
    const final = await helper.finalResponse();
    // The helper's final response is its own snapshot of the events (no output_text there).
    const message = final.output.find((o) => o.type === 'message');
    assert.equal(message.content[0].text, deltas);
    assert.match(deltas, /Hello from gemini-2.5-flash/);
  });
});

test('openai: responses.compact gives the user messages and a compaction item, and the next request reads its summary in place of the turn', async () => {
  await withClient(async (client, env) => {
    const model = 'gemini-3.8-flash';
    const input = [
      { role: 'developer', content: 'Answer briefly.' },
      { role: 'user', content: 'Plan a trip to Kyoto.' },
      { role: 'assistant', content: 'Day one: temples.' },
      { role: 'user', content: 'And day two?' },
      { role: 'assistant', content: 'Arashiyama, with its bamboo.' },
    ];
    const compacted = await client.responses.compact({ model, input });
    assert.equal(compacted.object, 'response.compaction');
    assert.deepEqual(
      compacted.output.slice(0, -1).map((item) => [item.type, item.role, item.content]),
      [['message', 'user', 'Plan a trip to Kyoto.'], ['message', 'user', 'And day two?']],
    );
    const item = compacted.output.at(-1);
    assert.equal(item.type, 'compaction');
    assert.equal(typeof item.encrypted_content, 'string');
    assert.ok(compacted.usage.input_tokens > 0 && compacted.usage.output_tokens > 0);
    const asked = env.mock.requests.at(-1);
    assert.equal(asked.action, 'generateContent');
    assert.equal(asked.json().contents.at(-2).parts[0].text, 'Arashiyama, with its bamboo.', 'the whole turn is summarized');
    // The summary is what the mock answered; the next request carries it instead of the turn.
    const next = await client.responses.create({ model, input: [...compacted.output, { role: 'user', content: 'Go on.' }] });
    assert.equal(next.status, 'completed');
    const parts = env.mock.requests.at(-1).json().contents.flatMap((c) => c.parts);
    assert.ok(parts.some((p) => p.text?.includes(REPLIES.hello(model))), JSON.stringify(parts));
    assert.ok(!parts.some((p) => p.text?.includes('Day one')), 'the model turns are gone');
    assert.deepEqual(parts.slice(-1), [{ text: 'Go on.' }]);
    // A compaction that is not this server's is refused, saying which item.
    await assert.rejects(
      client.responses.create({ model, input: [{ type: 'compaction', encrypted_content: 'gAAAAABo' }, { role: 'user', content: 'Go on.' }] }),
      (err) => err.status === 400 && err.code === 'invalid_encrypted_content' && err.param === 'input[0].encrypted_content',
    );
  });
});

test('openai: responses.inputTokens.count counts the request Gemini would get: instructions, tools and the conversation it continues', async () => {
  await withClient(async (client, env) => {
    const model = 'gemini-2.5-flash';
    const input = [{ role: 'user', content: 'Plan a trip to Kyoto, and book the hotel.' }];
    const bare = await client.responses.inputTokens.count({ model, input });
    assert.equal(bare.object, 'response.input_tokens');
    assert.ok(Number.isInteger(bare.input_tokens) && bare.input_tokens > 0, JSON.stringify(bare));
    const asked = env.mock.requests.at(-1);
    assert.equal(asked.action, 'countTokens');
    assert.equal(asked.json().generateContentRequest.model, `models/${model}`);
    const tools = [{ type: 'function', name: 'book_hotel', description: 'Books a hotel room in a city for some nights.', parameters: { type: 'object', properties: { city: { type: 'string' }, nights: { type: 'integer' } } } }];
    const whole = await client.responses.inputTokens.count({ model, input, instructions: 'Answer in one line, in the language of the question.', tools });
    assert.ok(whole.input_tokens > bare.input_tokens, `${whole.input_tokens} > ${bare.input_tokens}`);
    // previous_response_id: the stored turn is counted too.
    const created = await client.responses.create({ model, input: 'Hi.' });
    const counted = await client.responses.inputTokens.count({ model, previous_response_id: created.id, input: 'And then?' });
    const contents = env.mock.requests.at(-1).json().generateContentRequest.contents;
    assert.deepEqual(contents.map((c) => c.role), ['user', 'model', 'user']);
    assert.ok(counted.input_tokens > 0);
    await assert.rejects(client.responses.inputTokens.count({ input }), (err) => err.status === 400 && err.param === 'model');
  });
});

test('openai and the AI SDK: web_search answers carry a web_search_call and url_citation annotations, whole, streamed and stored', async () => {
  await withClient(async (client, env) => {
    const model = 'gemini-2.5-flash';
    const text = REPLIES.hello(model);
    const expected = citations(text);
    const first = expected[0][0];
    // Spans count code points: the rest holds CJK and two emoji outside the BMP.
    const check = (annotations) => {
      const chars = [...text];
      assert.deepEqual(
        annotations.map((a) => [a.type, chars.slice(a.start_index, a.end_index).join(''), a.url, a.title]),
        expected.map(([span, s]) => ['url_citation', span, s.uri, s.title]),
      );
    };
    const tools = [{ type: 'web_search' }];
    const message = (r) => r.output.find((item) => item.type === 'message');
    const whole = await client.responses.create({ model, input: 'Hello', tools });
    assert.equal(whole.output_text, text);
    assert.deepEqual(whole.output.map((item) => item.type), ['web_search_call', 'message']);
    assert.deepEqual(whole.output[0].action, { type: 'search', query: first });
    check(message(whole).content[0].annotations);
    // The stored response keeps them.
    check(message(await client.responses.retrieve(whole.id)).content[0].annotations);
    // Follow-ups from the stored response and with the items sent back: the search stays out
    // of Gemini's history, which gets the answer's text.
    for (const follow of [
      { previous_response_id: whole.id, input: 'Thanks' },
      { store: false, input: [{ role: 'user', content: 'Hello' }, ...whole.output, { role: 'user', content: 'Thanks' }] },
    ]) {
      await client.responses.create({ model, tools, ...follow });
      const contents = env.mock.requests.at(-1).json().contents;
      assert.deepEqual(contents.map((c) => [c.role, c.parts.map((p) => p.text)]), [['user', ['Hello']], ['model', [text]], ['user', ['Thanks']]]);
    }

    const stream = await client.responses.create({ model, input: 'Hello', tools, stream: true });
    const added = [];
    let done;
    for await (const event of stream) {
      if (event.type === 'response.output_text.annotation.added') added.push(event.annotation);
      if (event.type === 'response.completed') done = event.response;
    }
    check(added);
    // Streamed, the search item follows the message it grounds.
    assert.deepEqual(done.output.map((item) => item.type), ['message', 'web_search_call']);
    check(message(done).content[0].annotations);
    assert.ok(env.mock.requests.every((r) => r.json().tools?.some((t) => t.googleSearch)));

    // The AI SDK's Responses model reads them as sources.
    const openai = createOpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT });
    const cited = expected.map(([, s]) => [s.uri, s.title]);
    const generated = await generateText({ model: openai(model), prompt: 'Hello', tools: { web_search: openai.tools.webSearch({}) } });
    assert.deepEqual(generated.sources.map((s) => [s.url, s.title]), cited);
    const streamed = streamText({ model: openai(model), prompt: 'Hello', tools: { web_search: openai.tools.webSearch({}) } });
    const sources = [];
    for await (const part of streamed.fullStream) if (part.type === 'source') sources.push([part.url, part.title]);
    assert.deepEqual(sources, cited);
  });
});

test('openai: a function-calling loop with previous_response_id on Gemini 3 (signatures from the store)', async () => {
  await withClient(async (client, env) => {
    const first = await client.responses.create({
      model: 'gemini-3-pro-preview',
      input: 'call tool get_weather',
      tools: [WEATHER],
    });
    const call = first.output.find((o) => o.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.deepEqual(JSON.parse(call.arguments), { city: 'Paris' });
    const second = await client.responses.create({
      model: 'gemini-3-pro-preview',
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' }],
      tools: [WEATHER],
    });
    assert.match(second.output_text, /Result of get_weather/);
    assertRealSignatures(env);

    // Stored: readable by its owner, input items listed, deletable; invisible to another token.
    const got = await client.responses.retrieve(first.id);
    assert.equal(got.id, first.id);
    const items = await client.responses.inputItems.list(second.id);
    assert.equal(items.data[0].type, 'function_call_output');
    const other = new OpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT2, maxRetries: 0 });
    await assert.rejects(other.responses.retrieve(first.id), (e) => e.status === 404);
    await assert.rejects(
      other.responses.create({ model: 'gemini-3-pro-preview', previous_response_id: first.id, input: 'x' }),
      (e) => e.status === 400 && e.code === 'previous_response_not_found',
    );
    await client.responses.delete(first.id);
    await assert.rejects(client.responses.retrieve(first.id), (e) => e.status === 404);
  });
});

test('openai: a stateless loop with store false and encrypted_content (the way Codex works)', async () => {
  await withClient(async (client, env) => {
    const input = [{ role: 'user', content: 'call tool get_weather' }];
    const first = await client.responses.create({
      model: 'gemini-3-pro-preview',
      input,
      tools: [WEATHER],
      store: false,
      include: ['reasoning.encrypted_content'],
    });
    const reasoning = first.output.find((o) => o.type === 'reasoning');
    assert.match(reasoning.encrypted_content, /^gbr1\./);
    const call = first.output.find((o) => o.type === 'function_call');
    // Only the documented fields go back.
    input.push(
      { type: 'reasoning', summary: reasoning.summary, encrypted_content: reasoning.encrypted_content },
      { type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments },
      { type: 'function_call_output', call_id: call.call_id, output: '{"temp":21}' },
    );
    const second = await client.responses.create({ model: 'gemini-3-pro-preview', input, tools: [WEATHER], store: false });
    assert.match(second.output_text, /Result of get_weather/);
    assertRealSignatures(env);
    await assert.rejects(client.responses.retrieve(first.id), (e) => e.status === 404);
  });
});

test('openai: a custom tool is called with its raw input and answered with custom_tool_call_output, streamed or not', async () => {
  await withClient(async (client, env) => {
    const first = await client.responses.create({ model: 'gemini-3-pro-preview', input: CALL_PATCH, tools: [APPLY_PATCH] });
    const call = first.output.find((o) => o.type === 'custom_tool_call');
    assert.equal(call.name, 'apply_patch');
    assert.equal(call.input, PATCH);
    assert.ok(!first.output.some((o) => o.type === 'function_call'));
    const declared = env.mock.requests.at(-1).json().tools[0].functionDeclarations[0];
    assert.equal(declared.name, 'apply_patch');
    assert.deepEqual(declared.parameters.required, ['input']);
    assert.ok(declared.parameters.properties.input.description.includes('"*** Begin Patch"'), 'the grammar is given');

    const second = await client.responses.create({
      model: 'gemini-3-pro-preview',
      previous_response_id: first.id,
      input: [{ type: 'custom_tool_call_output', call_id: call.call_id, output: 'Done: A hello.txt' }],
      tools: [APPLY_PATCH],
    });
    assert.match(second.output_text, /Result of apply_patch/);
    const sent = env.mock.requests.at(-1).json();
    const replayed = sent.contents.flatMap((c) => c.parts).find((p) => p.functionCall);
    assert.deepEqual(replayed.functionCall.args, { input: PATCH });
    assert.ok(sent.contents.some((c) => c.parts.some((p) => p.functionResponse?.name === 'apply_patch')));
    assertRealSignatures(env);

    const stream = await client.responses.create({ model: 'gemini-2.5-flash', input: CALL_PATCH, tools: [APPLY_PATCH], stream: true });
    const events = [];
    for await (const e of stream) events.push(e);
    const added = events.find((e) => e.type === 'response.output_item.added' && e.item.type === 'custom_tool_call');
    assert.equal(added.item.input, '');
    const deltas = events.filter((e) => e.type === 'response.custom_tool_call_input.delta');
    assert.ok(deltas.length >= 1 && deltas.every((e) => e.item_id === added.item.id && e.output_index === added.output_index));
    assert.equal(deltas.map((e) => e.delta).join(''), PATCH);
    const done = events.find((e) => e.type === 'response.custom_tool_call_input.done');
    assert.equal(done.input, PATCH);
    const itemDone = events.find((e) => e.type === 'response.output_item.done' && e.item.type === 'custom_tool_call');
    assert.equal(itemDone.item.input, PATCH);
    assert.ok(events.findIndex((e) => e === done) < events.findIndex((e) => e === itemDone));
    const completed = events.at(-1);
    assert.equal(completed.type, 'response.completed');
    assert.equal(completed.response.output.find((o) => o.type === 'custom_tool_call').input, PATCH);

    const helper = client.responses.stream({ model: 'gemini-2.5-flash', input: CALL_PATCH, tools: [APPLY_PATCH] });
    let streamed = '';
    helper.on('response.custom_tool_call_input.delta', (e) => (streamed += e.delta));
    const final = await helper.finalResponse();
    assert.equal(streamed, PATCH);
    assert.equal(final.output.find((o) => o.type === 'custom_tool_call').input, PATCH);
  });
});

test('openai: structured output with text.format and an image input', async () => {
  await withClient(async (client) => {
    const r = await client.responses.create({
      model: 'gemini-2.5-flash',
      input: [
        {
          role: 'user',
          content: [
            { type: 'input_text', text: 'json: describe this image' },
            { type: 'input_image', image_url: `data:image/png;base64,${PNG}` },
          ],
        },
      ],
      text: {
        format: {
          type: 'json_schema',
          name: 'picture',
          strict: true,
          schema: {
            type: 'object',
            properties: { colour: { type: 'string' }, size: { type: 'integer' } },
            required: ['colour', 'size'],
            additionalProperties: false,
          },
        },
      },
    });
    const value = JSON.parse(r.output_text);
    assert.equal(typeof value.colour, 'string');
    assert.equal(typeof value.size, 'number');
  });
});

test('AI SDK: openai(model) with generateText, streamText and tools', async () => {
  await withClient(async (_client, env) => {
    const openai = createOpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT });
    const hello = await generateText({ model: openai('gemini-2.5-flash'), prompt: 'Hello' });
    assert.match(hello.text, /Hello from gemini-2.5-flash/);

    const streamed = streamText({ model: openai('gemini-2.5-flash'), prompt: 'long' });
    let text = '';
    for await (const delta of streamed.textStream) text += delta;
    assert.match(text, /Line 40/);

    const calls = [];
    const withTools = await generateText({
      model: openai('gemini-3-pro-preview'),
      prompt: 'call tool get_weather',
      stopWhen: stepCountIs(3),
      tools: {
        get_weather: tool({
          description: 'Current weather for a city',
          inputSchema: jsonSchema({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
          execute: async ({ city }) => {
            calls.push(city);
            return { city, temp: 21 };
          },
        }),
      },
    });
    assert.deepEqual(calls, ['Paris']);
    assert.match(withTools.text, /Result of get_weather/);
    assertRealSignatures(env);
  });
});

test('Agents SDK: one agent with one tool', async () => {
  await withClient(async (client, env) => {
    setTracingDisabled(true);
    setOpenAIAPI('responses');
    setDefaultOpenAIClient(client);
    const weather = agentTool({
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
      strict: true,
      execute: async ({ city }) => `${city}: 21 °C`,
    });
    const agent = new Agent({ name: 'Weather', instructions: 'Answer briefly.', model: 'gemini-2.5-flash', tools: [weather] });
    const result = await run(agent, 'call tool get_weather');
    assert.match(result.finalOutput, /Result of get_weather/);
    assert.ok(env.mock.requests.length >= 2);
    // Its hosted web search tool: Google Search, shown as the tool call it made.
    const searcher = new Agent({ name: 'Searcher', model: 'gemini-2.5-flash', tools: [webSearchTool()] });
    const searched = await run(searcher, 'Hello');
    assert.equal(searched.finalOutput, REPLIES.hello('gemini-2.5-flash'));
    assert.deepEqual(searched.newItems.map((i) => [i.type, i.rawItem.type]), [['tool_call_item', 'hosted_tool_call'], ['message_output_item', 'message']]);
  });
});
