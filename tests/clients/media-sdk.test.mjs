// The official openai SDK on the media routes, through the real Worker against the mock
// Gemini: images.generate, images.edit with files, audio.speech.create,
// audio.transcriptions/translations.create, and chat with http image URLs served by a local
// server (redirects, too large with and without content-length, not an image, silent).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import OpenAI, { toFile } from 'openai';
import { IMAGE_PNG, REPLIES, speechPcm } from '../helpers/mock-gemini.mjs';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

const PNG = Buffer.from(IMAGE_PNG, 'base64');
const WAV = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WAVEfmt '), Buffer.alloc(40, 3)]);

let env;
let client;
let images; // a local server of image URLs
let imagesBase;
const hanging = new Set();

before(async () => {
  env = await setup({ keys: [testKey('media-a'), testKey('media-b')] });
  client = new OpenAI({ apiKey: CLIENT, baseURL: `${env.url}/v1`, maxRetries: 0 });
  images = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const hop = /^\/hop\/(\d+)$/.exec(path);
    if (hop) return res.writeHead(302, { location: Number(hop[1]) === 0 ? '/cat.png' : `/hop/${hop[1] - 1}` }).end();
    if (path === '/cat.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    if (path === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<html></html>');
    if (path === '/huge.png') {
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(1024 * 1024, 1);
      let sent = 0;
      const pump = () => {
        while (sent++ < 17) if (!res.write(chunk)) return res.once('drain', pump);
        return res.end();
      };
      return pump();
    }
    if (path === '/silent.png') return hanging.add(res);
    return res.writeHead(404).end();
  });
  await new Promise((resolve) => images.listen(0, '127.0.0.1', resolve));
  imagesBase = `http://127.0.0.1:${images.address().port}`;
});

after(async () => {
  for (const res of hanging) res.destroy();
  images?.closeAllConnections?.();
  await new Promise((resolve) => images?.close(resolve) ?? resolve());
  await env?.close();
});

const geminiCalls = (model) => env.mock.requests.filter((r) => r.model === model && r.action === 'generateContent');

test('images.generate: n images from n calls, the size as an aspect ratio', async () => {
  env.mock.reset();
  const r = await client.images.generate({ model: 'gpt-image-1', prompt: 'A red fox', n: 2, size: '1792x1024' });
  assert.equal(r.data.length, 2);
  assert.equal(r.data[0].b64_json, IMAGE_PNG);
  assert.equal(r.data[0].revised_prompt, 'Here is the image.');
  const calls = geminiCalls('gemini-3.1-flash-image');
  assert.equal(calls.length, 2);
  assert.equal(calls[0].json().generationConfig.imageConfig.aspectRatio, '16:9');
  assert.deepEqual(env.mock.violations, []);
});

test('images.generate with dall-e-3 answers a data: URL, as DALL·E answers URLs', async () => {
  const r = await client.images.generate({ model: 'dall-e-3', prompt: 'A cat', size: '1024x1024' });
  assert.equal(r.data[0].url, `data:image/png;base64,${IMAGE_PNG}`);
});

test('images.generate: a size with no near ratio is a 400 naming it', async () => {
  await assert.rejects(client.images.generate({ prompt: 'x', size: '1000x600' }), (err) => {
    assert.equal(err.status, 400);
    assert.equal(err.param, 'size');
    assert.match(err.message, /1000x600/);
    return true;
  });
});

test('images.edit with files: the images, then the mask, inline in order', async () => {
  env.mock.reset();
  const r = await client.images.edit({
    model: 'gpt-image-1',
    prompt: 'Add a hat',
    image: [await toFile(PNG, 'a.png', { type: 'image/png' }), await toFile(PNG, 'b.png')],
    mask: await toFile(PNG, 'mask.png', { type: 'image/png' }),
  });
  assert.equal(r.data[0].b64_json, IMAGE_PNG);
  const parts = geminiCalls('gemini-3.1-flash-image')[0].json().contents[0].parts;
  assert.equal(parts.length, 4);
  assert.deepEqual(parts[0].inlineData, { mimeType: 'image/png', data: IMAGE_PNG });
  assert.match(parts[3].text, /^Add a hat/);
});

function readWav(bytes) {
  const b = Buffer.from(bytes);
  assert.equal(b.toString('ascii', 0, 4), 'RIFF');
  assert.equal(b.readUInt32LE(4), b.length - 8);
  assert.equal(b.toString('ascii', 8, 16), 'WAVEfmt ');
  assert.equal(b.readUInt16LE(20), 1, 'PCM');
  assert.equal(b.toString('ascii', 36, 40), 'data');
  return { channels: b.readUInt16LE(22), rate: b.readUInt32LE(24), bits: b.readUInt16LE(34), data: b.subarray(44, 44 + b.readUInt32LE(40)) };
}

test('audio.speech.create: a WAV of 24 kHz, 16-bit mono around the upstream PCM', async () => {
  const res = await client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'Hello there', response_format: 'wav' });
  assert.equal(res.headers.get('content-type'), 'audio/wav');
  const wav = readWav(await res.arrayBuffer());
  assert.deepEqual([wav.channels, wav.rate, wav.bits], [1, 24000, 16]);
  assert.deepEqual(wav.data, speechPcm('Hello there'));
  const plain = await client.audio.speech.create({ model: 'tts-1', voice: 'Puck', input: 'Hi' });
  assert.equal(plain.headers.get('content-type'), 'audio/wav', 'no format asked: WAV');
  const pcm = await client.audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'Hi', response_format: 'pcm' });
  assert.deepEqual(Buffer.from(await pcm.arrayBuffer()), speechPcm('Hi'));
});

test('audio.speech.create: mp3 and speed other than 1 are clear 400s', async () => {
  for (const extra of [{ response_format: 'mp3' }, { speed: 1.25 }]) {
    await assert.rejects(client.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'x', ...extra }), (err) => err.status === 400);
  }
});

test('audio.transcriptions.create and translations.create with a file', async () => {
  const t = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(WAV, 'speech.wav') });
  assert.equal(t.text, REPLIES.transcript);
  const text = await client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(WAV, 'speech.wav'), response_format: 'text' });
  assert.equal(String(text).trim(), REPLIES.transcript);
  const e = await client.audio.translations.create({ model: 'whisper-1', file: await toFile(WAV, 'speech.wav') });
  assert.equal(e.text, REPLIES.translation);
  await assert.rejects(
    client.audio.transcriptions.create({ model: 'whisper-1', file: await toFile(WAV, 'a.wav'), response_format: 'srt' }),
    (err) => err.status === 400 && err.param === 'response_format',
  );
});

const chatWithImage = (url) =>
  client.chat.completions.create({
    model: 'gemini-2.5-flash',
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url } }] }],
  });

test('chat with an http image URL: fetched and sent inline', async () => {
  env.mock.reset();
  const r = await chatWithImage(`${imagesBase}/hop/2`);
  assert.ok(r.choices[0].message.content);
  const parts = env.mock.requests.at(-1).json().contents[0].parts;
  assert.deepEqual(parts[1].inlineData, { mimeType: 'image/png', data: IMAGE_PNG });
});

test('chat with bad image URLs: a 400 naming each URL, never a key blamed', async () => {
  for (const [path, why] of [['/hop/9', /redirects more than 5/], ['/huge.png', /larger than 15 MB/], ['/page.html', /not a PNG/], ['/silent.png', /did not answer/]]) {
    await assert.rejects(chatWithImage(`${imagesBase}${path}`), (err) => {
      assert.equal(err.status, 400, path);
      assert.match(err.message, why, path);
      assert.ok(err.message.includes(path), path);
      return true;
    });
  }
  const keys = await env.adminJson('/api/keys');
  assert.ok(keys.body.keys.every((k) => k.status === 'active'));
});
