// live.mjs — the Live API's WebSockets: sockets and bytes only. Which key, what a close means
// for it, whether to try again, what each side is closed with and what a session costs are the
// core's (cpp/src/request/live.cpp), reached through the request's actions:
//
//   ACCEPT  answer 101, hold the client's first message (FEED BODY) and the ones after it
//   SOCKET  a task: open Google's socket with a key, send the first message, FEED whether it
//           answered (SOCKET_OPEN) or closed first (SOCKET_CLOSED)
//   RELAY   pass frames both ways untouched; usage goes to the core (CHUNK), the end too (END)
//   CLOSE   close the client (and any upstream socket) as the core says
import { ABI } from './core.mjs';
import { headersOf } from './stream.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytesOf = (data) => (typeof data === 'string' ? encoder.encode(data) : new Uint8Array(data));
const mentionsUsage = (data) => (typeof data === 'string' ? data : decoder.decode(data)).includes('usageMetadata');

function closeQuietly(ws, code, reason) {
  try {
    ws.close(code, reason ?? '');
  } catch {
    // already closed, or a code this side may not send: nothing more to do
  }
}

// The upstream sockets of one session, by task slot.
class Upstreams {
  constructor(first) {
    this.first = first; // the client's first message, as it came
    this.open = new Map(); // slot -> { ws, message }
    this.all = new Set();
    this.done = false; // the session is over: a socket that opens late is closed at once
  }

  // Carries out a SOCKET task; resolves with the event to feed.
  async start(task) {
    const E = ABI.event;
    const closed = (STATUS, TEXT, REASON) => ({ KIND: E.SOCKET_CLOSED, SLOT: task.SLOT, STATUS, TEXT, REASON });
    let res;
    try {
      res = await fetch(task.URL, { headers: [...headersOf(task.HEADERS), ['upgrade', 'websocket']] });
    } catch {
      return closed(1006, '', ABI.reason.NETWORK);
    }
    const ws = res.webSocket;
    if (!ws) return closed(1006, '', ABI.reason.NETWORK);
    ws.accept();
    ws.binaryType = 'arraybuffer';
    if (this.done) {
      closeQuietly(ws, 1000, '');
      return closed(1006, '', ABI.reason.NETWORK);
    }
    this.all.add(ws);
    return new Promise((resolve) => {
      const settle = (event) => {
        clearTimeout(timer);
        ws.removeEventListener('message', onMessage);
        ws.removeEventListener('close', onClose);
        ws.removeEventListener('error', onError);
        resolve(event);
      };
      const onMessage = (e) => {
        this.open.set(task.SLOT, { ws, message: e.data });
        settle({ KIND: E.SOCKET_OPEN, SLOT: task.SLOT });
      };
      const onClose = (e) => settle(closed(e.code, e.reason));
      const onError = () => settle(closed(1006, '', ABI.reason.NETWORK));
      const timer = setTimeout(() => {
        closeQuietly(ws, 1000, 'setup timed out');
        settle(closed(1006, '', ABI.reason.TIMEOUT));
      }, task.TIMEOUT_MS);
      ws.addEventListener('message', onMessage);
      ws.addEventListener('close', onClose);
      ws.addEventListener('error', onError);
      ws.send(this.first);
    });
  }

  closeAll(except) {
    this.done = true;
    for (const ws of this.all) if (ws !== except) closeQuietly(ws, 1000, '');
  }
}

// RELAY: frames both ways untouched until either side closes; the core says how the other
// side is closed and counts the usage it was shown.
function relay(req, client, upstream, held, done) {
  const { ws, message } = upstream;
  let ended = false;
  const end = (reason, code, text, closer, other) => {
    if (ended) return;
    ended = true;
    const out = req.endSession(reason, code, text);
    closeQuietly(other, out.STATUS, out.TEXT);
    closeQuietly(closer, 1000, ''); // the closing side's close answered
    done(out.FLAGS ?? 0);
  };
  const fromUpstream = (data) => {
    if (!ended && mentionsUsage(data)) req.chunk(bytesOf(data));
    client.send(data);
  };
  ws.addEventListener('message', (e) => fromUpstream(e.data));
  ws.addEventListener('close', (e) => end(0, e.code, e.reason, ws, client));
  ws.addEventListener('error', () => end(ABI.reason.NETWORK, 1006, '', ws, client));
  client.addEventListener('message', (e) => ended || ws.send(e.data));
  client.addEventListener('close', (e) => end(ABI.reason.ABORTED, e.code, e.reason, client, ws));
  client.addEventListener('error', () => end(ABI.reason.ABORTED, 1006, '', client, ws));
  fromUpstream(message);
  for (const data of held) ws.send(data);
}

// The session after ACCEPT: the first message, the attempts, then RELAY or CLOSE.
async function session(req, act, client, tasks, hooks) {
  const A = ABI.action;
  const E = ABI.event;
  const held = [];
  let gone;
  const clientGone = new Promise((resolve) => (gone = resolve));
  let firstArrived;
  const first = new Promise((resolve) => (firstArrived = resolve));
  const onMessage = (e) => {
    held.push(e.data);
    if (held.length === 1) firstArrived({ KIND: E.BODY, BODY: bytesOf(e.data) });
  };
  const onClose = (e) => gone({ KIND: E.CLIENT_CLOSED, STATUS: e.code, TEXT: e.reason });
  client.addEventListener('message', onMessage);
  client.addEventListener('close', onClose);
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, act.TIMEOUT_MS, { KIND: E.BODY_FAILED, REASON: ABI.reason.TIMEOUT });
  });
  const event = await Promise.race([first, clientGone, late]);
  clearTimeout(timer);
  const upstreams = new Upstreams(held[0]);
  tasks.handlers[ABI.task.SOCKET] = (task) => upstreams.start(task);
  act = req.feed({ ...event, NOW: Date.now() });
  for (;;) {
    if (act.LOG) console.warn(act.LOG);
    if (act.KIND === A.TASKS) {
      for (const task of act.TASK ?? []) tasks.start(task);
      const event = await Promise.race([tasks.next(), clientGone]);
      event.NOW = Date.now();
      act = req.feed(event);
    } else if (act.KIND === A.RELAY) {
      hooks.done(act.FLAGS ?? 0);
      const upstream = upstreams.open.get(act.SLOT);
      upstreams.closeAll(upstream.ws);
      client.removeEventListener('message', onMessage);
      client.removeEventListener('close', onClose);
      return relay(req, client, upstream, held.slice(1), hooks.done);
    } else if (act.KIND === A.CLOSE) {
      hooks.done(act.FLAGS ?? 0);
      upstreams.closeAll();
      return closeQuietly(client, act.STATUS, act.TEXT);
    } else {
      throw new Error(`unknown session action ${act.KIND}`);
    }
  }
}

// ACCEPT: the 101 answer now; the session goes on in the background until it closes.
// `hooks`: { done(flags) } (housekeeping after the core).
export function acceptSession(req, act, tasks, hooks) {
  const [client, server] = Object.values(new WebSocketPair());
  server.accept();
  server.binaryType = 'arraybuffer';
  session(req, act, server, tasks, hooks).catch((err) => {
    console.warn(`live session failed: ${err?.message ?? err}`);
    req.close();
    closeQuietly(server, 1011, 'Internal error.');
  });
  return new Response(null, { status: 101, webSocket: client });
}
