// The core's speed, measured on the same core.wasm the Worker runs (loaded through
// scripts/wasm-loader.mjs) and called exactly as the Worker calls it (core.mjs: records in,
// records out): the fixed cost of one call, translations against V8's JSON.parse +
// JSON.stringify of the same bytes (the least a JavaScript translator must do), and key picks
// for pools of 10 to 10,000.
import { gzipSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI, CoreRequest, call, callRemembered, tables } from '../../worker-shim/core.mjs';

const encoder = new TextEncoder();
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Median microseconds per call of fn over `rounds` rounds of `n` calls.
function measure(fn, n, rounds = 7) {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    samples.push(((performance.now() - t0) * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

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

// A Claude Code turn sequence of about 8 KB: its system blocks, two of its tools with
// their 2020-12 schemas, and 12 messages of prompts, tool calls (signed thinking blocks
// before them, as this proxy hands them out) and results.
function claudeCodeRequest() {
  const capture = JSON.parse(
    readFileSync(join(root, 'tests/fixtures/anthropic/captures/claude_code_turn_1.json'), 'utf8'),
  ).body;
  const tools = capture.tools
    .filter((t) => ['Bash', 'Read'].includes(t.name))
    .map((t) => ({ ...t, description: t.description.slice(0, 160) }));
  const system = capture.system.map((b) => ({ ...b, text: b.text.slice(0, 700) }));
  const messages = [{ role: 'user', content: [{ type: 'text', text: 'Find the TODO comments in src/ and list the files that have them. 说明一下 "why".' }] }];
  for (let i = 0; i < 5; i++) {
    const id = `toolu_01bench${i}`;
    messages.push({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: '', signature: Buffer.alloc(90, i + 1).toString('base64') },
        { type: 'text', text: `Step ${i + 1}: searching the tree with grep, then reading the matches.` },
        { type: 'tool_use', id, name: 'Bash', input: { command: `grep -rn "TODO" src/part${i}`, description: 'Search TODOs' } },
      ],
    });
    messages.push({
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: id, content: `src/part${i}/a.cpp:12: // TODO: \\"quote\\" handling\n`.repeat(4) }],
    });
  }
  messages.push({ role: 'assistant', content: [{ type: 'text', text: 'Five files have TODO comments.' }] });
  return encoder.encode(
    JSON.stringify({
      model: 'claude-sonnet-4-5-20250929',
      max_tokens: 32000,
      system,
      messages,
      tools,
      metadata: capture.metadata,
      thinking: capture.thinking,
      output_config: capture.output_config,
      stream: true,
    }),
  );
}

// A coding agent's request of about 8 KB: instructions, a conversation, one tool.
function responsesRequest() {
  const line = 'Could you explain how the balancer spreads requests over keys? 说明一下 "quotas" \\ per project.\n';
  const input = [];
  for (let i = 0; i < 11; i++) {
    input.push({ type: 'message', role: i % 2 ? 'assistant' : 'user', content: [{ type: i % 2 ? 'output_text' : 'input_text', text: line.repeat(6) }] });
  }
  const tools = [{ type: 'function', name: 'exec_command', description: 'Runs a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'], additionalProperties: false }, strict: false }];
  return encoder.encode(JSON.stringify({ model: 'gemini-2.5-flash', instructions: 'You are a coding agent.', input, tools, tool_choice: 'auto', store: false, stream: true, include: ['reasoning.encrypted_content'], reasoning: { summary: 'auto' } }));
}

function open(method, path, headers) {
  let pairs = '';
  for (const [name, value] of Object.entries(headers)) pairs += `${name}\n${value}\n`;
  return new CoreRequest({ METHOD: method, PATH: path, HEADERS: pairs, ORIGIN: 'https://w.example', NOW: Date.now(), RANDOM: '0123456789abcdef' });
}

const CHAT_HEADERS = { authorization: 'Bearer bench', 'content-type': 'application/json' };

// A chat request opened and its body fed: the core routes it, translates it and picks a key
// (the answer is the FETCH task with the Gemini body).
function translateRequest(body, path = '/v1/chat/completions', headers = CHAT_HEADERS) {
  return () => {
    const req = open('POST', path, headers);
    const act = req.feed({ KIND: ABI.event.BODY, BODY: body, NOW: Date.now() });
    if (act.KIND !== ABI.action.TASKS) throw new Error(`bench request refused: ${new TextDecoder().decode(act.BODY)}`);
    req.close();
  };
}

// A chat request waiting for its answer's body (READ_UPSTREAM).
function awaitingAnswer(stream, path = '/v1/chat/completions', headers = CHAT_HEADERS, body = null) {
  const req = open('POST', path, headers);
  body ??= JSON.stringify({ model: 'gemini-2.5-flash', stream, messages: [{ role: 'user', content: 'Hi' }] });
  const act = req.feed({ KIND: ABI.event.BODY, BODY: body, NOW: Date.now() });
  if (act.KIND !== ABI.action.TASKS) throw new Error(`bench request refused: ${new TextDecoder().decode(act.BODY)}`);
  const slot = act.TASK[0].SLOT;
  const type = stream ? 'text/event-stream' : 'application/json';
  const next = req.feed({ KIND: ABI.event.UPSTREAM_HEAD, SLOT: slot, STATUS: 200, HEADERS: `content-type\n${type}\n`, NOW: Date.now() });
  return { req, slot, next };
}

const ANTHROPIC_HEADERS = { 'x-api-key': 'bench', 'anthropic-version': '2023-06-01', 'content-type': 'application/json' };

// Microseconds per call of `timed` alone, with `setup` run before each call untimed.
function measureAlone(setup, timed, n, rounds = 7) {
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const s = setup();
      const t0 = performance.now();
      timed(s);
      total += performance.now() - t0;
    }
    samples.push((total * 1000) / n);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)];
}

export function benchTranslations() {
  tables();
  callRemembered('CONFIGURE', { BODY: JSON.stringify({ AUTH_TOKENS: 'bench', ADMIN_TOKEN: 'bench-admin' }) });
  callRemembered('POOL_LOAD', { SEED: 1, NOW: Date.now(), BODY: `K 1 AIzaSy${'b'.repeat(33)} a` });
  const rows = [];
  const add = (name, bytes, us, n, target) => {
    const base = bytes ? measure(jsBaseline(bytes), n) : null;
    rows.push({ name, bytes: bytes?.length ?? 0, us, base, ratio: base ? us / base : null, target });
  };
  // The fixed cost: one call with nothing to do (an empty chunk of a stream).
  const idle = awaitingAnswer(true);
  add('one core call, nothing to do (empty CHUNK)', null, measure(() => idle.req.chunk(new Uint8Array(0)), 50000), 0, '≤ 2 µs');
  idle.req.close();
  const small = conversation8k();
  add('chat request, 8 KB, 12 messages', small, measure(translateRequest(small), 2000), 2000, 'ratio ≤ 1.0');
  const big = imageRequest();
  add('chat request, 750 KB base64 image', big, measure(translateRequest(big), 20), 20, '≤ 2000 µs, ratio ≤ 1.0');
  const response = geminiResponse20k();
  const us = measureAlone(
    () => awaitingAnswer(false),
    (s) => s.req.feed({ KIND: ABI.event.UPSTREAM_BODY, SLOT: s.slot, BODY: response, NOW: Date.now() }),
    500,
  );
  add('chat response, 20 KB, non-stream', response, us, 2000, 'ratio ≤ 1.0');
  const event = sseEvent300();
  const streaming = awaitingAnswer(true);
  add('SSE event → chunk', null, measure(() => streaming.req.chunk(event), 20000), 0, '≤ 3 µs');
  streaming.req.close();
  rows.at(-1).bytes = event.length;
  const claude = claudeCodeRequest();
  add('Anthropic request, Claude Code, 12 messages', claude, measure(translateRequest(claude, '/v1/messages', ANTHROPIC_HEADERS), 2000), 2000, 'ratio ≤ 1.0');
  const messages = awaitingAnswer(true, '/v1/messages', ANTHROPIC_HEADERS, JSON.stringify({ model: 'gemini-2.5-flash', max_tokens: 100, stream: true, messages: [{ role: 'user', content: 'Hi' }] }));
  messages.req.chunk(event); // message_start goes out once, with the first event
  add('Anthropic SSE event → content_block_delta', null, measure(() => messages.req.chunk(event), 20000), 0, '≤ 3 µs');
  messages.req.close();
  rows.at(-1).bytes = event.length;
  const responses = responsesRequest();
  add('Responses request, coding agent, 11 items', responses, measure(translateRequest(responses, '/v1/responses'), 2000), 2000, 'ratio ≤ 1.0');
  const created = awaitingAnswer(true, '/v1/responses', CHAT_HEADERS, JSON.stringify({ model: 'gemini-2.5-flash', input: 'Hi', stream: true, store: false }));
  created.req.chunk(event); // response.created goes out once, with the first event
  add('Responses SSE event → output_text.delta', null, measure(() => created.req.chunk(event), 20000), 0, '≤ 3 µs');
  created.req.close();
  rows.at(-1).bytes = event.length;
  call('EVENTS', {});
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
  const headers = { 'x-goog-api-key': 'bench' };
  for (const n of [10, 1000, 10000]) {
    for (const cooling of [0, 0.9]) {
      callRemembered('POOL_LOAD', { SEED: 42, NOW: Date.now(), BODY: poolText(n, cooling) });
      // A GET is routed and its key picked at once: OPEN answers the FETCH.
      const us = measure(() => open('GET', '/v1beta/models/gemini-2.5-flash', headers).close(), 20000);
      rows.push({ keys: n, cooling: `${cooling * 100}%`, us });
    }
  }
  call('EVENTS', {});
  return rows;
}

export function wasmSize() {
  const bytes = readFileSync(new URL('../../worker-shim/core.wasm', import.meta.url));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  console.log(JSON.stringify({ translations: benchTranslations(), picks: benchPicks(), wasm: wasmSize() }));
}
