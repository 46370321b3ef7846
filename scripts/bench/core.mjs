// The core's speed, measured on the same core.wasm the Worker runs (loaded through
// scripts/wasm-loader.mjs): translations against V8's JSON.parse + JSON.stringify of the same
// bytes (the least a JavaScript translator must do), and key picks for pools of 10 to 10,000.
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { OP, call, CoreStream } from '../../worker-shim/core.mjs';
import { measure } from './measure.mjs';

const encoder = new TextEncoder();

function jsBaseline(bytes) {
  const text = new TextDecoder().decode(bytes);
  return () => JSON.stringify(JSON.parse(text));
}

function chatRequest(messages, extra = {}) {
  return encoder.encode(JSON.stringify({ model: 'gemini-2.5-flash', messages, temperature: 0.7, ...extra }));
}

function conversation8k() {
  const messages = [{ role: 'system', content: 'You are a helpful assistant. Answer briefly, in the user\'s language.' }];
  const line = 'Could you explain how the balancer spreads requests over keys? 说明一下 "quotas" \\ per project.\n';
  for (let i = 0; i < 11; i++) {
    messages.push({ role: i % 2 ? 'assistant' : 'user', content: line.repeat(7) });
  }
  return chatRequest(messages);
}

function imageRequest() {
  const base64 = Buffer.alloc(562 * 1024, 7).toString('base64'); // ~750 KB of base64
  const text = 'Describe the differences between these two pictures in detail. '.repeat(3900); // ~250 KB
  return chatRequest([
    {
      role: 'user',
      content: [
        { type: 'text', text },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${base64}` } },
      ],
    },
  ]);
}

function geminiResponse20k() {
  const text = 'The quick brown fox jumps over the lazy dog. 敏捷的棕色狐狸跳过了懒狗。 "quoted" \\ slash\n'.repeat(190);
  return encoder.encode(
    JSON.stringify({
      candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 4000, totalTokenCount: 4120 },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'abc123',
    }),
  );
}

function sseEvent300() {
  const event = {
    candidates: [{ content: { role: 'model', parts: [{ text: 'Streaming text arrives in small pieces, 一点一点地。 ' }] }, index: 0 }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 40, totalTokenCount: 52 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r-1',
  };
  return encoder.encode(`data: ${JSON.stringify(event)}\r\n\r\n`);
}

function routeChat(body) {
  const head = {
    method: 'POST',
    path: '/v1/chat/completions',
    query: '',
    headers: { authorization: 'Bearer bench', 'content-type': 'application/json' },
    body_included: true,
    now_ms: Date.now(),
  };
  return () => {
    const plan = call(OP.ROUTE, head, body);
    if (plan.header.action !== 'upstream') throw new Error(`bench request refused: ${new TextDecoder().decode(plan.payload)}`);
  };
}

export function benchTranslations() {
  call(OP.CONFIGURE, { auth_tokens: 'bench', admin_token: 'bench-admin' });
  const rows = [];
  const add = (name, bytes, fn, n, target) => {
    const us = measure(fn, n);
    const base = bytes ? measure(jsBaseline(bytes), n) : null;
    rows.push({ name, bytes: bytes?.length ?? 0, us, base, ratio: base ? us / base : null, target });
  };
  const small = conversation8k();
  add('chat request, 12 messages', small, routeChat(small), 2000, 'ratio ≤ 1.0');
  const big = imageRequest();
  add('chat request, 750 KB base64 image', big, routeChat(big), 20, '≤ 2000 µs, ratio ≤ 1.0');
  const response = geminiResponse20k();
  const header = { kind: 'chat', model: 'gemini-2.5-flash', stream: false, include_usage: false, include_reasoning: false, n: 1, status: 200, now_ms: Date.now(), request_id: '0123456789abcdef' };
  add('chat response, non-stream', response, () => call(OP.TRANSLATE, header, response), 2000, 'ratio ≤ 1.0');
  const event = sseEvent300();
  const stream = new CoreStream({ ...header, stream: true });
  add('SSE event → chunk', null, () => stream.push(event), 20000, '≤ 10 µs');
  stream.close();
  rows.at(-1).bytes = event.length;
  return rows;
}

function poolText(n, coolingShare) {
  const lines = [];
  const until = Date.now() + 3600 * 1000;
  for (let i = 1; i <= n; i++) {
    lines.push(`K ${i} AIzaSy${String(i).padStart(33, '0')} a`);
    if (i / n <= coolingShare && i !== n) lines.push(`C ${i} gemini-2.5-flash ${until}`);
  }
  return lines.join('\n');
}

export function benchPicks() {
  const rows = [];
  for (const n of [10, 1000, 10000]) {
    for (const cooling of [0, 0.9]) {
      call(OP.POOL_LOAD, { seed: 42 }, poolText(n, cooling));
      const head = { model: 'gemini-2.5-flash', now_ms: Date.now(), exclude: [] };
      const us = measure(() => call(OP.SELECT, head), 20000);
      rows.push({ keys: n, cooling: `${cooling * 100}%`, us });
    }
  }
  return rows;
}

export function wasmSize() {
  const bytes = readFileSync(new URL('../../worker-shim/core.wasm', import.meta.url));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(JSON.stringify({ translations: benchTranslations(), picks: benchPicks(), wasm: wasmSize() }));
}
