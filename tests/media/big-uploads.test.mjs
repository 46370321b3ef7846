// Big uploads through the real Worker against the strict mock Gemini: the client's multipart
// body goes into the core chunk by chunk, and the Gemini body leaves it as a stream of slices
// of known length. Upstream must get exactly the bytes the core translated (with a
// content-length, not chunked), a retry on another key the same bytes again, and a client that
// goes away mid-upload must leave no request open in the core. Runs with
// scripts/wasm-loader.mjs (npm test passes it): the byte-exact expectation and the open
// requests are read from core.wasm in this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { ABI, call, callRemembered } from '../../worker-shim/core.mjs';
import { fetchBody } from '../../worker-shim/stream.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';
import { configure, open } from '../unit/core-driver.mjs';
import { multipartBody, noise } from '../helpers/multipart.mjs';

// The Worker itself, run in this process (its key pool class needs workerd's module, stubbed
// here: the pool is never reached).
register(
  `data:text/javascript,${encodeURIComponent(
    "export function resolve(s, c, next) { return s === 'cloudflare:workers' ? { url: 'data:text/javascript,export class DurableObject {}', shortCircuit: true } : next(s, c); }",
  )}`,
);
const { default: worker } = await import('../../worker-shim/index.mjs');

const MB = 1024 * 1024;
const BOUNDARY = 'big-upload-boundary';
const TYPE = `multipart/form-data; boundary=${BOUNDARY}`;

const form = (parts) => multipartBody(BOUNDARY, parts);

const AUDIO = noise(10 * MB, Buffer.from('RIFF\0\0\0\0WAVEfmt ', 'binary'));
const IMAGE = noise(4 * MB, Buffer.from('89504e470d0a1a0a', 'hex'));
const TRANSCRIPTION = form([
  { name: 'model', data: 'whisper-1' },
  { name: 'file', filename: 'meeting.wav', type: 'audio/wav', data: AUDIO },
]);
const EDIT = form([
  { name: 'model', data: 'gpt-image-1' },
  { name: 'prompt', data: 'Add a red hat to the cat.' },
  { name: 'image', filename: 'cat.png', type: 'image/png', data: IMAGE },
]);

const KEYS = [testKey('big-a'), testKey('big-b')];

// This process's core, configured like the Worker under test, with one key.
function configureHere() {
  configure({ AUTH_TOKENS: CLIENT });
  callRemembered('POOL_LOAD', { SEED: 1, NOW: Date.now(), BODY: `K 1 ${KEYS[0]} a\n` });
}

// The Gemini body core.wasm makes of `body` on `path`, read the way fetch() reads it.
async function translated(path, body) {
  configureHere();
  const req = open('POST', path, { authorization: `Bearer ${CLIENT}`, 'content-type': TYPE, 'content-length': String(body.length) });
  try {
    for (let at = 0; at < body.length; at += 64 * 1024) req.bodyChunk(body.subarray(at, at + 64 * 1024));
    const a = req.feed({ KIND: ABI.event.BODY, SIZE: body.length, NOW: Date.now() });
    const task = a.TASK?.find((t) => t.KIND === ABI.task.FETCH);
    assert.ok(task, 'the upload is translated into a Gemini call');
    assert.equal(task.BODY, undefined, 'a body this big is not copied out whole');
    return Buffer.from(await new Response(fetchBody(req, task)).arrayBuffer());
  } finally {
    req.close();
  }
}

let env;

before(async () => {
  env = await setup({ mockOptions: { maxBodyBytes: 20 * MB }, keys: KEYS });
});

after(async () => {
  await env?.close();
});

function upload(path, body) {
  return env.worker.fetch(path, { method: 'POST', headers: { authorization: `Bearer ${CLIENT}`, 'content-type': TYPE }, body });
}

// The generateContent calls the mock received since `from`.
const calls = (from) => env.mock.requests.slice(from).filter((r) => r.action === 'generateContent');

function assertSent(record, expected) {
  assert.equal(record.headers['transfer-encoding'], undefined, 'not sent chunked');
  assert.equal(record.headers['content-length'], String(expected.length));
  assert.ok(record.body.equals(expected), 'upstream got the bytes the core translated');
}

test('a 10 MB transcription upload reaches Gemini as the exact base64 JSON, with its length', async () => {
  const expected = await translated('/v1/audio/transcriptions', TRANSCRIPTION);
  assert.equal(JSON.parse(expected).contents[0].parts[1].inlineData.data, AUDIO.toString('base64'));
  const from = env.mock.requests.length;
  const res = await upload('/v1/audio/transcriptions', TRANSCRIPTION);
  const answer = await res.json();
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.equal(typeof answer.text, 'string');
  const sent = calls(from);
  assert.equal(sent.length, 1);
  assertSent(sent[0], expected);
  assert.deepEqual(env.mock.violations, []);
});

test('a 4 MB image edit reaches Gemini as the exact base64 JSON, with its length', async () => {
  const expected = await translated('/v1/images/edits', EDIT);
  assert.ok(expected.includes(Buffer.from(IMAGE.toString('base64'))));
  const from = env.mock.requests.length;
  const res = await upload('/v1/images/edits', EDIT);
  const answer = await res.json();
  assert.equal(res.status, 200, JSON.stringify(answer));
  assert.ok(answer.data[0].b64_json);
  const sent = calls(from);
  assert.equal(sent.length, 1);
  assertSent(sent[0], expected);
});

test('a key limited during a big upload: the next key gets the same bytes', async () => {
  const expected = await translated('/v1/audio/transcriptions', TRANSCRIPTION);
  let first = true;
  const limitedOnce = () => {
    const kind = first ? 'quota_minute' : 'ok';
    first = false;
    return kind;
  };
  for (const key of KEYS) env.mock.setKeyBehaviour(key, limitedOnce);
  try {
    const from = env.mock.requests.length;
    const res = await upload('/v1/audio/transcriptions', TRANSCRIPTION);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal(res.headers.get('x-balancer-attempts'), '2');
    const sent = calls(from);
    assert.equal(sent.length, 2);
    assert.equal(sent[0].status, 429);
    assert.notEqual(sent[0].key, sent[1].key);
    for (const record of sent) assertSent(record, expected);
  } finally {
    for (const key of KEYS) env.mock.setKeyBehaviour(key, 'ok');
  }
});

test('a client gone mid-upload leaves no request open, and no call is made', async () => {
  configureHere();
  const before = call('OPEN_COUNT', {}).COUNT;
  let sent = 0;
  const body = new ReadableStream({
    async pull(c) {
      if (sent >= 3 * MB) return c.error(new Error('client went away'));
      c.enqueue(TRANSCRIPTION.subarray(sent, sent + 256 * 1024));
      sent += 256 * 1024;
      await new Promise((resolve) => setTimeout(resolve, 1));
    },
  });
  const request = new Request('https://worker.example/v1/audio/transcriptions', {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT}`, 'content-type': TYPE, 'content-length': String(TRANSCRIPTION.length) },
    body,
    duplex: 'half',
  });
  const from = env.mock.requests.length;
  const bindings = { AUTH_TOKENS: CLIENT, GEMINI_API_BASE: env.mock.url };
  const res = await worker.fetch(request, bindings, { waitUntil() {} });
  assert.equal(res.status, 400);
  assert.match((await res.json()).error.message, /could not be read/);
  assert.equal(call('OPEN_COUNT', {}).COUNT, before);
  assert.equal(env.mock.requests.length, from);
});

test('a request that is over can no longer have its body read', async () => {
  configureHere();
  const before = call('OPEN_COUNT', {}).COUNT;
  const req = open('POST', '/v1/audio/transcriptions', { authorization: `Bearer ${CLIENT}`, 'content-type': TYPE });
  for (let at = 0; at < TRANSCRIPTION.length; at += MB) req.bodyChunk(TRANSCRIPTION.subarray(at, at + MB));
  const task = req.feed({ KIND: ABI.event.BODY, SIZE: TRANSCRIPTION.length, NOW: Date.now() }).TASK[0];
  const reader = fetchBody(req, task).getReader();
  const { value } = await reader.read();
  assert.equal(value.length, 64 * 1024);
  assert.equal(call('OPEN_COUNT', {}).COUNT, before + 1);
  req.close();
  assert.equal(call('OPEN_COUNT', {}).COUNT, before);
  await assert.rejects(reader.read(), /request is closed/);
});
