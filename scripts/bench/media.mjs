// The media translators' cost on core.wasm, called as the Worker calls the request machine
// (worker-shim/core.mjs): a 10 MB audio upload for transcription and a 4 MB image edit (the
// multipart body fed in, the FETCH task's Gemini body with the bytes as base64 out), and a
// speech answer (Gemini's base64 PCM fed in, the WAV bytes answered), each against V8 doing
// the least a JavaScript translator must: JSON.stringify of the body holding the base64
// (uploads), JSON.parse and a base64 decode (speech). The Wasm figures include the copies
// into and out of Wasm memory as the Worker makes them (an upload in 64 KB chunks by
// BODY_CHUNK, its Gemini body out in the 64 KB slices fetch() pulls) and the request's other
// steps (OPEN, CLOSE).
//
//   node --import ./scripts/wasm-loader.mjs scripts/bench/media.mjs        prints a table
//   ... --json                                                            prints JSON
// Peak memory: each upload once more in a fresh process (so that no earlier row's memory is
// reused), the core's Wasm memory measured before and after (it never shrinks), plus the most
// JavaScript holds at once meanwhile: the Worker no longer holds either body whole, only the
// client's chunk being passed in and the slices of the Gemini body fetch() has pulled and not
// yet sent (counted here as the largest chunk in plus one slice out).
import { execFileSync } from 'node:child_process';
import { ABI, CoreRequest, call, tables } from '../../worker-shim/core.mjs';
import { fetchBody } from '../../worker-shim/stream.mjs';
import { multipartBody, noise } from '../../tests/helpers/multipart.mjs';

const MB = 1024 * 1024;

// The best of `rounds` runs, in ms: on a shared machine the fastest run is the one least
// disturbed by others, for both sides of a comparison alike.
async function best(fn, rounds) {
  await fn();
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min;
}

// The bench's own bytes (not the tests'): a seed of its own.
const benchNoise = (size, head) => noise(size, head, 0x2545f491);

const NOW = 1764000000000;
const POOL = 'K 1 AIzaSyA1234567890abcdefghijklmnopqrstuv a\n';

function setUp() {
  tables();
  call('CONFIGURE', { BODY: JSON.stringify({ AUTH_TOKENS: 'bench' }) });
  call('POOL_LOAD', { NOW, SEED: 1, BODY: POOL });
}

function open(path, type, length) {
  let headers = `authorization\nBearer bench\ncontent-type\n${type}\n`;
  if (length !== undefined) headers += `content-length\n${length}\n`;
  return new CoreRequest({ METHOD: 'POST', PATH: path, QUERY: '', HEADERS: headers, ORIGIN: 'https://bench.example', NOW, RANDOM: '0'.repeat(32) });
}

const CHUNK = 64 * 1024;

// The body fed to a new request as the Worker feeds it (chunk by chunk), and its FETCH task's
// Gemini body pulled out as fetch() pulls it: { size, slice } (the largest slice).
async function translateThrough(path, type, body) {
  const req = open(path, type, body.length);
  try {
    for (let at = 0; at < body.length; at += CHUNK) req.bodyChunk(body.subarray(at, at + CHUNK));
    const a = req.feed({ KIND: ABI.event.BODY, SIZE: body.length, NOW });
    const fetch = (a.TASK ?? []).find((t) => t.KIND === ABI.task.FETCH);
    if (!fetch) throw new Error(`no upstream call: ${new TextDecoder().decode(a.BODY ?? new Uint8Array(0)).slice(0, 200)}`);
    const reader = fetchBody(req, fetch).getReader();
    let size = 0;
    let slice = 0;
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      size += r.value.length;
      slice = Math.max(slice, r.value.length);
    }
    return { size, slice };
  } finally {
    req.close();
  }
}

const FORM = 'multipart/form-data; boundary=bench-boundary';

// The core's memory grown by one upload, in this (fresh) process, and the most JavaScript
// held of it at once: { wasm, js } bytes.
async function grownBy(path, body) {
  const Instance = WebAssembly.Instance;
  let instance;
  WebAssembly.Instance = function (module, imports) {
    instance = new Instance(module, imports);
    return instance;
  };
  setUp();
  const before = instance.exports.memory.buffer.byteLength;
  const { slice } = await translateThrough(path, FORM, body);
  return { wasm: instance.exports.memory.buffer.byteLength - before, js: Math.min(CHUNK, body.length) + slice };
}

function measuredMemory(which, body) {
  const out = execFileSync(process.execPath, ['--import', './scripts/wasm-loader.mjs', 'scripts/bench/media.mjs', '--memory', which], {
    cwd: new URL('../..', import.meta.url).pathname,
  });
  const { wasm, js } = JSON.parse(out.toString());
  return { wasm, js, peak: wasm + js };
}

async function upload(name, which, path, body, fileBytes, mime, rounds) {
  const translate = () => translateThrough(path, FORM, body);
  const geminiBytes = (await translate()).size;
  const base64 = Buffer.from(fileBytes).toString('base64');
  const baseline = () => JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }, { inlineData: { mimeType: mime, data: base64 } }] }] });
  const ms = await best(translate, rounds);
  const base = await best(baseline, rounds);
  const memory = measuredMemory(which, body);
  return { name, bytes: body.length, gemini_bytes: geminiBytes, ms, baseline_ms: base, ratio: ms / base, memory };
}

async function speech(rounds) {
  const pcm = benchNoise(2 * MB, Buffer.alloc(0));
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
  const ms = await best(run, rounds);
  const base = await best(baseline, rounds);
  return { name: 'speech answer: 2.7 MB of base64 PCM to a 2 MB WAV', bytes: answer.length, ms, baseline_ms: base, ratio: ms / base };
}

// The two uploads: a 10 MB WAV for transcription and a 4 MB PNG to edit.
function uploads() {
  const audio = benchNoise(10 * MB, Buffer.from('RIFF\0\0\0\0WAVE', 'binary'));
  const image = benchNoise(4 * MB, Buffer.from('89504e470d0a1a0a', 'hex'));
  return {
    transcription: {
      name: 'transcription: 10 MB WAV upload',
      path: '/v1/audio/transcriptions',
      body: multipartBody('bench-boundary', [
        { name: 'model', data: 'whisper-1' },
        { name: 'file', filename: 'meeting.wav', type: 'audio/wav', data: audio },
      ]),
      file: audio,
      mime: 'audio/wav',
    },
    edit: {
      name: 'image edit: 4 MB PNG upload',
      path: '/v1/images/edits',
      body: multipartBody('bench-boundary', [
        { name: 'model', data: 'gpt-image-1' },
        { name: 'prompt', data: 'Add a red hat to the cat.' },
        { name: 'image', filename: 'cat.png', type: 'image/png', data: image },
      ]),
      file: image,
      mime: 'image/png',
    },
  };
}

export async function benchMedia({ rounds = 15 } = {}) {
  setUp();
  const rows = [];
  for (const [which, u] of Object.entries(uploads())) rows.push(await upload(u.name, which, u.path, u.body, u.file, u.mime, rounds));
  return [...rows, await speech(rounds)];
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const at = process.argv.indexOf('--memory');
  if (at > 0) {
    const u = uploads()[process.argv[at + 1]];
    console.log(JSON.stringify(await grownBy(u.path, u.body)));
    process.exit(0);
  }
  const rows = await benchMedia();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
  } else {
    console.log('| media translation | bytes in | best ms (Wasm, incl. copies in and out) | best ms (V8 baseline) | ratio | peak MB: core (Wasm) grown + JS (chunk in, slice out) | × body |');
    console.log('|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const mem = r.memory ? `${((r.memory.wasm + r.memory.js) / MB).toFixed(1)}: ${(r.memory.wasm / MB).toFixed(1)} + ${(r.memory.js / MB).toFixed(2)}` : '—';
      const times = r.memory ? ((r.memory.wasm + r.memory.js) / r.bytes).toFixed(2) : '—';
      console.log(`| ${r.name} | ${r.bytes} | ${r.ms.toFixed(1)} | ${r.baseline_ms.toFixed(1)} | ${r.ratio.toFixed(2)} | ${mem} | ${times} |`);
    }
  }
}
