// live.mjs — the Live API's WebSocket, proxied to Google with a pool key. Only sockets and
// bytes here: what the setup message names, what a close means for a key and what a session
// costs are the core's answers (live.h), reached through `decide`.
//
// Google accepts any upgrade and judges the key after the setup message, with a close frame.
// So the client's socket is accepted at once, its setup message held, and one pool key after
// another tried until Google answers anything (setupComplete): from then on frames pass both
// ways untouched and each side is closed when the other closes.
//
//   return serveLive(request, {
//     upstreamUrl,                              // wss URL of Google's endpoint for this version
//     pick: (model, exclude) => ({id, key}) | {none: {code, reason}},
//     report: (pick, verdict) => ...,          // a key event (verdict: the core's judgement)
//     record: (pick, usage) => ...,            // {prompt_tokens, completion_tokens}, at the end
//     decide: { setup(bytes), close(code, reason), usage(bytes) },  // the core's decisions
//   });

const MAX_ATTEMPTS = 8;
const MAX_SERVER_FAILURES = 2;
const ATTEMPT_TIMEOUT_MS = 15_000;
const SETUP_WAIT_MS = 30_000; // a client that opens a socket and never says what it wants
const OK = { outcome: 'ok', action: 'none' };
const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (data) => (typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data));
// A close code the far side may be sent (1005/1006/1015 only describe a close without a frame).
const sendable = (c) => (c >= 1000 && c <= 1014 && ![1004, 1005, 1006].includes(c)) || (c >= 3000 && c <= 4999);

function closeQuietly(ws, code, reason) {
  try {
    ws.close(sendable(code) ? code : 1000, reason ?? '');
  } catch {
    // already closed
  }
}

export function serveLive(request, options) {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.binaryType = 'arraybuffer';
  run(server, options).catch((err) => {
    console.warn(`live session failed: ${err?.message ?? err}`);
    closeQuietly(server, 1011, 'Internal error.');
  });
  return new Response(null, { status: 101, webSocket: client });
}

async function run(client, options) {
  const queued = [];
  let clientClosed = null;
  let upstream = null;
  const first = new Promise((resolve) => {
    client.addEventListener('message', (event) => {
      if (upstream) return upstream.send(event.data);
      if (queued.length === 0) resolve(event.data);
      queued.push(event.data);
    });
    client.addEventListener('close', (event) => {
      clientClosed = event;
      upstream ? closeQuietly(upstream, event.code, event.reason) : resolve(null);
    });
  });
  let timer;
  const setupFrame = await Promise.race([first, new Promise((r) => (timer = setTimeout(r, SETUP_WAIT_MS, undefined)))]);
  clearTimeout(timer);
  if (setupFrame === undefined) return closeQuietly(client, 1008, 'No setup message within 30 s.');
  if (setupFrame === null) return;
  const setup = options.decide.setup(bytesOf(setupFrame));
  if (!setup.ok) return closeQuietly(client, 1007, setup.message);

  const exclude = [];
  let serverFailures = 0;
  for (let attempt = 0; attempt < MAX_ATTEMPTS && !clientClosed; attempt++) {
    const pick = options.pick(setup.model, exclude);
    if (pick.none) return closeQuietly(client, pick.none.code, pick.none.reason);
    const result = await openUpstream(options.upstreamUrl, pick.key, setupFrame);
    if (result.ws) {
      options.report(pick, OK);
      upstream = result.ws;
      return relay(client, upstream, queued.slice(1), result.firstMessage, pick, options, () => clientClosed);
    }
    const verdict = options.decide.close(result.code, result.reason);
    options.report(pick, verdict);
    if (!verdict.retry) return closeQuietly(client, verdict.client_code, verdict.client_reason);
    if (pick.id != null) exclude.push(pick.id);
    if (verdict.backoff && ++serverFailures > MAX_SERVER_FAILURES) {
      return closeQuietly(client, verdict.client_code, verdict.client_reason);
    }
  }
  closeQuietly(client, 1013, 'No key could open a Live session; retry later.');
}

// Opens Google's socket with `key` and sends the setup message. Resolves with the socket once
// Google answers anything, or with the close (or failure) that came first.
async function openUpstream(url, key, setupFrame) {
  let res;
  try {
    res = await fetch(url, { headers: { upgrade: 'websocket', 'x-goog-api-key': key } });
  } catch {
    return { code: 1006, reason: '' };
  }
  const ws = res.webSocket;
  if (!ws) return { code: 1006, reason: `upgrade refused (HTTP ${res.status})` };
  ws.accept();
  ws.binaryType = 'arraybuffer';
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      closeQuietly(ws, 1000, 'setup timed out');
      resolve({ code: 1006, reason: '' });
    }, ATTEMPT_TIMEOUT_MS);
    const settle = (value) => {
      clearTimeout(timer);
      ws.removeEventListener('message', onMessage);
      ws.removeEventListener('close', onClose);
      resolve(value);
    };
    const onMessage = (event) => settle({ ws, firstMessage: event.data });
    const onClose = (event) => settle({ code: event.code, reason: event.reason });
    ws.addEventListener('message', onMessage);
    ws.addEventListener('close', onClose);
    ws.send(setupFrame);
  });
}

// The established session: frames both ways untouched, usage added up from usageMetadata.
function relay(client, upstream, pending, firstMessage, pick, options, clientClosed) {
  const usage = { prompt_tokens: 0, completion_tokens: 0 };
  let recorded = false;
  const finish = () => recorded || ((recorded = true), options.record(pick, usage));
  const fromUpstream = (data) => {
    // Only messages that mention usageMetadata go to the core; the others pass unread.
    const bytes = bytesOf(data);
    const u = decoder.decode(bytes).includes('usageMetadata') ? options.decide.usage(bytes) : null;
    if (u?.found) {
      usage.prompt_tokens += u.prompt_tokens;
      usage.completion_tokens += u.completion_tokens;
    }
    client.send(data);
  };
  upstream.addEventListener('message', (event) => fromUpstream(event.data));
  const end = (code, reason) => (finish(), closeQuietly(client, code, reason));
  upstream.addEventListener('close', (event) => end(event.code, event.reason));
  upstream.addEventListener('error', () => end(1011, 'The Gemini connection failed.'));
  client.addEventListener('close', finish);
  fromUpstream(firstMessage);
  for (const data of pending) upstream.send(data);
  const closed = clientClosed();
  if (closed) closeQuietly(upstream, closed.code, closed.reason);
}
