// The media translators' cost on core.wasm, called as the Worker calls the request machine
// (worker-shim/core.mjs): a 10 MB audio upload for transcription and a 4 MB image edit (the
// multipart body fed in, the FETCH task's Gemini body with the bytes as base64 out), and a
// speech answer (Gemini's base64 PCM fed in, the WAV bytes answered), each against V8 doing
// the least a JavaScript translator must: JSON.stringify of the body holding the base64
// (uploads), JSON.parse and a base64 decode (speech). The Wasm figures include the copies
// into and out of Wasm memory and the request's other steps (OPEN, CLOSE).
//
//   node --import ./scripts/wasm-loader.mjs scripts/bench/media.mjs        prints a table
//   ... --json                                                            prints JSON
// Peak memory: each upload once more in a fresh process (so that no earlier row's memory is
// reused), the core's Wasm memory measured before and after (it never shrinks), plus what
// JavaScript holds meanwhile: the body as read and the Gemini body handed to fetch().
import { execFileSync } from 'node:child_process';
import { ABI, CoreRequest, call, tables } from '../../worker-shim/core.mjs';

const MB = 1024 * 1024;

// The best of `rounds` runs, in ms: on a shared machine the fastest run is the one least
// disturbed by others, for both sides of a comparison alike.
function best(fn, rounds) {
  fn();
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

function form(boundary, parts) {
  const chunks = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if (p.filename) head += `; filename="${p.filename}"\r\nContent-Type: ${p.type}`;
    chunks.push(Buffer.from(`${head}\r\n\r\n`), Buffer.from(p.data), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return new Uint8Array(Buffer.concat(chunks));
}

function noise(size, head) {
  const b = Buffer.alloc(size);
  let x = 0x2545f491;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  head.copy(b, 0);
  return b;
}

const NOW = 1764000000000;
const POOL = 'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n';

function setUp() {
  tables();
  call('CONFIGURE', { BODY: JSON.stringify({ AUTH_TOKENS: 'bench' }) });
  call('POOL_LOAD', { NOW, SEED: 1, BODY: POOL });
}

function open(path, type) {
  const headers = `authorization\nBearer bench\ncontent-type\n${type}\n`;
  return new CoreRequest({ METHOD: 'POST', PATH: path, QUERY: '', HEADERS: headers, ORIGIN: 'https://bench.example', NOW, RANDOM: '0'.repeat(32) });
}

// The body fed to a new request: the Gemini body its FETCH task carries.
function translateThrough(path, type, body) {
  const req = open(path, type);
  try {
    const a = req.feed({ KIND: ABI.event.BODY, BODY: body, NOW });
    const fetch = (a.TASK ?? []).find((t) => t.KIND === ABI.task.FETCH);
    if (!fetch) throw new Error(`no upstream call: ${new TextDecoder().decode(a.BODY ?? new Uint8Array(0)).slice(0, 200)}`);
    return fetch.BODY;
  } finally {
    req.close();
  }
}

const FORM = 'multipart/form-data; boundary=bench-boundary';

// The core's memory grown by one upload, in this (fresh) process: { wasm, gemini } bytes.
function grownBy(path, body) {
  const Instance = WebAssembly.Instance;
  let instance;
  WebAssembly.Instance = function (module, imports) {
    instance = new Instance(module, imports);
    return instance;
  };
  setUp();
  const before = instance.exports.memory.buffer.byteLength;
  const gemini = translateThrough(path, FORM, body).length;
  return { wasm: instance.exports.memory.buffer.byteLength - before, gemini };
}

function measuredMemory(which, body) {
  const out = execFileSync(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/media.mjs', '--memory', which], {
    cwd: new URL('../..', import.meta.url).pathname,
  });
  const { wasm, gemini } = JSON.parse(out.toString());
  return { wasm, js: body.length + gemini, peak: wasm + body.length + gemini };
}

function upload(name, which, path, body, fileBytes, mime, rounds) {
  const translate = () => translateThrough(path, FORM, body);
  const geminiBytes = translate().length;
  const base64 = Buffer.from(fileBytes).toString('base64');
  const baseline = () => JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }, { inlineData: { mimeType: mime, data: base64 } }] }] });
  const ms = best(translate, rounds);
  const base = best(baseline, rounds);
  const memory = measuredMemory(which, body);
  return { name, bytes: body.length, gemini_bytes: geminiBytes, ms, baseline_ms: base, ratio: ms / base, memory };
}

function speech(rounds) {
  const pcm = noise(2 * MB, Buffer.alloc(0));
  const answer = Buffer.from(
    JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ inlineData: { mimeType: 'audio/L16;codec=pcm;rate=24000', data: pcm.toString('base64') } }] }, finishReason: 'STOP' }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 1100, totalTokenCount: 1105 },
    }),
  );
  const request = new Uint8Array(Buffer.from('{"model":"tts-1","input":"Hello","voice":"alloy"}'));
  const E = ABI.event;
  const run = () => {
    const req = open('/v1/audio/speech', 'application/json');
    try {
      const slot = req.feed({ KIND: E.BODY, BODY: request, NOW }).TASK[0].SLOT;
      req.feed({ KIND: E.UPSTREAM_HEAD, SLOT: slot, STATUS: 200, HEADERS: 'content-type\napplication/json\n', NOW });
      return req.feed({ KIND: E.UPSTREAM_BODY, SLOT: slot, BODY: answer, NOW });
    } finally {
      req.close();
    }
  };
  const out = run();
  if (out.STATUS !== 200 || out.BODY.length !== pcm.length + 44) throw new Error('speech answer is wrong');
  const text = answer.toString('utf8');
  const baseline = () => Buffer.from(JSON.parse(text).candidates[0].content.parts[0].inlineData.data, 'base64');
  const ms = best(run, rounds);
  const base = best(baseline, rounds);
  return { name: 'speech answer: 2.7 MB of base64 PCM to a 2 MB WAV', bytes: answer.length, ms, baseline_ms: base, ratio: ms / base };
}

// The two uploads: a 10 MB WAV for transcription and a 4 MB PNG to edit.
function uploads() {
  const audio = noise(10 * MB, Buffer.from('RIFF\0\0\0\0WAVE', 'binary'));
  const image = noise(4 * MB, Buffer.from('89504e470d0a1a0a', 'hex'));
  return {
    transcription: {
      name: 'transcription: 10 MB WAV upload',
      path: '/v1/audio/transcriptions',
      body: form('bench-boundary', [
        { name: 'model', data: 'whisper-1' },
        { name: 'file', filename: 'meeting.wav', type: 'audio/wav', data: audio },
      ]),
      file: audio,
      mime: 'audio/wav',
    },
    edit: {
      name: 'image edit: 4 MB PNG upload',
      path: '/v1/images/edits',
      body: form('bench-boundary', [
        { name: 'model', data: 'gpt-image-1' },
        { name: 'prompt', data: 'Add a red hat to the cat.' },
        { name: 'image', filename: 'cat.png', type: 'image/png', data: image },
      ]),
      file: image,
      mime: 'image/png',
    },
  };
}

export function benchMedia({ rounds = 15 } = {}) {
  setUp();
  const rows = Object.entries(uploads()).map(([which, u]) => upload(u.name, which, u.path, u.body, u.file, u.mime, rounds));
  return [...rows, speech(rounds)];
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const at = process.argv.indexOf('--memory');
  if (at > 0) {
    const u = uploads()[process.argv[at + 1]];
    console.log(JSON.stringify(grownBy(u.path, u.body)));
    process.exit(0);
  }
  const rows = benchMedia();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
  } else {
    console.log('| media translation | bytes in | best ms (Wasm, incl. copies in and out) | best ms (V8 baseline) | ratio | peak MB: core (Wasm) grown + JS (body, Gemini body) | × body |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const mem = r.memory ? `${((r.memory.wasm + r.memory.js) / MB).toFixed(1)}: ${(r.memory.wasm / MB).toFixed(1)} + ${(r.memory.js / MB).toFixed(1)}` : '—';
      const times = r.memory ? ((r.memory.wasm + r.memory.js) / r.bytes).toFixed(2) : '—';
      console.log(`| ${r.name} | ${r.bytes} | ${r.ms.toFixed(1)} | ${r.baseline_ms.toFixed(1)} | ${r.ratio.toFixed(2)} | ${mem} | ${times} |`);
    }
  }
}
