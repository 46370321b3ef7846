// The AI SDK's other providers pointed at the Worker, with the strict mock Gemini behind it:
// @ai-sdk/google on the native API, @ai-sdk/anthropic on Messages and @ai-sdk/openai's chat
// model on chat completions (its Responses model is in responses-sdk.test.mjs). Each: text
// with usage, a stream, a tool loop (generate and stream), an object, and thinking where the
// provider reads it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { embedMany, generateObject, generateText, stepCountIs, streamText, tool } from 'ai';
import { z } from 'zod';
import { REPLIES, citations } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

let env;

before(async () => {
  env = await setup({ keys: [testKey('ai-1'), testKey('ai-2')] });
});

after(async () => {
  await env?.close();
});

const MODEL = 'gemini-3.8-flash';
const weather = tool({
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `Sunny in ${city}`,
});
const City = z.object({ name: z.string(), population: z.number().int() });
const THINKING = {
  google: { thinkingConfig: { includeThoughts: true, thinkingBudget: 1024 } },
  anthropic: { thinking: { type: 'enabled', budgetTokens: 2048 } },
};

async function exercise(model, { reasoning }) {
  env.mock.reset();
  const hello = await generateText({ model, prompt: 'Hello' });
  assert.equal(hello.text, REPLIES.hello(MODEL));
  assert.ok(hello.usage.inputTokens > 0 && hello.usage.outputTokens > 0, JSON.stringify(hello.usage));

  const streamed = streamText({ model, prompt: 'long' });
  let text = '';
  for await (const delta of streamed.textStream) text += delta;
  assert.equal(text, REPLIES.long);
  assert.ok((await streamed.usage).outputTokens > 0);

  const prompt = 'call tool get_weather with {"city": "Oslo"}';
  const looped = await generateText({ model, tools: { get_weather: weather }, stopWhen: stepCountIs(3), prompt });
  assert.equal(looped.steps.length, 2);
  assert.deepEqual(looped.steps[0].toolCalls.map((c) => [c.toolName, c.input]), [['get_weather', { city: 'Oslo' }]]);
  assert.match(looped.text, /Sunny in Oslo/);
  const loopedStream = streamText({ model, tools: { get_weather: weather }, stopWhen: stepCountIs(3), prompt });
  let streamedText = '';
  for await (const delta of loopedStream.textStream) streamedText += delta;
  assert.equal((await loopedStream.steps).length, 2);
  assert.match(streamedText, /Sunny in Oslo/);

  const { object } = await generateObject({ model, schema: City, prompt: 'json please: a city' });
  assert.equal(typeof object.name, 'string');
  assert.ok(Number.isInteger(object.population));

  if (reasoning) {
    const thought = await generateText({ model, prompt: 'think, then say hi', providerOptions: THINKING });
    assert.equal(thought.reasoningText, REPLIES.thought);
    assert.equal(thought.text, REPLIES.hello(MODEL));
  }
  const models = new Set(env.mock.requests.filter((r) => r.model).map((r) => r.model));
  assert.deepEqual([...models], [MODEL]);
  assert.deepEqual(env.mock.violations, [], 'nothing forbidden reached upstream');
}

test('@ai-sdk/google on the native API', async () => {
  const google = createGoogleGenerativeAI({ baseURL: `${env.url}/v1beta`, apiKey: CLIENT });
  await exercise(google(MODEL), { reasoning: true });
  const { embeddings } = await embedMany({ model: google.textEmbeddingModel('gemini-embedding-001'), values: ['a', 'b'] });
  assert.deepEqual(
    embeddings.map((e) => e.length),
    [3072, 3072],
  );
});

test('@ai-sdk/anthropic on Messages', async () => {
  // A Claude name goes to the built-in model map's Gemini model.
  await exercise(createAnthropic({ baseURL: `${env.url}/v1`, apiKey: CLIENT })('claude-sonnet-4-5'), { reasoning: true });
});

test("@ai-sdk/openai's chat model on chat completions", async () => {
  // This provider does not read reasoning_content, which is not OpenAI's: no reasoning check.
  await exercise(createOpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT }).chat(MODEL), { reasoning: false });
});

test("@ai-sdk/openai's chat model: a search model's sources, generated and streamed", async () => {
  const model = createOpenAI({ baseURL: `${env.url}/v1`, apiKey: CLIENT }).chat('gemini-2.5-flash-search');
  const cited = citations(REPLIES.hello('gemini-2.5-flash')).map(([, s]) => [s.uri, s.title]);
  const whole = await generateText({ model, prompt: 'Hello' });
  assert.equal(whole.text, REPLIES.hello('gemini-2.5-flash'));
  assert.deepEqual(whole.sources.map((s) => [s.sourceType, s.url, s.title]), cited.map((c) => ['url', ...c]));
  const streamed = streamText({ model, prompt: 'Hello' });
  const sources = [];
  for await (const part of streamed.fullStream) if (part.type === 'source') sources.push([part.url, part.title]);
  assert.deepEqual(sources, cited);
});
