// A mock of the Gemini Live API (BidiGenerateContent over a WebSocket) on 127.0.0.1, behaving
// the way Google does: the upgrade is accepted whatever the key, the key is judged only after
// the setup message and refused with a close frame (1007 invalid, 1008 leaked, 1011 quota);
// unknown setup fields and unknown models are refused the same way; a good session answers
// setupComplete, then serverContent (text, or audio with transcriptions) and usageMetadata.
// Server messages go out as binary frames, as Google sends them.
//
//   const live = await startMockLive({ keys: { [KEY1]: 'invalid' } });
//   try { ... GEMINI_API_BASE = live.url ... } finally { await live.close(); }
//
// Key behaviours: 'ok' (default), 'invalid', 'leaked', 'quota', 'internal'. `refuseFirst` gives the
// key of the first session with a setup that behaviour from then on, whichever key the pool chose.
// live.sessions[i]: { key, keyInUrl, path, setup, messages, closed: {by, code, reason} }.
// live.violations must stay empty (a key in the URL, a forbidden value reaching upstream).
// A client text "please hang up" makes the server close the session (1000).
import http from 'node:http';
import { WebSocketServer } from 'ws';

// v1beta and v1alpha as Google's docs name them; v1 as @google/genai 3 connects by default.
const PATH = /^\/ws\/google\.ai\.generativelanguage\.(v1beta|v1alpha|v1)\.GenerativeService\.BidiGenerateContent$/;
export const LIVE_MODELS = ['gemini-3.1-flash-live-preview', 'gemini-3.8-live', 'gemini-2.5-flash-native-audio-preview-12-2025'];
const SETUP_FIELDS = [
  'model', 'generationConfig', 'systemInstruction', 'tools', 'realtimeInputConfig', 'sessionResumption',
  'contextWindowCompression', 'inputAudioTranscription', 'outputAudioTranscription', 'proactivity', 'explicitVadSignal',
];
const CLIENT_MESSAGES = ['clientContent', 'realtimeInput', 'toolResponse'];
const KEY_CLOSES = {
  invalid: [1007, 'API key not valid. Please pass a valid API key.'],
  leaked: [1008, 'Your API key was reported as leaked. Please use another API key.'],
  quota: [1011, 'You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.'],
  internal: [1011, 'Internal error encountered.'],
};
// A 20 ms, 24 kHz, 16-bit sine tone: what an audio answer carries.
export const AUDIO_REPLY = Buffer.from(Int16Array.from({ length: 480 }, (_, i) => Math.round(8000 * Math.sin(i / 4))).buffer);

const cut = (reason) => Buffer.from(reason).subarray(0, 123).toString('utf8').replace(/\uFFFD$/, '');

export async function startMockLive({ keys = {}, forbiddenValues = [], refuseFirst = null } = {}) {
  const state = { sessions: [], violations: [], keys: new Map(Object.entries(keys)), refuseFirst };
  const server = http.createServer((req, res) => res.writeHead(404).end());
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const match = PATH.exec(url.pathname);
    if (!match) return socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
    const session = {
      key: req.headers['x-goog-api-key'] ?? url.searchParams.get('key'),
      keyInUrl: url.searchParams.has('key'),
      path: url.pathname,
      setup: null,
      messages: [],
      closed: null,
    };
    if (session.keyInUrl) state.violations.push('an API key was sent in the URL');
    for (const value of forbiddenValues) {
      if (req.url.includes(value) || JSON.stringify(req.headers).includes(value)) state.violations.push('a forbidden value reached upstream');
    }
    state.sessions.push(session);
    wss.handleUpgrade(req, socket, head, (ws) => serve(ws, session, state));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    sessions: state.sessions,
    violations: state.violations,
    setKeyBehaviour: (key, b) => state.keys.set(key, b),
    close: () =>
      new Promise((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function serve(ws, session, state) {
  const send = (message) => ws.send(Buffer.from(JSON.stringify(message)));
  const close = (code, reason) => {
    session.closed ??= { by: 'server', code, reason };
    ws.close(code, cut(reason));
  };
  ws.on('close', (code, reason) => {
    session.closed ??= { by: 'client', code, reason: reason.toString() };
  });
  ws.on('message', (data) => {
    let message;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      return close(1007, 'Invalid JSON payload received. Unexpected token.');
    }
    session.messages.push(message);
    if (!session.setup) return onSetup(message, session, state, send, close);
    onClientMessage(message, session, send, close);
  });
}

function onSetup(message, session, state, send, close) {
  const setup = message.setup;
  if (!setup) return close(1007, 'Invalid JSON payload received. Expected a setup message first.');
  const unknown = Object.keys(message).find((k) => k !== 'setup') ?? Object.keys(setup).find((k) => !SETUP_FIELDS.includes(k));
  if (unknown) return close(1007, `Invalid JSON payload received. Unknown name "${unknown}" at 'setup': Cannot find field.`);
  const model = String(setup.model ?? '').replace(/^models\//, '');
  if (!LIVE_MODELS.includes(model)) {
    const version = PATH.exec(session.path)[1];
    return close(1008, `models/${model} is not found for API version ${version}, or is not supported for bidiGenerateContent.`);
  }
  if (state.refuseFirst) {
    state.keys.set(session.key, state.refuseFirst);
    state.refuseFirst = null;
  }
  const behaviour = state.keys.get(session.key) ?? 'ok';
  if (KEY_CLOSES[behaviour]) return close(...KEY_CLOSES[behaviour]);
  session.setup = setup;
  send({ setupComplete: {} });
}

function onClientMessage(message, session, send, close) {
  const kind = Object.keys(message)[0];
  if (!CLIENT_MESSAGES.includes(kind) || Object.keys(message).length !== 1) {
    return close(1007, `Invalid JSON payload received. Unknown name "${kind}": Cannot find field.`);
  }
  const text =
    message.clientContent?.turns?.flatMap((t) => t.parts ?? []).map((p) => p.text ?? '').join(' ') ??
    message.realtimeInput?.text ??
    '';
  if (text.includes('please hang up')) return close(1000, 'Goodbye.');
  const audioIn = Boolean(message.realtimeInput?.audio || message.realtimeInput?.mediaChunks);
  if (!text && !audioIn && !message.realtimeInput?.audioStreamEnd) return;
  if (message.realtimeInput?.audioStreamEnd) return;
  const audioOut = (session.setup.generationConfig?.responseModalities ?? ['AUDIO']).includes('AUDIO');
  if (audioIn && session.setup.inputAudioTranscription) {
    send({ serverContent: { inputTranscription: { text: 'hello from the microphone' } } });
  }
  const reply = `You said: ${text || 'something'}`;
  if (audioOut) {
    send({ serverContent: { modelTurn: { parts: [{ inlineData: { mimeType: 'audio/pcm;rate=24000', data: AUDIO_REPLY.toString('base64') } }] } } });
    if (session.setup.outputAudioTranscription) send({ serverContent: { outputTranscription: { text: reply } } });
  } else {
    send({ serverContent: { modelTurn: { parts: [{ text: reply }] } } });
  }
  send({ serverContent: { generationComplete: true } });
  send({ serverContent: { turnComplete: true }, usageMetadata: { promptTokenCount: 12, responseTokenCount: 30, totalTokenCount: 42 } });
}
