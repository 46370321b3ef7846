// stream.mjs — moving bodies: the client's request body (bounded in size and time), an
// upstream answer read whole (bounded), and an upstream answer streamed to the client,
// through the core's translator or untouched.
import { ABI } from './core.mjs';

// Past this a refused body is cancelled rather than drained: a huge unauthenticated upload is
// not worth reading (workerd resets a kept-alive connection whose body was left unread).
const DISCARD_LIMIT = 1024 * 1024;
// Bytes an untouched answer keeps for the core (usage, what it created, whether it ended).
const TAIL_BYTES = 16 * 1024;
// A body the core holds leaves in slices of this size, as fetch() pulls them.
const SLICE = 64 * 1024;
// A body going to the core up to this declared size is read whole, then passed in at once.
const WHOLE_LIMIT = 256 * 1024;

// [name, value] pairs from "name\nvalue\n" pairs (a HEADERS field), for a Response or a fetch.
export function headersOf(text) {
  const lines = text.split('\n');
  const out = [];
  for (let i = 0; i + 1 < lines.length; i += 2) out.push([lines[i], lines[i + 1]]);
  return out;
}

// Reads and drops at most `limit` bytes for at most `timeoutMs`, then cancels the rest.
async function discard(reader, limit, timeoutMs) {
  let timer;
  const late = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ late: true }), timeoutMs);
  });
  let size = 0;
  try {
    while (size <= limit) {
      const chunk = await Promise.race([reader.read(), late]);
      if (chunk.done) return;
      if (chunk.late) break;
      size += chunk.value.length;
    }
    await reader.cancel();
  } catch {
    // the client went away: nothing to keep usable
  } finally {
    clearTimeout(timer);
  }
}

// Reads and drops a body the core did not need, so workerd keeps the connection usable.
export async function discardBody(request, timeoutMs) {
  if (request.body && !request.body.locked) await discard(request.body.getReader(), DISCARD_LIMIT, timeoutMs);
}

// The chunks as one array, cut at `size` bytes (all of them by default).
export function joined(parts, size = parts.reduce((n, p) => n + p.byteLength, 0)) {
  const out = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    out.set(p.subarray(0, size - at), at);
    at += Math.min(p.length, size - at);
  }
  return out;
}

// The request body, at most `max` bytes within `timeoutMs`: { bytes } or { reason }. With
// `into`, each chunk goes to into(chunk) as it comes instead of being kept: { size }.
export async function readBody(request, max, timeoutMs, into = null) {
  const R = ABI.reason;
  const length = request.headers.get('content-length');
  const declared = length === null ? NaN : Number(length);
  if (!request.body) return into ? { size: 0 } : { bytes: new Uint8Array(0) };
  if (declared > max) {
    await discard(request.body.getReader(), DISCARD_LIMIT, timeoutMs);
    return { reason: R.TOO_LARGE };
  }
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => resolve({ late: true }), timeoutMs);
  });
  if (Number.isFinite(declared) && (!into || declared <= WHOLE_LIMIT)) {
    // A declared length within the limit (and small, when it goes to the core): read it
    // whole, one promise rather than one per chunk.
    try {
      const got = await Promise.race([request.arrayBuffer(), deadline]);
      if (got.late) return { reason: R.TIMEOUT };
      if (got.byteLength > max) return { reason: R.TOO_LARGE };
      if (!into) return { bytes: new Uint8Array(got) };
      into(new Uint8Array(got));
      return { size: got.byteLength };
    } catch {
      return { reason: R.UNREADABLE };
    } finally {
      clearTimeout(timer);
    }
  }
  const reader = request.body.getReader();
  const parts = [];
  let size = 0;
  try {
    for (;;) {
      const chunk = await Promise.race([reader.read(), deadline]).catch(() => ({ broken: true }));
      if (chunk.broken) return { reason: R.UNREADABLE };
      if (chunk.late) {
        reader.cancel().catch(() => {});
        return { reason: R.TIMEOUT };
      }
      if (chunk.done) break;
      size += chunk.value.length;
      if (size > max) {
        await discard(reader, DISCARD_LIMIT, timeoutMs);
        return { reason: R.TOO_LARGE };
      }
      if (into) into(chunk.value);
      else parts.push(chunk.value);
    }
  } finally {
    clearTimeout(timer);
  }
  return into ? { size } : { bytes: joined(parts, size) };
}

// A FETCH task's body: its copy, or a stream of slices copied out of the request as fetch()
// pulls them (so a retry on another key reads the same bytes), of known length:
// FixedLengthStream where the runtime has one, else the task's content-length header.
export function fetchBody(req, task) {
  if (task.BODY) return task.BODY;
  const { length } = task.BODY_REF;
  let sent = 0;
  const pull = (c) => {
    const n = Math.min(SLICE, length - sent);
    c.enqueue(req.slice(task.BODY_REF, sent, n)); // throws (errors the stream) once the request is over
    sent += n;
    if (sent === length) c.close();
  };
  const body = new ReadableStream({ pull }, { highWaterMark: 0 });
  if (typeof FixedLengthStream !== 'function') return body;
  const fixed = new FixedLengthStream(length);
  body.pipeTo(fixed.writable).catch(() => {});
  return fixed.readable;
}

// An upstream answer read whole, at most `limit` bytes: { bytes, reason? }.
export async function readLimited(res, limit) {
  if (!res.body) return { bytes: new Uint8Array(0) };
  const length = res.headers.get('content-length');
  if (length !== null && Number(length) <= limit) {
    // A declared length within the limit: read it whole (one promise, not one per chunk).
    try {
      return { bytes: new Uint8Array(await res.arrayBuffer()) };
    } catch {
      return { bytes: new Uint8Array(0), reason: ABI.reason.NETWORK };
    }
  }
  const reader = res.body.getReader();
  const parts = [];
  let size = 0;
  try {
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) return { bytes: joined(parts, size) };
      parts.push(value);
      size += value.length;
    }
    reader.cancel().catch(() => {});
    return { bytes: joined(parts, Math.min(size, limit)) };
  } catch {
    return { bytes: joined(parts, size), reason: ABI.reason.NETWORK };
  }
}

// The last TAIL_BYTES of what passed, from the chunks kept (newest last).
function tailOf(kept, size) {
  return joined(kept, size).subarray(Math.max(0, size - TAIL_BYTES));
}

// The client's body for a STREAM action: a stream that, each time the client side wants
// more, reads one upstream chunk and passes it on (through the core's translator in mode 1,
// untouched in mode 2), with one idle timer per stream. When the upstream ends or breaks, the
// core says what closes the answer (END), and which key pool calls must be made first
// (`hooks.call(task)`: a stored response is saved before the client sees it complete);
// `hooks.done(flags)` passes on what the core asks for afterwards.
export function streamAnswer(req, act, res, controller, hooks) {
  const R = ABI.reason;
  const translate = act.MODE === 1;
  const reader = res.body?.getReader() ?? null;
  let kept = [];
  let keptSize = 0;
  let last = Date.now();
  let stalled = false;
  let ended = false;
  let timer;
  const finish = (reason) => {
    if (ended) return null;
    ended = true;
    clearTimeout(timer);
    const out = req.end(reason, translate ? null : tailOf(kept, keptSize));
    hooks.done(out.FLAGS ?? 0);
    return out;
  };
  // The upstream ended (reason 0) or broke: the core's closing bytes, then the end.
  const close = async (c, reason) => {
    const out = finish(reason);
    if (!out) return;
    if (reason === 0) for (const task of out.TASK ?? []) await hooks.call(task);
    if (out.BODY?.length) c.enqueue(out.BODY);
    if (out.OK) c.close();
    else c.error(new Error('upstream answer cut short'));
  };
  let client; // the stream's controller, for keep-alives between chunks
  const body = new ReadableStream(
    {
      start(c) {
        client = c;
      },
      // Reads until there is something to pass on (a translated chunk can be empty: the
      // stream asks again only after something was enqueued).
      async pull(c) {
        if (!reader) return close(c, 0);
        for (;;) {
          let chunk;
          try {
            chunk = await reader.read();
          } catch {
            return close(c, stalled ? R.TIMEOUT : R.NETWORK);
          }
          if (ended) return; // the client went away meanwhile
          if (chunk.done) return close(c, 0);
          last = Date.now();
          if (translate) {
            const out = req.chunk(chunk.value);
            if (!out.length) continue;
            c.enqueue(out);
            return;
          }
          kept.push(chunk.value);
          keptSize += chunk.value.length;
          // Keep only what the tail needs: drop whole old chunks.
          while (kept.length > 1 && keptSize - kept[0].length >= TAIL_BYTES) keptSize -= kept.shift().length;
          c.enqueue(chunk.value);
          return;
        }
      },
      // The client went away: the end is recorded as such, and the upstream call dropped.
      cancel() {
        finish(R.ABORTED);
        reader?.cancel().catch(() => {});
      },
    },
    { highWaterMark: 0 },
  );
  // One timer per stream: it wakes when the upstream may have gone quiet too long (cut it
  // off) or for a keep-alive (PING_MS), and otherwise sleeps until the next such moment.
  let pinged = 0;
  const ping = act.PING_MS ?? 0;
  const watch = () => {
    const now = Date.now();
    const quiet = now - last;
    if (quiet >= act.IDLE_MS) {
      stalled = true;
      controller?.abort(new Error('upstream stalled'));
      return;
    }
    if (ping && !ended && now - Math.max(last, pinged) >= ping) {
      pinged = now;
      try {
        const out = req.tick();
        if (out.length) client.enqueue(out);
      } catch {
        // the stream ended meanwhile
      }
    }
    const nextPing = ping ? Math.max(last, pinged) + ping - now : Infinity;
    timer = setTimeout(watch, Math.max(1, Math.min(act.IDLE_MS - quiet, nextPing)));
  };
  timer = setTimeout(watch, ping ? Math.min(ping, act.IDLE_MS) : act.IDLE_MS);
  return body;
}
