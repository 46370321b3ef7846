// The mock's strict request validation: each rejected body below is a translation bug a proxy
// could ship, and each must get the 400 the real service gives.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DUMMY_SIGNATURES, REPLIES, startMockGemini } from '../helpers/mock-gemini.mjs';
import { FLASH, KEY, KEY2, PRO3, call, userText } from './support.mjs';

let mock;
before(async () => {
  mock = await startMockGemini();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const generate = (body, model = FLASH, key = KEY) => call(mock, `${model}:generateContent`, { body, key });

async function rejects(body, pattern, model = FLASH) {
  const res = await generate(body, model);
  assert.equal(res.status, 400, `expected 400, got ${res.status}: ${res.text}`);
  assert.equal(res.json.error.status, 'INVALID_ARGUMENT');
  assert.match(res.json.error.message, pattern);
  return res;
}

const weatherTool = (parameters) => ({
  functionDeclarations: [{ name: 'get_weather', description: 'Weather for a city', parameters }],
});
const cityParams = { type: 'object', properties: { location: { type: 'string' } }, required: ['location'] };

describe('tools', () => {
  test('Google Search next to function declarations is refused, as the API does for API keys', async () => {
    const body = { ...userText('hi'), tools: [weatherTool(cityParams), { googleSearch: {} }] };
    await rejects(body, /^Tool use with function calling is unsupported$/);
    await rejects(body, /^Tool use with function calling is unsupported$/, PRO3);
    const alone = await generate({ ...userText('hi'), tools: [{ googleSearch: {} }] });
    assert.equal(alone.status, 200);
  });

  test('Gemini 3 combines them when asked for its server-side tool invocations; 2.5 does not', async () => {
    const body = {
      ...userText('call tool get_weather with {"location":"Paris"}'),
      tools: [{ googleSearch: {} }, weatherTool(cityParams)],
      toolConfig: { functionCallingConfig: { mode: 'VALIDATED' }, includeServerSideToolInvocations: true },
    };
    const res = await generate(body, PRO3);
    assert.equal(res.status, 200, res.text);
    const call = res.json.candidates[0].content.parts.find((p) => p.functionCall);
    assert.deepEqual(call.functionCall.args, { location: 'Paris' });
    await rejects(body, /^Tool use with function calling is unsupported$/);
    await rejects({ ...body, toolConfig: { includeServerSideToolInvocations: 'yes' } }, /Invalid value at 'tool_config.include_server_side_tool_invocations'/, PRO3);
  });
});

describe('models', () => {
  test('a model Google shut down (Gemini 2.0 Flash and Flash-Lite, 1 June 2026) is a 404, as any unknown model', async () => {
    for (const model of ['gemini-2.0-flash', 'gemini-2.0-flash-001', 'gemini-2.0-flash-lite']) {
      const res = await generate(userText('hi'), `/v1beta/models/${model}`);
      assert.equal(res.status, 404, res.text);
      assert.equal(res.json.error.status, 'NOT_FOUND');
      assert.match(res.json.error.message, new RegExp(`^models/${model} is not found for API version v1beta`));
    }
  });

  test('so are the embedding models it shut down (embedding-001, text-embedding-004)', async () => {
    for (const model of ['embedding-001', 'text-embedding-004']) {
      const res = await call(mock, `/v1beta/models/${model}:embedContent`, { body: { content: { parts: [{ text: 'hi' }] } } });
      assert.equal(res.status, 404, res.text);
      assert.match(res.json.error.message, new RegExp(`^models/${model} is not found for API version v1beta, or is not supported for embedContent`));
    }
  });
});

describe('interactions', () => {
  const create = (body, key = KEY) => call(mock, '/v1beta/interactions', { body: { model: 'gemini-3.8-flash', ...body }, key });
  test("a stored interaction exists only for its key's project: get and continue from another are 404", async () => {
    const made = await create({ input: 'hi' });
    assert.equal(made.status, 200, made.text);
    const { id } = made.json;
    assert.equal((await call(mock, `/v1beta/interactions/${id}`, { key: KEY })).status, 200);
    assert.equal((await call(mock, `/v1beta/interactions/${id}`, { key: KEY2 })).status, 404);
    assert.equal((await create({ input: 'more', previous_interaction_id: id }, KEY2)).status, 404);
    const next = await create({ input: 'more', previous_interaction_id: id });
    assert.equal(next.json.steps[0].content[0].text, 'Turn 2: more');
  });
  test('store: false keeps nothing; a streamed one is events with their names, then [DONE]', async () => {
    const unstored = await create({ input: 'hi', store: false });
    assert.equal((await call(mock, `/v1beta/interactions/${unstored.json.id}`)).status, 404);
    const streamed = await create({ input: 'hi', stream: true });
    assert.match(streamed.headers.get('content-type'), /^text\/event-stream/);
    assert.match(streamed.text, /^event: interaction\.created\ndata: \{/);
    assert.ok(streamed.text.endsWith('data: [DONE]\n\n'));
  });
});

describe('body and field names', () => {
  test('not JSON', () => rejects('{"contents": [', /^Invalid JSON payload received\. Unexpected token/));

  test('unknown top-level field, with the real BadRequest detail', async () => {
    const res = await rejects(
      { ...userText('hi'), temperature: 1 },
      /^Invalid JSON payload received\. Unknown name "temperature": Cannot find field\.$/,
    );
    assert.equal(res.json.error.details[0]['@type'], 'type.googleapis.com/google.rpc.BadRequest');
  });

  test('unknown generationConfig field names its snake_case path', () =>
    rejects(
      { ...userText('hi'), generationConfig: { max_tokens: 5 } },
      /Unknown name "max_tokens" at 'generation_config': Cannot find field\./,
    ));

  test('snake_case field names are accepted, as by the real parser', async () => {
    const res = await generate({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
      generation_config: { max_output_tokens: 50 },
    });
    assert.equal(res.status, 200);
  });

  test('every unknown name is listed at once', async () => {
    const res = await rejects({ ...userText('hi'), foo: 1, bar: 2 }, /"foo".*\n.*"bar"/);
    assert.equal(res.json.error.details[0].fieldViolations.length, 2);
  });
});

describe('contents and parts', () => {
  test('contents missing', () => rejects({}, /contents is not specified/));
  test('a body of JSON null is an empty request, not a crash', () => rejects('null', /contents is not specified/));
  test('role system', () =>
    rejects(
      { contents: [{ role: 'system', parts: [{ text: 'x' }] }] },
      /^Please use a valid role: user, model\.$/,
    ));
  test('role assistant', () =>
    rejects({ contents: [{ role: 'assistant', parts: [{ text: 'x' }] }] }, /valid role/));
  test('empty parts', () =>
    rejects({ contents: [{ role: 'user', parts: [] }] }, /contents\.parts must not be empty/));
  test('empty text leaves the data oneof unset', () =>
    rejects(
      {
        contents: [
          { role: 'user', parts: [{ text: 'a' }] },
          { role: 'model', parts: [{ text: '' }] },
          { role: 'user', parts: [{ text: 'b' }] },
        ],
      },
      /^\* GenerateContentRequest\.contents\[1\]\.parts\[0\]\.data: required oneof field 'data' must have one initialized field\n$/,
    ));
  test('two data fields in one part', () =>
    rejects(
      {
        contents: [
          { role: 'user', parts: [{ text: 'a', inlineData: { mimeType: 'image/png', data: 'AAAA' } }] },
        ],
      },
      /oneof field 'data' is already set/,
    ));
  test('inline data that is a data: URL, not base64', () =>
    rejects(
      {
        contents: [
          {
            role: 'user',
            parts: [{ inlineData: { mimeType: 'image/png', data: 'data:image/png;base64,AAAA' } }],
          },
        ],
      },
      /Base64 decoding failed/,
    ));
  test('thought and thoughtSignature ride along with a data field', async () => {
    const res = await generate({
      contents: [
        { role: 'user', parts: [{ text: 'hi' }] },
        { role: 'model', parts: [{ text: 'mm', thought: true }] },
        { role: 'user', parts: [{ text: 'ok' }] },
      ],
    });
    assert.equal(res.status, 200);
  });

  const toolTurns = (response) => ({
    contents: [
      { role: 'user', parts: [{ text: 'weather?' }] },
      { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { location: 'Paris' } } }] },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response } }] },
    ],
    tools: [weatherTool(cityParams)],
  });
  test('functionResponse.response must be an object', () =>
    rejects(
      toolTurns('sunny'),
      /Invalid value at 'contents\[2\]\.parts\[0\]\.function_response\.response' \(type\.googleapis\.com\/google\.protobuf\.Struct\), "sunny"/,
    ));
  test('a tool round trip with an object response answers from the tool result', async () => {
    const res = await generate(toolTurns({ temperature: 21 }));
    assert.equal(res.status, 200);
    assert.equal(
      res.json.candidates[0].content.parts[0].text,
      REPLIES.toolResult('get_weather', { temperature: 21 }),
    );
  });
  test('function responses must answer every call of the previous turn in one turn', async () => {
    const body = toolTurns({ ok: true });
    body.contents[1].parts.push({ functionCall: { name: 'get_weather', args: { location: 'Tokyo' } } });
    await rejects(body, /number of function response parts is equal to the number of function call parts/);
  });
  test('a function call in a user turn', () =>
    rejects(
      { contents: [{ role: 'user', parts: [{ functionCall: { name: 'f', args: {} } }] }] },
      /function call turn comes immediately after a user turn/,
    ));
});

describe('schemas', () => {
  for (const keyword of ['additionalProperties', '$schema', 'strict', '$ref', 'const', '$defs']) {
    test(`parameters reject ${keyword} (nested)`, () => {
      const inner = {
        type: 'object',
        properties: { x: { type: 'string' } },
        [keyword]: keyword === 'strict' || keyword === 'additionalProperties' ? false : 'x',
      };
      const parameters = { type: 'object', properties: { nested: inner } };
      return rejects(
        { ...userText('hi'), tools: [weatherTool(parameters)] },
        new RegExp(
          `Unknown name "${keyword.replace('$', '\\$')}" at 'tools\\[0\\]\\.function_declarations\\[0\\]\\.parameters\\.properties\\[0\\]\\.value': Cannot find field\\.`,
        ),
      );
    });
  }

  test('a type array (JSON Schema nullable) is not the OpenAPI subset', () =>
    rejects(
      {
        ...userText('hi'),
        tools: [weatherTool({ type: 'object', properties: { a: { type: ['string', 'null'] } } })],
      },
      /Proto field is not repeating/,
    ));

  test('parametersJsonSchema takes full JSON Schema', async () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { location: { type: 'string', const: 'Paris' } },
      additionalProperties: false,
      required: ['location'],
    };
    const res = await generate({
      ...userText('call tool get_weather'),
      tools: [{ functionDeclarations: [{ name: 'get_weather', parametersJsonSchema: schema }] }],
    });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json.candidates[0].content.parts[0].functionCall, {
      name: 'get_weather',
      args: { location: 'Paris' },
    });
  });

  test('responseSchema follows the same subset rule; responseJsonSchema does not', async () => {
    const schema = { type: 'object', properties: { n: { type: 'integer' } }, additionalProperties: false };
    const config = (field) => ({
      ...userText('json please'),
      generationConfig: { responseMimeType: 'application/json', [field]: schema },
    });
    await rejects(
      config('responseSchema'),
      /Unknown name "additionalProperties" at 'generation_config\.response_schema'/,
    );
    const res = await generate(config('responseJsonSchema'));
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.json.candidates[0].content.parts[0].text), { n: 1 });
  });

  test('a schema without a JSON mime type', () =>
    rejects(
      { ...userText('hi'), generationConfig: { responseSchema: { type: 'STRING' } } },
      /response_mime_type must be `application\/json`/,
    ));

  test('an invalid function name', () =>
    rejects(
      { ...userText('hi'), tools: [{ functionDeclarations: [{ name: 'get weather' }] }] },
      /Invalid function name/,
    ));
});

describe('generationConfig', () => {
  const withConfig = (generationConfig) => ({ ...userText('hi'), generationConfig });
  test('more than five stop sequences', () =>
    rejects(withConfig({ stopSequences: ['a', 'b', 'c', 'd', 'e', 'f'] }), /stop_sequences/));
  test('an unknown enum value', () =>
    rejects(
      withConfig({ responseModalities: ['VIDEO'] }),
      /Invalid value at 'generation_config\.response_modalities\[0\]'/,
    ));
  test('budget and level together', () =>
    rejects(
      withConfig({ thinkingConfig: { thinkingBudget: 1024, thinkingLevel: 'low' } }),
      /only one of thinking budget and thinking level/,
      PRO3,
    ));
  test('thinkingLevel on Gemini 2.5', () =>
    rejects(withConfig({ thinkingConfig: { thinkingLevel: 'high' } }), /Thinking level is not supported/));
  test('includeThoughts on a model that does not think', () =>
    rejects(
      withConfig({ thinkingConfig: { includeThoughts: true } }),
      /Thinking is not supported for this model/,
      '/v1beta/models/gemma-3-4b-it',
    ));
  test('budget 0 on a pro model', () =>
    rejects(
      withConfig({ thinkingConfig: { thinkingBudget: 0 } }),
      /only works in thinking mode/,
      '/v1beta/models/gemini-2.5-pro',
    ));
  test('thinkingLevel low on Gemini 3 is fine', async () => {
    assert.equal(
      (await generate(withConfig({ thinkingConfig: { thinkingLevel: 'low' } }), PRO3)).status,
      200,
    );
  });
  test('Gemini 4 takes levels but not minimal; xhigh on Hydrogen and Neon, not Carbon', async () => {
    const level = (thinkingLevel, model) => generate(withConfig({ thinkingConfig: { thinkingLevel } }), `/v1beta/models/${model}`);
    assert.equal((await level('low', 'gemini-4-hydrogen')).status, 200);
    assert.equal((await level('xhigh', 'gemini-4-neon')).status, 200);
    for (const [lvl, model] of [['minimal', 'gemini-4-hydrogen'], ['xhigh', 'gemini-4-carbon']]) {
      const res = await level(lvl, model);
      assert.equal(res.status, 400, `${lvl} on ${model}`);
      assert.match(res.json.error.message, /Thinking level .* is not supported for this model/);
    }
  });
});

describe('what Gemini 2.5 and later refuse that older models took', () => {
  const withConfig = (generationConfig) => ({ ...userText('hi'), generationConfig });
  test('a penalty other than 0 on a thinking model; 0, or a model without thinking, is fine', async () => {
    for (const model of [FLASH, PRO3]) {
      await rejects(withConfig({ frequencyPenalty: 0.5 }), /Penalty is not enabled for models\//, model);
      await rejects(withConfig({ presencePenalty: -1 }), /Penalty is not enabled/, model);
      assert.equal((await generate(withConfig({ presencePenalty: 0, frequencyPenalty: 0 }), model)).status, 200);
    }
    assert.equal((await generate(withConfig({ frequencyPenalty: 0.5 }), '/v1beta/models/gemma-3-4b-it')).status, 200);
  });
  test('a last turn of the model (a prefill) on Gemini 3.8 Flash; 2.5 continues it, and countTokens counts it', async () => {
    const prefill = { contents: [...userText('hi').contents, { role: 'model', parts: [{ text: 'Sure' }] }] };
    await rejects(prefill, /last content must not have the role model/, '/v1beta/models/gemini-3.8-flash');
    assert.equal((await generate(prefill, FLASH)).status, 200);
    const counted = await call(mock, '/v1beta/models/gemini-3.8-flash:countTokens', { body: prefill, key: KEY });
    assert.equal(counted.status, 200, counted.text);
  });
});

describe('Gemini 3 thought signatures', () => {
  const tools = [weatherTool(cityParams)];
  async function firstTurn(prompt = 'call tool get_weather', model = PRO3, key = KEY) {
    const res = await generate({ ...userText(prompt), tools }, model, key);
    assert.equal(res.status, 200, res.text);
    return res.json.candidates[0].content;
  }
  const secondTurn = (modelContent) => ({
    contents: [
      { role: 'user', parts: [{ text: 'call tool get_weather' }] },
      modelContent,
      {
        role: 'user',
        parts: modelContent.parts
          .filter((p) => p.functionCall)
          .map((p) => ({ functionResponse: { name: p.functionCall.name, response: { temp: 20 } } })),
      },
    ],
    tools,
  });

  test('"call tool NAME with {…}" calls it with exactly those arguments', async () => {
    const res = await generate({ ...userText('please call tool get_weather with {"city":"Oslo, NO"} now'), tools }, FLASH);
    assert.deepEqual(res.json.candidates[0].content.parts[0].functionCall, { name: 'get_weather', args: { city: 'Oslo, NO' } });
  });

  test('the call carries a signature and returning it works', async () => {
    const content = await firstTurn();
    assert.match(content.parts[0].thoughtSignature, /^[A-Za-z0-9+/]+=*$/);
    assert.equal((await generate(secondTurn(content), PRO3)).status, 200);
  });

  test('Gemini 4 signs its calls and checks them as Gemini 3 does', async () => {
    const G4 = '/v1beta/models/gemini-4-hydrogen';
    const content = await firstTurn('call tool get_weather', G4);
    assert.ok(content.parts[0].thoughtSignature);
    assert.equal((await generate(secondTurn(content), G4)).status, 200);
    delete content.parts[0].thoughtSignature;
    await rejects(secondTurn(content), /^Function call is missing a thought_signature/, G4);
  });

  test('dropping the signature is the real 400', async () => {
    const content = await firstTurn();
    delete content.parts[0].thoughtSignature;
    await rejects(
      secondTurn(content),
      /^Function call is missing a thought_signature in functionCall parts\..*`default_api:get_weather` , position 2\./s,
      PRO3,
    );
  });

  test('a made-up signature is rejected, the documented dummy is accepted', async () => {
    const content = await firstTurn();
    content.parts[0].thoughtSignature = 'bm90LWlzc3VlZA==';
    await rejects(secondTurn(content), /Corrupted thought signature/, PRO3);
    content.parts[0].thoughtSignature = DUMMY_SIGNATURES[0];
    assert.equal((await generate(secondTurn(content), PRO3)).status, 200);
  });

  test('parallel calls: only the first is signed, and that is enough', async () => {
    const content = await firstTurn('call tools in parallel');
    const calls = content.parts.filter((p) => p.functionCall);
    assert.equal(calls.length, 2);
    assert.ok(calls[0].thoughtSignature);
    assert.equal(calls[1].thoughtSignature, undefined);
    assert.deepEqual(
      calls.map((c) => c.functionCall.args.location),
      ['Paris', 'Tokyo'],
    );
    assert.equal((await generate(secondTurn(content), PRO3)).status, 200);
  });

  test('older turns are not checked; Gemini 2.5 never requires signatures', async () => {
    const content = await firstTurn();
    delete content.parts[0].thoughtSignature;
    const body = secondTurn(content);
    body.contents.push(
      { role: 'model', parts: [{ text: 'It is 20 degrees.' }] },
      { role: 'user', parts: [{ text: 'thanks' }] },
    );
    assert.equal((await generate(body, PRO3)).status, 200);
    assert.equal(
      (await generate(secondTurn(await firstTurn('call tool get_weather', FLASH)), FLASH)).status,
      200,
    );
  });

  test('bindSignaturesToKey: a signature from another key is rejected', async () => {
    const bound = await startMockGemini({ bindSignaturesToKey: true });
    try {
      const first = await call(bound, `${PRO3}:generateContent`, {
        body: { ...userText('call tool get_weather'), tools },
      });
      const body = secondTurn(first.json.candidates[0].content);
      assert.equal((await call(bound, `${PRO3}:generateContent`, { body, key: KEY2 })).status, 400);
      assert.equal((await call(bound, `${PRO3}:generateContent`, { body, key: KEY })).status, 200);
    } finally {
      await bound.close();
    }
  });
});
