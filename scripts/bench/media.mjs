// The media translators' cost on core.wasm (through BAL_OP_MEDIA, as today's shim would call
// them): a 10 MB audio upload for transcription and a 4 MB image edit (multipart in, the
// Gemini body with the bytes as base64 out), and a speech answer (base64 PCM in, WAV bytes
// out), each against V8 doing the least a JavaScript translator must: JSON.stringify of the
// body holding the base64 (uploads), JSON.parse and a base64 decode (speech).
//
//   node --import ./scripts/wasm-loader.mjs scripts/bench/media.mjs        prints a table
//   ... --json                                                            prints JSON
// Peak memory is estimated from the sizes measured here (see `memory` below).
import { OP, call } from '../../worker-shim/core.mjs';

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

function upload(name, route, body, fileBytes, mime, rounds) {
  const type = 'multipart/form-data; boundary=bench-boundary';
  const translate = () => call(OP.MEDIA, { action: 'translate', route, content_type: type, now_ms: 0 }, body);
  const out = translate();
  const geminiBytes = out.payload.length;
  const base64 = Buffer.from(fileBytes).toString('base64');
  const baseline = () => JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'x' }, { inlineData: { mimeType: mime, data: base64 } }] }] });
  const ms = best(translate, rounds);
  const base = best(baseline, rounds);
  // Today's ABI: the request (JS), its copy in Wasm, the Gemini body in Wasm and its copy out.
  // A machine that reads the body into Wasm and sends the Gemini body from there: the last
  // two of those alone.
  const memory = { today: body.length * 2 + geminiBytes * 2, in_wasm_only: body.length + geminiBytes };
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
  const request = Buffer.from('{"model":"tts-1","input":"Hello","voice":"alloy"}');
  const joined = new Uint8Array(Buffer.concat([request, answer]));
  const header = { action: 'answer', route: 'speech', now_ms: 0, sizes: [request.length, answer.length] };
  const run = () => call(OP.MEDIA, header, joined);
  const out = run();
  if (out.header.status !== 200 || out.payload.length !== pcm.length + 44) throw new Error('speech answer is wrong');
  const text = answer.toString('utf8');
  const baseline = () => Buffer.from(JSON.parse(text).candidates[0].content.parts[0].inlineData.data, 'base64');
  const ms = best(run, rounds);
  const base = best(baseline, rounds);
  return { name: 'speech answer: 2.7 MB of base64 PCM to a 2 MB WAV', bytes: answer.length, ms, baseline_ms: base, ratio: ms / base };
}

export function benchMedia({ rounds = 15 } = {}) {
  const audio = noise(10 * MB, Buffer.from('RIFF\0\0\0\0WAVE', 'binary'));
  const audioForm = form('bench-boundary', [
    { name: 'model', data: 'whisper-1' },
    { name: 'file', filename: 'meeting.wav', type: 'audio/wav', data: audio },
  ]);
  const image = noise(4 * MB, Buffer.from('89504e470d0a1a0a', 'hex'));
  const imageForm = form('bench-boundary', [
    { name: 'model', data: 'gpt-image-1' },
    { name: 'prompt', data: 'Add a red hat to the cat.' },
    { name: 'image', filename: 'cat.png', type: 'image/png', data: image },
  ]);
  return [
    upload('transcription: 10 MB WAV upload', 'transcriptions', audioForm, audio, 'audio/wav', rounds),
    upload('image edit: 4 MB PNG upload', 'images.edits', imageForm, image, 'image/png', rounds),
    speech(rounds),
  ];
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const rows = benchMedia();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
  } else {
    console.log('| media translation | bytes in | best ms (Wasm, incl. copies in and out) | best ms (V8 baseline) | ratio | peak MB today / in Wasm only |');
    console.log('|---|---|---|---|---|---|');
    for (const r of rows) {
      const mem = r.memory ? `${(r.memory.today / MB).toFixed(1)} / ${(r.memory.in_wasm_only / MB).toFixed(1)}` : '—';
      console.log(`| ${r.name} | ${r.bytes} | ${r.ms.toFixed(1)} | ${r.baseline_ms.toFixed(1)} | ${r.ratio.toFixed(2)} | ${mem} |`);
    }
  }
}
