// LangChain's chat models and embeddings pointed at the Worker, with the strict mock Gemini
// behind it: ChatOpenAI (chat completions and the Responses API), OpenAIEmbeddings,
// ChatAnthropic (Messages) and ChatGoogleGenerativeAI (the native API through Google's older
// @google/generative-ai SDK). Each: a reply, a stream that adds up to the same reply, token
// usage, a tool call and its answer, and structured output where the provider offers it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';
import { ChatAnthropic } from '@langchain/anthropic';
import { ChatGoogleGenerativeAI, GoogleGenerativeAIEmbeddings } from '@langchain/google-genai';
import { HumanMessage, ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { z } from 'zod';
import { REPLIES } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

let env;

before(async () => {
  env = await setup({ keys: [testKey('lc-1'), testKey('lc-2')] });
});

after(async () => {
  await env?.close();
});

const weather = tool(async ({ city }) => `Sunny in ${city}, 21 °C`, {
  name: 'get_weather',
  description: 'Current weather for a city',
  schema: z.object({ city: z.string().describe('City name'), unit: z.enum(['celsius', 'fahrenheit']).optional() }),
});

const City = z.object({ name: z.string(), population: z.number().int() });

const text = (message) =>
  typeof message.content === 'string' ? message.content : message.content.map((b) => b.text ?? '').join('');

async function streamed(model, input) {
  let all;
  for await (const chunk of await model.stream(input)) all = all ? all.concat(chunk) : chunk;
  return all;
}

// A reply, the same reply streamed, usage on both, then a tool call answered and summarised.
async function converse(model, geminiModel) {
  env.mock.reset();
  const reply = await model.invoke([new HumanMessage('Hello')]);
  assert.equal(text(reply), REPLIES.hello(geminiModel));
  assert.ok(reply.usage_metadata?.input_tokens > 0, `usage: ${JSON.stringify(reply.usage_metadata)}`);
  assert.ok(reply.usage_metadata.output_tokens > 0);

  const whole = await streamed(model, [new HumanMessage('Hello')]);
  assert.equal(text(whole), REPLIES.hello(geminiModel));
  assert.ok(whole.usage_metadata?.output_tokens > 0, `streamed usage: ${JSON.stringify(whole.usage_metadata)}`);

  const withTools = model.bindTools([weather]);
  const ask = new HumanMessage('call tool get_weather with {"city": "Paris"}');
  const call = await withTools.invoke([ask]);
  assert.equal(call.tool_calls?.length, 1, JSON.stringify(call.tool_calls));
  assert.equal(call.tool_calls[0].name, 'get_weather');
  assert.deepEqual(call.tool_calls[0].args, { city: 'Paris' });
  const answer = await weather.invoke(call.tool_calls[0]);
  assert.ok(answer instanceof ToolMessage);
  const final = await withTools.invoke([ask, call, answer]);
  assert.match(text(final), /Sunny in Paris/);

  // The same tool call streamed: its arguments arrive whole once the chunks are joined.
  const streamedCall = await streamed(withTools, [ask]);
  assert.equal(streamedCall.tool_calls?.[0]?.name, 'get_weather');
  assert.deepEqual(streamedCall.tool_calls[0].args, { city: 'Paris' });

  const generated = env.mock.requests.filter((r) => r.action === 'generateContent' || r.action === 'streamGenerateContent');
  // Five calls, each tried once: no key was blamed and nothing was retried.
  assert.equal(generated.length, 5, `${generated.length} calls reached the mock`);
  assert.ok(generated.every((r) => r.model === geminiModel), generated.map((r) => r.model).join(', '));
  assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
}

test('ChatOpenAI on chat completions: reply, stream, usage, tools, structured output', async () => {
  const model = new ChatOpenAI({
    model: 'gemini-3.8-flash',
    apiKey: CLIENT,
    configuration: { baseURL: `${env.url}/v1` },
    maxRetries: 0,
    timeout: 20000,
  });
  await converse(model, 'gemini-3.8-flash');
  const paths = new Set(env.mock.requests.map((r) => r.action));
  assert.ok(paths.has('generateContent') && paths.has('streamGenerateContent'), [...paths].join(', '));

  // As a JSON schema for the answer, and as a forced call of a function of that schema.
  for (const method of ['jsonSchema', 'functionCalling']) {
    const city = await model.withStructuredOutput(City, { method }).invoke('json please: a city');
    assert.equal(typeof city.name, 'string', `${method}: ${JSON.stringify(city)}`);
    assert.ok(Number.isInteger(city.population), `${method}: ${JSON.stringify(city)}`);
    const sent = env.mock.requests.at(-1).json();
    if (method === 'jsonSchema') {
      assert.equal(sent.generationConfig.responseMimeType, 'application/json');
      const schema = sent.generationConfig.responseJsonSchema ?? sent.generationConfig.responseSchema;
      assert.deepEqual(schema.required, ['name', 'population']);
    } else {
      assert.equal(sent.toolConfig.functionCallingConfig.mode, 'ANY');
      assert.equal(sent.tools[0].functionDeclarations.length, 1);
    }
  }
});

test('ChatOpenAI on the Responses API: reply, stream, usage, tools', async () => {
  const model = new ChatOpenAI({
    model: 'gemini-3.8-flash',
    apiKey: CLIENT,
    configuration: { baseURL: `${env.url}/v1` },
    useResponsesApi: true,
    maxRetries: 0,
    timeout: 20000,
  });
  await converse(model, 'gemini-3.8-flash');
});

test('OpenAIEmbeddings: documents and a query, in one batch', async () => {
  env.mock.reset();
  const embeddings = new OpenAIEmbeddings({
    model: 'text-embedding-3-small',
    apiKey: CLIENT,
    configuration: { baseURL: `${env.url}/v1` },
    maxRetries: 0,
  });
  const docs = await embeddings.embedDocuments(['the first document', '第二个文档']);
  assert.equal(docs.length, 2);
  assert.ok(docs.every((v) => v.length > 0 && v.every(Number.isFinite)));
  assert.notDeepEqual(docs[0], docs[1]);
  const query = await embeddings.embedQuery('the first document');
  assert.equal(query.length, docs[0].length);
  const calls = env.mock.requests.filter((r) => r.action === 'batchEmbedContents' || r.action === 'embedContent');
  assert.ok(calls.length >= 2, calls.map((r) => r.action).join(', '));
  assert.ok(calls.every((r) => r.model === 'gemini-embedding-001'));
  assert.deepEqual(env.mock.violations, []);
});

test('ChatAnthropic on Messages: reply, stream, usage, tools', async () => {
  const model = new ChatAnthropic({
    model: 'claude-sonnet-4-5',
    apiKey: CLIENT,
    anthropicApiUrl: env.url,
    maxRetries: 0,
    maxTokens: 1024,
  });
  // Claude names go to the built-in model map's Gemini model.
  await converse(model, 'gemini-3.8-flash');
  const city = await model.withStructuredOutput(City).invoke('json please: a city');
  assert.equal(typeof city.name, 'string', JSON.stringify(city));
});

test('ChatAnthropic with extended thinking: the thinking block goes back with the tool result', async () => {
  env.mock.reset();
  const model = new ChatAnthropic({
    model: 'claude-sonnet-4-5',
    apiKey: CLIENT,
    anthropicApiUrl: env.url,
    maxRetries: 0,
    maxTokens: 4096,
    thinking: { type: 'enabled', budget_tokens: 2048 },
  }).bindTools([weather]);
  const ask = new HumanMessage('think, then call tool get_weather with {"city": "Rome"}');
  const call = await model.invoke([ask]);
  assert.deepEqual(
    call.content.map((b) => b.type),
    ['thinking', 'tool_use'],
  );
  assert.ok(call.content[0].thinking.length > 0);
  const final = await model.invoke([ask, call, await weather.invoke(call.tool_calls[0])]);
  assert.match(text(final), /Sunny in Rome/);
  const [first, second] = env.mock.requests.filter((r) => r.action === 'generateContent').map((r) => r.json());
  assert.equal(first.generationConfig.thinkingConfig.includeThoughts, true);
  // The second turn carries the call back as Gemini made it, then its answer.
  const back = second.contents.flatMap((c) => c.parts);
  assert.ok(back.some((p) => p.functionCall?.name === 'get_weather'));
  assert.ok(back.some((p) => p.functionResponse?.name === 'get_weather'));
  assert.deepEqual(env.mock.violations, []);
});

test('GoogleGenerativeAIEmbeddings on the native API', async () => {
  env.mock.reset();
  const embeddings = new GoogleGenerativeAIEmbeddings({ model: 'gemini-embedding-001', apiKey: CLIENT, baseUrl: env.url });
  const docs = await embeddings.embedDocuments(['x', 'y']);
  assert.deepEqual(
    docs.map((v) => v.length),
    [3072, 3072],
  );
  assert.equal((await embeddings.embedQuery('x')).length, 3072);
  assert.deepEqual(env.mock.violations, []);
});

test('ChatGoogleGenerativeAI on the native API: reply, stream, usage, tools', async () => {
  const model = new ChatGoogleGenerativeAI({
    model: 'gemini-3.8-flash',
    apiKey: CLIENT,
    baseUrl: env.url,
    maxRetries: 0,
  });
  await converse(model, 'gemini-3.8-flash');
  const city = await model.withStructuredOutput(City).invoke('json please: a city');
  assert.equal(typeof city.name, 'string', JSON.stringify(city));
});
