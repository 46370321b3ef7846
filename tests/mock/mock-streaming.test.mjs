// The mock's answers and its SSE wire format: CRLF framing, new text per event, cumulative
// usage, finishReason last, and byte streams cut at awkward places yet reassembling exactly.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { REPLIES, startMockGemini } from '../helpers/mock-gemini.mjs';
import { mulberry32, sseFrame, splitBytes } from '../helpers/mock/wire.mjs';
import { FLASH, KEY, KEY2, PRO3, call, eventText, parseSse, userText } from './support.mjs';

let mock;
before(async () => {
  mock = await startMockGemini();
});
after(() => mock.close());
beforeEach(() => mock.reset());

const stream = (body, model = FLASH) => call(mock, `${model}:streamGenerateContent?alt=sse`, { body });

/** Raw chunks as they came off the socket, to see how the stream was cut. */
function rawChunks(path, body) {
  return new Promise((resolve, reject) => {
    const req = http.request(mock.url + path, {
      method: 'POST',
      headers: { 'x-goog-api-key': KEY, 'content-type': 'application/json' },
    });
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve(chunks));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('SSE framing', () => {
  test('CRLF frames, new text only, cumulative usage, finishReason last, no [DONE]', async () => {
    const res = await stream(userText('hello'));
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    assert.ok(!res.text.includes('[DONE]'));
    assert.ok(!/[^\r]\n/.test(res.text.replace(/\\n/g, '')), 'every newline is part of a CRLF');
    const events = parseSse(res.text);
    assert.ok(events.length >= 3, 'even a short reply spans several events');
    assert.equal(eventText(events), REPLIES.hello('gemini-2.5-flash'));
    const finishes = events.map((e) => e.candidates[0].finishReason);
    assert.deepEqual(finishes.slice(0, -1).filter(Boolean), []);
    assert.equal(finishes.at(-1), 'STOP');
    const totals = events.map((e) => e.usageMetadata.totalTokenCount);
    assert.deepEqual(
      totals,
      [...totals].sort((a, b) => a - b),
      'usage only grows',
    );
    assert.ok(
      events.every((e) => e.modelVersion === 'gemini-2.5-flash' && e.responseId === events[0].responseId),
    );
  });

  test('long: many events, reassembled exactly from random chunks', async () => {
    const events = parseSse((await stream(userText('a long answer please'))).text);
    assert.ok(events.length > 30, `${events.length} events`);
    assert.equal(eventText(events), REPLIES.long);
  });

  test('without alt=sse the stream is one JSON array', async () => {
    const res = await call(mock, `${FLASH}:streamGenerateContent`, { body: userText('hello') });
    assert.ok(Array.isArray(res.json));
    assert.equal(eventText(res.json), REPLIES.hello('gemini-2.5-flash'));
  });

  test('Gemini 3 sends the text signature in a last event with an empty text part', async () => {
    const events = parseSse((await stream(userText('hello'), PRO3)).text);
    const last = events.at(-1).candidates[0];
    assert.equal(last.content.parts[0].text, '');
    assert.ok(last.content.parts[0].thoughtSignature);
    assert.ok(mock.signatures.has(last.content.parts[0].thoughtSignature));
  });

  test('a blocked prompt is one event with promptFeedback and no candidates', async () => {
    const events = parseSse((await stream(userText('this gets blocked'))).text);
    assert.equal(events.length, 1);
    assert.equal(events[0].candidates, undefined);
    assert.equal(events[0].promptFeedback.blockReason, 'SAFETY');
  });
});

describe('byte-level chunking', () => {
  test("'byte' chunking arrives in pieces and reassembles to the 'whole' events", async () => {
    const body = userText('hello'); // short: one write per byte costs ~70 µs
    const path = `${FLASH}:streamGenerateContent?alt=sse`;
    mock.setKeyBehaviour(KEY, { kind: 'ok', chunking: 'whole' });
    const whole = Buffer.concat(await rawChunks(path, body)).toString('utf8');
    mock.setKeyBehaviour(KEY, { kind: 'ok', chunking: 'byte' });
    const chunks = await rawChunks(path, body);
    const events = parseSse(Buffer.concat(chunks).toString('utf8'));
    assert.ok(chunks.length > events.length * 2, `${chunks.length} chunks for ${events.length} events`);
    const strip = (list) => list.map(({ responseId, ...rest }) => rest);
    assert.deepEqual(strip(events), strip(parseSse(whole)));
    assert.equal(eventText(events), REPLIES.hello('gemini-2.5-flash'));
  });

  test("'random' splits inside UTF-8 characters and between CR and LF, reproducibly", () => {
    const events = Array.from({ length: 30 }, (_, i) => ({ text: `第${i}行 🚀 line ${i}` }));
    const bytes = Buffer.concat(events.map(sseFrame));
    const sizes = (seed) => splitBytes(bytes, 'random', mulberry32(seed)).map((c) => c.length);
    assert.deepEqual(sizes(7), sizes(7));
    assert.notDeepEqual(sizes(7), sizes(8));
    const chunks = splitBytes(bytes, 'random', mulberry32(7));
    assert.deepEqual(Buffer.concat(chunks), bytes);
    const cutInsideChar = chunks.some((c) => (c[c.length - 1] & 0xc0) === 0xc0 || (c[0] & 0xc0) === 0x80);
    const cutInsideCrlf = chunks.some((c, i) => c[c.length - 1] === 0x0d && chunks[i + 1]?.[0] === 0x0a);
    assert.ok(cutInsideChar, 'some chunk boundary falls inside a character');
    assert.ok(cutInsideCrlf, 'some chunk boundary falls between CR and LF');
  });
});

describe('steered answers', () => {
  const generate = (body, model = FLASH) => call(mock, `${model}:generateContent`, { body });

  test('think: a thought part first when includeThoughts is on, billed as thoughts', async () => {
    const config = { thinkingConfig: { includeThoughts: true } };
    const { json } = await generate({ ...userText('think first'), generationConfig: config });
    const [thought, answer] = json.candidates[0].content.parts;
    assert.deepEqual(thought, { text: REPLIES.thought, thought: true });
    assert.equal(answer.text, REPLIES.hello('gemini-2.5-flash'));
    const u = json.usageMetadata;
    assert.ok(u.thoughtsTokenCount > 0);
    assert.equal(u.totalTokenCount, u.promptTokenCount + u.candidatesTokenCount + u.thoughtsTokenCount);
  });

  test('json fits the responseSchema', async () => {
    const schema = {
      type: 'OBJECT',
      properties: { city: { type: 'STRING' }, days: { type: 'ARRAY', items: { type: 'INTEGER' } } },
      required: ['city', 'days'],
    };
    const { json } = await generate({
      ...userText('json'),
      generationConfig: { responseMimeType: 'application/json', responseSchema: schema },
    });
    assert.deepEqual(JSON.parse(json.candidates[0].content.parts[0].text), { city: 'example', days: [1] });
  });

  test('candidateCount, max tokens, stop sequences, cached content usage', async () => {
    const two = await generate({ ...userText('two candidates'), generationConfig: { candidateCount: 2 } });
    assert.deepEqual(
      two.json.candidates.map((c) => c.index),
      [0, 1],
    );
    const cut = await generate(userText('max tokens'));
    assert.equal(cut.json.candidates[0].finishReason, 'MAX_TOKENS');
    const stopped = await generate({ ...userText('hello'), generationConfig: { stopSequences: ['!'] } });
    assert.equal(stopped.json.candidates[0].content.parts[0].text, 'Hello from gemini-2.5-flash');
    const cached = await generate({ ...userText('hello'), cachedContent: 'cachedContents/abc123' });
    assert.equal(cached.json.usageMetadata.cachedContentTokenCount, 32);
  });

  test('unsafe: finishReason SAFETY with no content', async () => {
    const { json } = await generate(userText('something unsafe'));
    assert.equal(json.candidates[0].finishReason, 'SAFETY');
    assert.equal(json.candidates[0].content, undefined);
  });
});

describe('other endpoints', () => {
  test('countTokens answers totalTokens', async () => {
    const { json } = await call(mock, `${FLASH}:countTokens`, { body: userText('hello there') });
    assert.ok(json.totalTokens > 0);
  });

  test('countTokens with a generateContentRequest counts the system prompt and wants the model name', async () => {
    const inner = { ...userText('hello there'), systemInstruction: { parts: [{ text: 'Be brief, always.' }] } };
    const plain = await call(mock, `${FLASH}:countTokens`, { body: userText('hello there') });
    const whole = await call(mock, `${FLASH}:countTokens`, {
      body: { generateContentRequest: { model: 'models/gemini-2.5-flash', ...inner } },
    });
    assert.equal(whole.status, 200, JSON.stringify(whole.json));
    assert.ok(whole.json.totalTokens > plain.json.totalTokens);
    const unnamed = await call(mock, `${FLASH}:countTokens`, { body: { generateContentRequest: inner } });
    assert.equal(unnamed.status, 400);
    assert.match(unnamed.json.error.message, /generate_content_request\.model: unexpected model name format/);
    const unknown = await call(mock, `${FLASH}:countTokens`, {
      body: { generateContentRequest: { model: 'models/gemini-2.5-flash', ...inner, stream: true } },
    });
    assert.equal(unknown.status, 400);
    assert.match(unknown.json.error.message, /Unknown name "stream"/);
    const role = await call(mock, `${FLASH}:countTokens`, {
      body: { generateContentRequest: { model: 'models/gemini-2.5-flash', contents: [{ role: 'system', parts: [{ text: 'x' }] }] } },
    });
    assert.equal(role.status, 400);
  });

  test('embedContent honours outputDimensionality; batch needs the URL model', async () => {
    const path = '/v1beta/models/gemini-embedding-001';
    const content = { parts: [{ text: '你好' }] };
    const one = await call(mock, `${path}:embedContent`, { body: { content, outputDimensionality: 8 } });
    assert.equal(one.json.embedding.values.length, 8);
    const full = await call(mock, `${path}:embedContent`, { body: { content } });
    assert.equal(full.json.embedding.values.length, 3072);
    const good = { requests: [{ model: 'models/gemini-embedding-001', content }] };
    assert.equal((await call(mock, `${path}:batchEmbedContents`, { body: good })).json.embeddings.length, 1);
    const bad = { requests: [{ model: 'models/gemini-3.5-flash-lite', content }] };
    const res = await call(mock, `${path}:batchEmbedContents`, { body: bad });
    assert.equal(res.status, 400);
    assert.match(res.json.error.message, /does not match the model in the URL/);
  });

  test('resumable upload: start, then upload+finalize on the returned URL', async () => {
    const start = await call(mock, '/upload/v1beta/files', {
      body: { file: { display_name: 'a.txt' } },
      headers: {
        'x-goog-upload-protocol': 'resumable',
        'x-goog-upload-command': 'start',
        'x-goog-upload-header-content-type': 'text/plain',
      },
    });
    const uploadUrl = start.headers.get('x-goog-upload-url');
    assert.ok(uploadUrl.startsWith(`${mock.url}/upload/v1beta/files?upload_id=`));
    const done = await fetch(uploadUrl, {
      method: 'POST',
      headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
      body: 'hello',
    });
    const { file } = await done.json();
    assert.equal(file.mimeType, 'text/plain');
    assert.equal((await call(mock, `/v1beta/${file.name}`)).json.name, file.name);
  });

  test('an upload session belongs to the key that started it', async () => {
    const start = await call(mock, '/upload/v1beta/files', {
      body: {},
      headers: { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start' },
    });
    const uploadUrl = start.headers.get('x-goog-upload-url');
    const finish = (key) =>
      fetch(uploadUrl, {
        method: 'POST',
        headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0', 'x-goog-api-key': key },
        body: 'hello',
      });
    const wrong = await finish(KEY2);
    assert.equal(wrong.status, 403);
    assert.equal((await wrong.json()).error.status, 'PERMISSION_DENIED');
    assert.equal((await finish(KEY)).status, 200);
    const unknown = await fetch(uploadUrl.replace(/upload_id=[^&]+/, 'upload_id=nope'), { method: 'POST', body: 'x' });
    assert.equal(unknown.status, 404);
  });

  test("an uploaded file is its project's: another key cannot read, list or prompt with it", async () => {
    const headers = { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start' };
    const start = await call(mock, '/upload/v1beta/files', { body: {}, headers });
    const done = await fetch(start.headers.get('x-goog-upload-url'), {
      method: 'POST',
      headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0', 'x-goog-api-key': KEY },
      body: 'hello',
    });
    const { file } = await done.json();
    assert.equal((await call(mock, `/v1beta/${file.name}`)).status, 200);
    const denied = await call(mock, `/v1beta/${file.name}`, { key: KEY2 });
    assert.equal(denied.status, 403);
    assert.match(denied.json.error.message, /do not have permission to access the File .* or it may not exist/);
    assert.deepEqual((await call(mock, '/v1beta/files')).json.files.map((f) => f.name), [file.name]);
    assert.deepEqual((await call(mock, '/v1beta/files', { key: KEY2 })).json, {});
    const prompt = { contents: [{ role: 'user', parts: [{ fileData: { fileUri: file.uri, mimeType: 'text/plain' } }, { text: 'hi' }] }] };
    assert.equal((await call(mock, `${FLASH}:generateContent`, { body: prompt })).status, 200);
    assert.equal((await call(mock, `${FLASH}:generateContent`, { body: prompt, key: KEY2 })).status, 403);
    // A URI that is not the File API's is no file of anyone's.
    const web = { contents: [{ role: 'user', parts: [{ fileData: { fileUri: 'https://example.com/files/abc', mimeType: 'text/plain' } }] }] };
    assert.equal((await call(mock, `${FLASH}:generateContent`, { body: web, key: KEY2 })).status, 200);
  });

  test('a batch from an uploaded file answers in a results file only its project can download', async () => {
    const upload = async (key, text) => {
      const headers = { 'x-goog-upload-protocol': 'resumable', 'x-goog-upload-command': 'start' };
      const start = await call(mock, '/upload/v1beta/files', { body: {}, key, headers });
      const done = await fetch(start.headers.get('x-goog-upload-url'), {
        method: 'POST',
        headers: { 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0', 'x-goog-api-key': key },
        body: text,
      });
      return (await done.json()).file.name;
    };
    const line = (key, text) => JSON.stringify({ key, request: userText(text) });
    const input = await upload(KEY, `${line('a', 'one')}\n${line('b', 'two')}\n`);
    const create = (key, fileName) =>
      call(mock, `${FLASH}:batchGenerateContent`, { key, body: { batch: { inputConfig: { fileName } } } });
    // Another project cannot see the input file.
    assert.equal((await create(KEY2, input)).status, 403);
    const batch = (await create(KEY, input)).json;
    const done = (await call(mock, `/v1beta/${batch.name}`)).json;
    assert.equal(done.metadata.state, 'BATCH_STATE_SUCCEEDED');
    const results = done.response.responsesFile;
    assert.equal(done.metadata.output.responsesFile, results);
    for (const prefix of ['', '/download']) {
      const got = await call(mock, `${prefix}/v1beta/${results}:download?alt=media`);
      assert.equal(got.status, 200);
      const lines = got.text.trim().split('\n').map((l) => JSON.parse(l));
      assert.deepEqual(lines.map((l) => l.key), ['a', 'b']);
      assert.ok(lines.every((l) => l.response.candidates[0].content.parts[0].text));
    }
    const other = await call(mock, `/download/v1beta/${results}:download?alt=media`, { key: KEY2 });
    assert.equal(other.status, 403);
    assert.equal(other.json.error.status, 'PERMISSION_DENIED');
    assert.equal((await call(mock, `/v1beta/${results}:download`)).status, 400, 'alt=media is required');
    assert.equal((await call(mock, `/v1beta/${input}:download?alt=media`)).status, 400, 'an upload cannot be downloaded');
    assert.equal((await call(mock, `/download/v1beta/${results}`)).status, 404, '/download/ serves only :download');
  });
});
