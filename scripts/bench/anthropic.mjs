// The Anthropic translators' speed on Wasm built with core.wasm's compiler and flags
// (CMake's BALANCER_WASM_BENCH module, cpp/bench/anthropic_bench.cpp): an 8 KB Claude Code
// request (system, tools, 12 turns) against V8's JSON.parse + JSON.stringify of the same
// bytes, and one stream event. Prints JSON rows like scripts/bench/core.mjs.
//
//   node scripts/bench/anthropic.mjs            (builds build/wasm-bench first)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureToolchain } from '../toolchain.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const buildDir = join(root, 'build', 'wasm-bench');
const encoder = new TextEncoder();

function build() {
  ensureToolchain();
  const run = (cmd, args) => execFileSync(cmd, args, { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  run('emcmake', ['cmake', '-S', '.', '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release', '-DBALANCER_WASM_BENCH=ON']);
  run('cmake', ['--build', buildDir, '-j2', '--target', 'anthropic_bench']);
  return readFileSync(join(buildDir, 'anthropic_bench.wasm'));
}

function instantiate(bytes) {
  const module = new WebAssembly.Module(bytes);
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = () => 52; // ENOSYS: the core performs no I/O
  }
  const { exports } = new WebAssembly.Instance(module, imports);
  exports._initialize?.();
  // Copies `bytes` in (as the shim does for every call) and runs `fn(ptr, len)`.
  const withBytes = (data, fn) => {
    const ptr = exports.bench_alloc(data.length);
    new Uint8Array(exports.memory.buffer, ptr, data.length).set(data);
    try {
      return fn(ptr, data.length);
    } finally {
      exports.bench_free(ptr);
    }
  };
  return { exports, withBytes };
}

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

// A Claude Code turn sequence of about 8 KB: its system blocks, two of its tools with
// their 2020-12 schemas, and 12 messages of prompts, tool calls (signed thinking blocks
// before them, as this proxy hands them out) and results.
export function claudeCodeRequest() {
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

function sseEvent() {
  const event = {
    candidates: [{ content: { role: 'model', parts: [{ text: 'Streaming text arrives in small pieces, 一点一点地。 ' }] }, index: 0 }],
    usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 40, totalTokenCount: 52 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'r-1',
  };
  return encoder.encode(`data: ${JSON.stringify(event)}\r\n\r\n`);
}

export function benchAnthropic(wasmBytes = build()) {
  const { exports, withBytes } = instantiate(wasmBytes);
  const rows = [];
  const request = claudeCodeRequest();
  if (withBytes(request, exports.bench_messages) === 0) throw new Error('the bench request was refused');
  const text = new TextDecoder().decode(request);
  const us = measure(() => withBytes(request, exports.bench_messages), 2000);
  const base = measure(() => JSON.stringify(JSON.parse(text)), 2000);
  rows.push({ name: 'Anthropic request, Claude Code, 12 messages', bytes: request.length, us, base, ratio: us / base, target: 'ratio ≤ 1.0' });
  const event = sseEvent();
  exports.bench_stream_open();
  withBytes(event, exports.bench_stream_push); // message_start goes out once, with the first event
  const per = measure(() => withBytes(event, exports.bench_stream_push), 20000);
  rows.push({ name: 'Anthropic SSE event → content_block_delta', bytes: event.length, us: per, base: null, ratio: null, target: '≤ 3 µs' });
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(JSON.stringify(benchAnthropic()));
}
