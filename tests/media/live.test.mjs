// The Live API through the Worker, driven by Google's own SDK (@google/genai live.connect)
// against a mock Live endpoint that behaves like Google's (tests/helpers/mock-live.mjs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoogleGenAI, Modality } from '@google/genai';
import { AUDIO_REPLY, startMockLive } from '../helpers/mock-live.mjs';
import { startWorker } from '../helpers/worker.mjs';
import { ADMIN, CLIENT, eventually, testKey } from '../integration/support.mjs';

const MODEL = 'gemini-3.1-flash-live-preview';

async function setup(keys, mockOptions = {}) {
  const live = await startMockLive({ forbiddenValues: [CLIENT, ADMIN], ...mockOptions });
  const worker = await startWorker({ geminiBase: live.url, adminToken: ADMIN, authTokens: CLIENT });
  const admin = (path, init = {}) =>
    fetch(`${worker.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}` } }).then((r) => r.json());
  if (keys.length) await admin('/api/keys', { method: 'POST', body: JSON.stringify({ keys }) });
  return {
    live,
    worker,
    admin,
    async close() {
      await worker.dispose();
      await live.close();
    },
  };
}

// Connects with the SDK; resolves once connect() returns. `messages` fills as they arrive,
// `closed` resolves with the close event.
async function connect(env, config, apiVersion = undefined) {
  const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.worker.url, apiVersion } });
  const messages = [];
  let onClose;
  const closed = new Promise((resolve) => (onClose = resolve));
  const session = await ai.live.connect({
    model: MODEL,
    config,
    callbacks: { onmessage: (m) => messages.push(m), onclose: (e) => onClose(e), onerror: () => {} },
  });
  return { session, messages, closed };
}

// A connect that Google's side refuses before setupComplete: @google/genai 3 rejects connect()
// then, and its onclose callback has the close the client got.
async function refusedConnect(env, model = MODEL, config = { responseModalities: [Modality.TEXT] }) {
  const ai = new GoogleGenAI({ apiKey: CLIENT, httpOptions: { baseUrl: env.worker.url } });
  let onClose;
  const closed = new Promise((resolve) => (onClose = resolve));
  await assert.rejects(ai.live.connect({ model, config, callbacks: { onmessage() {}, onclose: onClose, onerror() {} } }));
  return closed;
}

const until = (fn, what) => eventually(fn, { timeoutMs: 5000, everyMs: 20 }).then((v) => (assert.ok(v, what), v));

test('a text session: setup held, then frames both ways, usage counted for the key', async () => {
  const key = testKey('live-text');
  const env = await setup([key]);
  try {
    const { session, messages } = await connect(env, { responseModalities: [Modality.TEXT] });
    await until(() => messages.some((m) => m.setupComplete), 'setupComplete reaches the client');
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'Hello' }] }], turnComplete: true });
    await until(() => messages.some((m) => m.serverContent?.turnComplete), 'the turn completes');
    const text = messages.flatMap((m) => m.serverContent?.modelTurn?.parts ?? []).map((p) => p.text).join('');
    assert.equal(text, 'You said: Hello');
    assert.equal(messages.find((m) => m.usageMetadata).usageMetadata.responseTokenCount, 30);
    session.close();
    await until(() => env.live.sessions[0].closed, 'the upstream socket is closed after the client');
    assert.equal(env.live.sessions[0].closed.by, 'client');
    assert.equal(env.live.sessions[0].key, key, 'the pool key goes upstream');
    assert.equal(env.live.sessions[0].setup.model, `models/${MODEL}`);
    assert.deepEqual(env.live.violations, [], 'no key in the URL, no client token upstream');
    const stats = await until(async () => {
      const k = (await env.admin('/api/keys')).keys[0];
      return k.completion_tokens === 30 ? k : null;
    }, 'the session is counted for the key');
    assert.equal(stats.prompt_tokens, 12);
    assert.equal(stats.successes, 1);
  } finally {
    await env.close();
  }
});

test('an audio session with transcriptions: binary audio and both transcripts pass untouched', async () => {
  const env = await setup([testKey('live-audio')]);
  try {
    const { session, messages } = await connect(env, {
      responseModalities: [Modality.AUDIO],
      inputAudioTranscription: {},
      outputAudioTranscription: {},
      speechConfig: { voiceConfig: { prebuiltVoiceConfig: { voiceName: 'Kore' } } },
    }, 'v1beta');
    await until(() => messages.some((m) => m.setupComplete), 'setupComplete');
    const pcm = Buffer.alloc(3200, 7).toString('base64');
    session.sendRealtimeInput({ audio: { data: pcm, mimeType: 'audio/pcm;rate=16000' } });
    await until(() => messages.some((m) => m.serverContent?.turnComplete), 'the turn completes');
    const input = messages.find((m) => m.serverContent?.inputTranscription);
    assert.equal(input.serverContent.inputTranscription.text, 'hello from the microphone');
    const audio = messages.flatMap((m) => m.serverContent?.modelTurn?.parts ?? []).find((p) => p.inlineData);
    assert.equal(audio.inlineData.data, AUDIO_REPLY.toString('base64'));
    const output = messages.find((m) => m.serverContent?.outputTranscription);
    assert.equal(output.serverContent.outputTranscription.text, 'You said: something');
    assert.equal(env.live.sessions[0].path, '/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent');
    const sent = env.live.sessions[0].messages.find((m) => m.realtimeInput);
    assert.equal(sent.realtimeInput.audio.data, pcm, 'the client audio reaches Google untouched');
    session.close();
  } finally {
    await env.close();
  }
});

test('a key refused after setup (1007) is disabled and the next key carries the session', async () => {
  const keys = [testKey('live-a'), testKey('live-b')];
  const env = await setup(keys, { refuseFirst: 'invalid' });
  try {
    const { session, messages } = await connect(env, { responseModalities: [Modality.TEXT] });
    await until(() => messages.some((m) => m.setupComplete), 'the second key answers');
    assert.equal(env.live.sessions.length, 2);
    const [refused, used] = env.live.sessions;
    assert.deepEqual([refused.closed.by, refused.closed.code], ['server', 1007]);
    assert.notEqual(used.key, refused.key);
    assert.deepEqual(used.setup, refused.messages[0].setup, 'the held setup message is sent again, unchanged');
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'Still there?' }] }], turnComplete: true });
    await until(() => messages.some((m) => m.serverContent?.turnComplete), 'the session works');
    const list = await until(async () => {
      const r = await env.admin('/api/keys');
      return r.keys.find((k) => k.status === 'disabled') ? r : null;
    }, 'the refused key is disabled');
    const disabled = list.keys.filter((k) => k.status === 'disabled');
    assert.equal(disabled.length, 1);
    assert.equal(disabled[0].disabled_reason, 'key_invalid');
    session.close();
  } finally {
    await env.close();
  }
});

test('quota (1011) cools a key down; with no usable key left the client gets 1013 and when to retry', async () => {
  const env = await setup([testKey('live-q')], { refuseFirst: 'quota' });
  try {
    // The only key is refused for quota: no other key to try, the client gets Google's close.
    const first = await refusedConnect(env);
    assert.equal(first.code, 1011);
    assert.match(first.reason, /exceeded your current quota/);
    assert.equal(env.live.sessions.length, 1);
    const k = await until(async () => {
      const r = await env.admin('/api/keys');
      return r.keys[0].status === 'cooling' ? r.keys[0] : null;
    }, 'the key cools down');
    assert.notEqual(k.status, 'disabled');
    // The next session finds every key cooling: closed at once, nothing sent to Google.
    const second = await refusedConnect(env);
    assert.equal(second.code, 1013);
    assert.match(second.reason, /rate-limited for this model; retry in \d+ s/);
    assert.equal(env.live.sessions.length, 1);
  } finally {
    await env.close();
  }
});

test("the client's own mistake is its close, never a key's fault", async () => {
  const env = await setup([testKey('live-c1'), testKey('live-c2')]);
  try {
    const event = await refusedConnect(env, 'gemini-no-such-live-model');
    assert.equal(event.code, 1008);
    assert.match(event.reason, /not found/);
    assert.equal(env.live.sessions.length, 1, 'not retried on another key');
    const list = await env.admin('/api/keys');
    assert.ok(list.keys.every((k) => k.status === 'active'));
  } finally {
    await env.close();
  }
});

test('either side closing closes the other', async () => {
  const env = await setup([testKey('live-close')]);
  try {
    const { session, messages, closed } = await connect(env, { responseModalities: [Modality.TEXT] });
    await until(() => messages.some((m) => m.setupComplete), 'setupComplete');
    session.sendClientContent({ turns: [{ role: 'user', parts: [{ text: 'please hang up' }] }], turnComplete: true });
    const event = await closed;
    assert.equal(event.code, 1000);
    assert.equal(event.reason, 'Goodbye.');
    assert.equal(env.live.sessions[0].closed.by, 'server');
  } finally {
    await env.close();
  }
});

test('a wrong client token is refused before anything reaches Google', async () => {
  const env = await setup([testKey('live-auth')]);
  try {
    const ai = new GoogleGenAI({ apiKey: 'wrong-token', httpOptions: { baseUrl: env.worker.url } });
    // The SDK's connect() waits for an open that never comes: its callbacks tell the failure.
    const failed = new Promise((resolve) => {
      ai.live.connect({ model: MODEL, callbacks: { onmessage() {}, onerror: () => resolve('error'), onclose: () => resolve('close') } }).catch(() => resolve('rejected'));
    });
    const outcome = await Promise.race([failed, new Promise((r) => setTimeout(() => r('nothing'), 5000))]);
    assert.notEqual(outcome, 'nothing', 'the SDK reports the refused upgrade');
    assert.equal(env.live.sessions.length, 0);
    const res = await env.worker.fetch('/ws/google.ai.generativelanguage.v1beta.GenerativeService.BidiGenerateContent', {
      headers: { upgrade: 'websocket', 'x-goog-api-key': 'wrong-token' },
    });
    assert.equal(res.status, 401);
  } finally {
    await env.close();
  }
});
