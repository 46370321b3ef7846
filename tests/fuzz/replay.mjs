// replay.mjs — runs every committed fuzz input (tests/fuzz-corpus/<target>/) through the Wasm
// core the Worker ships, by way of worker-shim/core.mjs, calling the entry points the native
// fuzz target exercises. The native targets run under ASan and UBSan; this checks that the
// artifact built by Emscripten (another compiler, 32-bit, its own libc) never traps or
// refuses the same inputs.
//
//   node --import ./scripts/wasm-loader.mjs tests/fuzz/replay.mjs [target...]
//
// Prints one line per target and exits with 1 if any input failed.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { call, CoreStream, CoreError, OP, openStreams } from '../../worker-shim/core.mjs';
import { ABI_RESET, NOW_MS, TARGETS, abiSteps, decode, text } from './formats.mjs';

const corpusRoot = new URL('../fuzz-corpus/', import.meta.url).pathname;
const KNOWN_OPS = new Set(Object.values(OP));
const CLIENT = { authorization: 'Bearer tok-a', 'content-type': 'application/json' };

function expectPlan(r) {
  if (typeof r.header?.action !== 'string') throw new Error(`a plan without an action: ${JSON.stringify(r.header)}`);
}

function expectJsonBody(r) {
  JSON.parse(text(r.payload));
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// Pushes `chunks` into a fresh stream and returns everything it emitted; always closes.
function streamThrough(header, chunks) {
  const s = new CoreStream(header);
  try {
    const out = chunks.map((c) => s.push(c));
    out.push(s.finish().payload);
    return concat(out);
  } finally {
    s.close();
  }
}

// A JSON text the shim could send as a header: a plain object, or nothing (an empty header).
function headerOf(bytes) {
  if (bytes.length === 0) return { ok: true, header: null };
  try {
    const h = JSON.parse(text(bytes));
    return { ok: h !== null && typeof h === 'object' && !Array.isArray(h), header: h };
  } catch {
    return { ok: false };
  }
}

// A refusal (the core answered with an error status) is an answer; a trap is not.
function refusalOk(fn) {
  try {
    return fn();
  } catch (err) {
    if (err instanceof CoreError && /^core op \d+ failed|refused to open/.test(err.message)) return undefined;
    throw err;
  }
}

function replayAbi(bytes) {
  call(OP.CONFIGURE, ABI_RESET.config);
  call(OP.POOL_LOAD, { seed: 7 }, ABI_RESET.pool);
  const streams = []; // open CoreStreams, in handle order
  const state = { open: 0 };
  try {
    for (const step of abiSteps(bytes, state)) {
      const target = step.handle && step.handle.index !== undefined ? streams[step.handle.index] : undefined;
      if (step.kind === 'call') {
        const h = headerOf(step.header);
        if (h.ok && KNOWN_OPS.has(step.op)) refusalOk(() => call(step.op, h.header, step.payload));
      } else if (step.kind === 'open') {
        const h = headerOf(step.header);
        const s = h.ok ? refusalOk(() => new CoreStream(h.header)) : undefined;
        if (s) streams.push(s);
      } else if (step.kind === 'push' && target) {
        target.push(step.chunk);
      } else if (step.kind === 'finish' && target) {
        target.finish();
      } else if (step.kind === 'close' && target) {
        target.close();
        streams.splice(step.handle.index, 1);
      }
      state.open = streams.length;
    }
  } finally {
    for (const s of streams) s.close();
  }
  if (openStreams() !== 0) throw new Error(`${openStreams()} stream handles left open`);
}

// The media translators through BAL_OP_MEDIA: the calls' sizes must add up, errors are JSON.
function translateMedia(route, contentType, body) {
  const r = call(OP.MEDIA, { action: 'translate', route, content_type: contentType ?? '', now_ms: NOW_MS }, body);
  if (r.header.error) {
    expectJsonBody(r);
    return null;
  }
  const total = r.header.calls.reduce((n, c) => n + c.size, 0);
  if (total !== r.payload.length) throw new Error('call sizes do not add up to the payload');
  return r;
}

const DRIVERS = {
  abi: replayAbi,
  classify({ header, body }) {
    call(OP.CLASSIFY, header, body);
  },
  live({ code, now_ms, reason, message }) {
    const v = call(OP.MEDIA, { action: 'live_close', code, reason, now_ms }).header;
    if (v.client_code === 1005 || v.client_code === 1006) throw new Error('an unsendable close code');
    call(OP.MEDIA, { action: 'live_setup' }, message);
    call(OP.MEDIA, { action: 'live_usage' }, message);
    call(OP.MEDIA, { action: 'live_path', path: reason });
  },
  media_answer({ request, body }) {
    const t = translateMedia(request.route, request.contentType, request.body);
    if (!t) throw new Error('a fixed request was refused');
    const req = new TextEncoder().encode(request.body);
    const sizes = [req.length, ...t.header.calls.map(() => body.length)];
    const r = call(OP.MEDIA, { action: 'answer', route: request.route, content_type: request.contentType ?? '', now_ms: NOW_MS, sizes }, concat([req, ...t.header.calls.map(() => body)]));
    if (r.header.status !== 200) expectJsonBody(r);
  },
  media_request({ route, body }) {
    translateMedia(route, '', body);
  },
  media_url({ end, status, kind, url, contentType, bytes }) {
    call(OP.MEDIA, { action: 'url_check', url, param: 'u' });
    const r = call(OP.MEDIA, { action: 'url_inline', url, param: 'u', kind, end, status, content_type: contentType, redirect_to: contentType }, bytes);
    expectJsonBody(r);
  },
  multipart({ route, contentType, body }) {
    translateMedia(route, contentType, body);
  },
  keys({ text: t }) {
    call(OP.PARSE_KEYS, {}, t);
    call(OP.REDACT, {}, t);
    call(OP.MASK, { keys: [text(t)] });
  },
  openai_request({ body }) {
    call(OP.CONFIGURE, { auth_tokens: 'tok-a' });
    for (const path of ['/v1/chat/completions', '/v1/embeddings']) {
      expectPlan(call(OP.ROUTE, { method: 'POST', path, headers: CLIENT, body_included: true, now_ms: NOW_MS }, body));
    }
  },
  openai_response({ header, body }) {
    const r = call(OP.TRANSLATE, header, body);
    if (r.header.action !== 'respond') throw new Error(`translate answered ${JSON.stringify(r.header)}`);
    expectJsonBody(r);
  },
  openai_stream({ header, chunks }) {
    const chunked = streamThrough(header, chunks);
    const whole = streamThrough(header, [concat(chunks)]);
    if (Buffer.compare(chunked, whole) !== 0) throw new Error('the output depends on where the input was cut');
  },
  path({ text: t }) {
    call(OP.CONFIGURE, { auth_tokens: 'tok-a' });
    const s = text(t);
    expectPlan(call(OP.ROUTE, { method: 'GET', path: s, query: s, headers: CLIENT, now_ms: NOW_MS }));
  },
  rawjson({ text: t }) {
    for (const status of [200, 400]) call(OP.TRANSLATE, { kind: 'chat', status, now_ms: NOW_MS }, t);
    call(OP.CLASSIFY, { status: 400, now_ms: NOW_MS }, t);
  },
  router({ config, header, body }) {
    call(OP.CONFIGURE, config);
    expectPlan(call(OP.ROUTE, header, body));
  },
  usage({ text: t }) {
    call(OP.USAGE, { sse: true }, t);
    call(OP.USAGE, { sse: false }, t);
  },
};

export function replayTarget(target) {
  const dir = join(corpusRoot, target);
  const names = existsSync(dir) ? readdirSync(dir).sort() : [];
  const failures = [];
  for (const name of names) {
    const bytes = new Uint8Array(readFileSync(join(dir, name)));
    try {
      DRIVERS[target](target === 'abi' ? bytes : decode(target, bytes));
    } catch (err) {
      failures.push(`${target}/${name}: ${err?.message ?? err}`);
    }
  }
  return { inputs: names.length, failures };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const targets = process.argv.length > 2 ? process.argv.slice(2) : TARGETS;
  let failed = 0;
  for (const t of targets) {
    const started = Date.now();
    const r = replayTarget(t);
    failed += r.failures.length;
    console.log(`${t}: ${r.inputs} inputs, ${r.failures.length} failed (${Date.now() - started} ms)`);
    for (const f of r.failures.slice(0, 20)) console.log(`  ${f}`);
  }
  process.exit(failed ? 1 : 0);
}
