// Byte-level output: SSE framing as the service does it (CRLF, no [DONE]), and a writer that
// cuts a stream into arbitrary chunks — mid UTF-8 character, between CR and LF, inside the
// JSON — with a seeded PRNG so that a failing split can be replayed from its seed.

/** mulberry32: tiny, fast, good enough to pick chunk sizes reproducibly. */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const sseFrame = (object) => Buffer.from(`data: ${JSON.stringify(object)}\r\n\r\n`, 'utf8');

export const CHUNKING_MODES = ['random', 'byte', 'whole'];

/**
 * Splits `buffer` for writing. 'whole' keeps it as is; 'byte' makes one chunk per byte;
 * 'random' mixes many tiny chunks (to hit every boundary) with some larger ones.
 */
export function splitBytes(buffer, chunking, rand) {
  if (chunking === 'whole') return [buffer];
  const chunks = [];
  for (let offset = 0; offset < buffer.length; ) {
    const size = chunking === 'byte' ? 1 : randomSize(rand);
    chunks.push(buffer.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

function randomSize(rand) {
  const r = rand();
  if (r < 0.5) return 1 + Math.floor(rand() * 4);
  if (r < 0.9) return 1 + Math.floor(rand() * 24);
  return 1 + Math.floor(rand() * 200);
}

/**
 * Timers the mock may wait on. Every wait is registered so that close() can cancel it and
 * let the waiting handler run to its end at once: nothing outlives the server.
 */
export class Waits {
  #pending = new Set();
  #closed = false;

  get closed() {
    return this.#closed;
  }

  /** Waits `ms` (0 = one turn of the event loop via setImmediate), capped by the caller. */
  pause(ms) {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { resolve, cancel: null };
      const done = () => {
        this.#pending.delete(entry);
        resolve();
      };
      if (ms > 0) {
        const handle = setTimeout(done, ms);
        entry.cancel = () => clearTimeout(handle);
      } else {
        const handle = setImmediate(done);
        entry.cancel = () => clearImmediate(handle);
      }
      this.#pending.add(entry);
    });
  }

  closeAll() {
    this.#closed = true;
    for (const entry of this.#pending) {
      entry.cancel();
      entry.resolve();
    }
    this.#pending.clear();
  }
}

const gone = (res) => res.destroyed || res.socket?.destroyed;

/** Writes one chunk, honouring backpressure; resolves early if the peer goes away. */
function writeChunk(res, chunk) {
  if (gone(res) || res.write(chunk)) return Promise.resolve();
  return new Promise((resolve) => {
    const finish = () => {
      res.off('drain', finish);
      res.off('close', finish);
      resolve();
    };
    res.on('drain', finish);
    res.on('close', finish);
  });
}

/**
 * Streams SSE events. Options: chunking, rand, delayMs (between writes), waits (a Waits),
 * disconnectAfter (destroy the socket after that many complete events — and half of the
 * next one, so a proxy that forwards a partial event is caught).
 */
export async function writeEventStream(res, events, options) {
  const { chunking, rand, delayMs, waits, disconnectAfter } = options;
  let frames = events.map(sseFrame);
  let tail = null;
  if (Number.isInteger(disconnectAfter) && disconnectAfter < frames.length) {
    const next = frames[disconnectAfter];
    tail = next.subarray(0, Math.floor(next.length / 2));
    frames = frames.slice(0, disconnectAfter);
  }
  const pieces = tail ? [...frames, tail] : frames;
  const chunks = chunking === 'whole' ? pieces : splitBytes(Buffer.concat(pieces), chunking, rand);
  for (const chunk of chunks) {
    if (gone(res) || waits.closed) return;
    await writeChunk(res, chunk);
    await waits.pause(delayMs);
  }
  if (tail) res.socket?.destroy();
  else if (!gone(res)) res.end();
}

/** Writes a whole body; `disconnect` sends half of it and then drops the connection. */
export function writeBody(res, body, disconnect) {
  if (!disconnect) {
    res.end(body);
    return;
  }
  res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket?.destroy());
}
