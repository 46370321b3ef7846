// index.mjs — the Worker: bytes in, bytes out. The core (core.wasm, via core.mjs) decides what
// every request means and what happens next (cpp/include/balancer/machine.h); this file only
// carries out its actions: read the body, start tasks (fetch Gemini, wait, call the key pool,
// fetch a media URL), read an answer, answer, or stream an answer through the core.
import { ABI, CoreRequest, redact, tables } from './core.mjs';
import { configure } from './configure.mjs';
import { callPool, housekeeping, refreshPool } from './pool-client.mjs';
import { acceptSession } from './live.mjs';
import { fetchMedia } from './media-fetch.mjs';
import { discardBody, fetchBody, headersOf, readBody, readLimited, streamAnswer } from './stream.mjs';

export { KeyPool } from './key-pool.mjs';

// "name\nvalue\n" pairs of the headers in `names` that `headers` has.
function pairs(headers, names) {
  let out = '';
  for (const name of names) {
    const v = headers.get(name);
    if (v !== null) out += `${name}\n${v}\n`;
  }
  return out;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// One request's tasks in flight: slot -> promise of the event that ends it.
class Tasks {
  constructor(env, req) {
    this.env = env;
    this.req = req;
    this.handlers = {}; // kind -> (task) => promise of the event: tasks a session adds (live.mjs)
    this.pending = new Map();
    this.responses = new Map(); // slot -> upstream Response
    this.controllers = new Map(); // slot -> AbortController of its fetch
  }

  start(task, clientBody) {
    const { SLOT: slot } = task;
    const E = ABI.event;
    let promise;
    switch (task.KIND) {
      case ABI.task.FETCH:
        promise = this.fetch(task, clientBody);
        break;
      case ABI.task.WAIT:
        promise = sleep(task.MS).then(() => ({ KIND: E.WAITED, SLOT: slot }));
        break;
      case ABI.task.CALL:
        promise = callPool(this.env, task).then((r) => ({ KIND: E.CALLED, SLOT: slot, ...r }));
        break;
      case ABI.task.POOL:
        promise = refreshPool(this.env, task.FLAGS ?? 0, task.KEY_ID ?? 0).then(
          () => ({ KIND: E.POOL_READY, SLOT: slot, OK: 1 }),
          (err) => {
            console.warn(`pool refresh failed: ${redact(err?.message ?? err)}`);
            return { KIND: E.POOL_READY, SLOT: slot, OK: 0 };
          },
        );
        break;
      case ABI.task.MEDIA: {
        const controller = new AbortController();
        this.controllers.set(slot, controller);
        promise = fetchMedia(task, controller).then((r) => ({ KIND: E.MEDIA_DONE, SLOT: slot, ...r }));
        break;
      }
      default:
        if (!this.handlers[task.KIND]) throw new Error(`unknown task ${task.KIND}`);
        promise = this.handlers[task.KIND](task);
    }
    this.pending.set(slot, promise.then((event) => [slot, event]));
  }

  // Calls Gemini. Redirects are never followed: the key's header would travel with them.
  async fetch(task, clientBody) {
    const E = ABI.event;
    const controller = new AbortController();
    this.controllers.set(task.SLOT, controller);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new Error('upstream timeout'));
    }, task.TIMEOUT_MS);
    const init = { method: task.METHOD, headers: headersOf(task.HEADERS), redirect: 'manual', signal: controller.signal };
    if (task.CLIENT_BODY) init.body = clientBody;
    else if (task.BODY_REF) Object.assign(init, { body: fetchBody(this.req, task), duplex: 'half' });
    try {
      const res = await fetch(task.URL, init);
      this.responses.set(task.SLOT, res);
      return { KIND: E.UPSTREAM_HEAD, SLOT: task.SLOT, STATUS: res.status, HEADERS: pairs(res.headers, ABI.upstream_header) };
    } catch (err) {
      console.warn(`upstream call failed: ${redact(err?.message ?? err)}`);
      return { KIND: E.UPSTREAM_FAILED, SLOT: task.SLOT, REASON: timedOut ? ABI.reason.TIMEOUT : ABI.reason.NETWORK };
    } finally {
      clearTimeout(timer);
    }
  }

  async next() {
    const [slot, event] = await Promise.race(this.pending.values());
    this.pending.delete(slot);
    return event;
  }

  // A fetch whose answer was read whole needs nothing more.
  settled(slot) {
    this.responses.delete(slot);
    this.controllers.delete(slot);
  }

  // The request is answered: whatever is still in flight is not needed.
  abandon(except) {
    for (const [slot, controller] of this.controllers) if (slot !== except) controller.abort(new Error('not needed'));
    for (const [slot, res] of this.responses) if (slot !== except) res.body?.cancel().catch(() => {});
  }
}

async function drive(req, request, env, ctx) {
  const tasks = new Tasks(env, req);
  const A = ABI.action;
  const E = ABI.event;
  let act = req.action;
  let clientBody = null; // the client's body as read here (the core reads what it inspects)
  let bodyRead = false;
  let lastRead = null; // the upstream body last fed, which RESPOND may send as it came
  for (;;) {
    if (act.LOG) console.warn(act.LOG);
    switch (act.KIND) {
      case A.RESPOND: {
        housekeeping(act.FLAGS ?? 0, env, ctx);
        tasks.abandon();
        if (!bodyRead) await discardBody(request, act.TIMEOUT_MS);
        const status = act.STATUS;
        const body = act.FLAGS & ABI.flag.BODY_AS_READ ? lastRead : act.BODY;
        return new Response(status === 204 || status === 205 || status === 304 ? null : body, { status, headers: headersOf(act.HEADERS) });
      }
      case A.READ_BODY: {
        const into = (act.FLAGS ?? 0) & ABI.flag.INSPECT ? (chunk) => req.bodyChunk(chunk) : null;
        const read = await readBody(request, act.MAX_BYTES, act.TIMEOUT_MS, into);
        bodyRead = true;
        clientBody = read.bytes ?? null;
        const now = Date.now();
        if (read.reason) act = req.feed({ KIND: E.BODY_FAILED, REASON: read.reason, NOW: now });
        else act = req.feed({ KIND: E.BODY, SIZE: read.size ?? read.bytes.length, NOW: now });
        break;
      }
      case A.TASKS: {
        for (const task of act.TASK ?? []) tasks.start(task, clientBody);
        const event = await tasks.next();
        event.NOW = Date.now();
        act = req.feed(event);
        break;
      }
      case A.READ_UPSTREAM: {
        const res = tasks.responses.get(act.SLOT);
        const read = await readLimited(res, act.MAX_BYTES);
        tasks.settled(act.SLOT);
        lastRead = read.bytes;
        act = req.feed({ KIND: E.UPSTREAM_BODY, SLOT: act.SLOT, BODY: read.bytes, REASON: read.reason, NOW: Date.now() });
        break;
      }
      case A.ACCEPT:
        return acceptSession(req, act, tasks, { done: (flags) => housekeeping(flags, env, ctx) });
      case A.STREAM: {
        housekeeping(act.FLAGS ?? 0, env, ctx);
        tasks.abandon(act.SLOT);
        const res = tasks.responses.get(act.SLOT);
        const body = streamAnswer(req, act, res, tasks.controllers.get(act.SLOT), {
          done: (flags) => housekeeping(flags, env, ctx),
          call: (task) => callPool(env, task),
        });
        return new Response(body, { status: act.STATUS, headers: headersOf(act.HEADERS) });
      }
      default:
        throw new Error(`unknown action ${act.KIND}`);
    }
  }
}

async function handle(request, env, ctx) {
  tables();
  configure(env);
  const url = new URL(request.url);
  const req = new CoreRequest({
    METHOD: request.method,
    PATH: url.pathname,
    QUERY: url.search.slice(1),
    HEADERS: pairs(request.headers, ABI.header),
    ORIGIN: url.origin,
    NOW: Date.now(),
    RANDOM: crypto.randomUUID().replaceAll('-', ''),
  });
  let streaming = false;
  try {
    const res = await drive(req, request, env, ctx);
    streaming = req.handle !== 0;
    return res;
  } finally {
    if (!streaming) req.close();
  }
}

export default {
  async fetch(request, env, ctx) {
    try {
      return await handle(request, env, ctx);
    } catch (err) {
      // Messages can quote upstream text: redact before logging.
      let safe = String(err?.stack ?? err);
      try {
        safe = redact(safe);
      } catch {
        safe = safe.replace(/AIza[0-9A-Za-z_-]{10,}/g, 'AIza…[redacted]');
      }
      console.error(`internal error: ${safe}`);
      return new Response('{"error":{"message":"Internal error.","code":"internal"}}', {
        status: 500,
        headers: { 'content-type': 'application/json; charset=utf-8' },
      });
    }
  },
};
