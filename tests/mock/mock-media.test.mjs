// The mock's image and speech models, and audio understanding: answered and refused the way
// Google answers and refuses them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGE_PNG, PCM_MIME, REPLIES, speechPcm, startMockGemini } from '../helpers/mock-gemini.mjs';
import { call } from './support.mjs';

let mock;
before(async () => {
  mock = await startMockGemini();
});
after(() => mock.close());

const IMAGE = '/v1beta/models/gemini-3.1-flash-image:generateContent';
const PRO_IMAGE = '/v1beta/models/gemini-3-pro-image:generateContent';
const TTS = '/v1beta/models/gemini-3.8-flash-lite-tts:generateContent';
const LISTEN = '/v1beta/models/gemini-3.5-flash-lite:generateContent';
const imageBody = (imageConfig) => ({
  contents: [{ role: 'user', parts: [{ text: 'A fox' }] }],
  generationConfig: { responseModalities: ['TEXT', 'IMAGE'], ...(imageConfig ? { imageConfig } : {}) },
});
const speechBody = (voiceName, extra = {}) => ({
  contents: [{ role: 'user', parts: [{ text: 'Hello there' }] }],
  generationConfig: { responseModalities: ['AUDIO'], speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName } } } },
  ...extra,
});

test('image models answer an inline PNG; Gemini 3 Pro Image shows a thought draft first', async () => {
  const r = await call(mock, IMAGE, { body: imageBody({ aspectRatio: '16:9' }) });
  assert.equal(r.status, 200, r.text);
  const parts = r.json.candidates[0].content.parts;
  assert.deepEqual(parts.at(-1), { inlineData: { mimeType: 'image/png', data: IMAGE_PNG } });
  assert.equal(r.json.usageMetadata.candidatesTokenCount, 1290);
  const pro = await call(mock, PRO_IMAGE, { body: imageBody() });
  assert.equal(pro.json.candidates[0].content.parts[0].thought, true);
});

test('image config: unknown fields, unknown ratios and image output from a text model are refused', async () => {
  const unknown = await call(mock, IMAGE, { body: imageBody({ aspectRatio: '1:1', quality: 'hd' }) });
  assert.equal(unknown.status, 400);
  assert.match(unknown.json.error.message, /Unknown name "quality"/);
  const ratio = await call(mock, PRO_IMAGE, { body: imageBody({ aspectRatio: '4:1' }) });
  assert.equal(ratio.status, 400);
  const text = await call(mock, '/v1beta/models/gemini-2.5-flash:generateContent', { body: imageBody() });
  assert.equal(text.status, 400);
  assert.match(text.json.error.message, /response modalities/);
});

test('speech models answer 24 kHz 16-bit PCM as audio/L16', async () => {
  const r = await call(mock, TTS, { body: speechBody('Kore') });
  assert.equal(r.status, 200, r.text);
  const part = r.json.candidates[0].content.parts[0];
  assert.equal(part.inlineData.mimeType, PCM_MIME);
  assert.deepEqual(Buffer.from(part.inlineData.data, 'base64'), speechPcm('Hello there'));
});

test('speech models refuse a system instruction, an unknown voice, text output and unknown fields', async () => {
  const cases = [
    speechBody('Kore', { systemInstruction: { parts: [{ text: 'Be cheerful' }] } }),
    speechBody('Alloy'),
    { ...speechBody('Kore'), generationConfig: { responseModalities: ['TEXT'] } },
    { ...speechBody('Kore'), generationConfig: { responseModalities: ['AUDIO'], speechConfig: { voice: 'Kore' } } },
  ];
  for (const body of cases) {
    const r = await call(mock, TTS, { body });
    assert.equal(r.status, 400, JSON.stringify(body));
  }
});

test('a model that listens transcribes (or translates) inline audio', async () => {
  const audio = { inlineData: { mimeType: 'audio/wav', data: Buffer.from('RIFF....WAVE').toString('base64') } };
  const body = (text) => ({ contents: [{ role: 'user', parts: [{ text }, audio] }] });
  const t = await call(mock, LISTEN, { body: body('Transcribe the speech in this audio verbatim.') });
  assert.equal(t.status, 200, t.text);
  assert.equal(t.json.candidates[0].content.parts[0].text, REPLIES.transcript);
  const e = await call(mock, LISTEN, { body: body('Translate the speech in this audio into English.') });
  assert.equal(e.json.candidates[0].content.parts[0].text, REPLIES.translation);
});
