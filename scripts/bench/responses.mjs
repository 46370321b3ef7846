// The Responses API translators' speed on WebAssembly built with core.wasm's flags: an 8 KB
// request against V8's JSON.parse + JSON.stringify of the same bytes, and one stream event.
// Until the request machine's ABI carries the Responses API, the module is built here from
// cpp/bench/responses_bench.cpp and the core's sources (build/bench/, rebuilt when older).
//   node scripts/bench/responses.mjs        prints one JSON object
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureToolchain } from '../toolchain.mjs';
import { measure } from './measure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const out = join(root, 'build', 'bench');
const wasmPath = join(out, 'responses-bench.wasm');
const encoder = new TextEncoder();

function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.cpp') ? [join(dir, e.name)] : [],
  );
}

function build() {
  const inputs = [...sources(join(root, 'cpp', 'src')), join(root, 'cpp', 'bench', 'responses_bench.cpp')];
  const newest = Math.max(...[...inputs, ...sources(join(root, 'cpp', 'include'))].map((f) => statSync(f).mtimeMs));
  if (existsSync(wasmPath) && statSync(wasmPath).mtimeMs > newest) return;
  ensureToolchain();
  mkdirSync(join(out, 'nlohmann-include'), { recursive: true });
  const link = join(out, 'nlohmann-include', 'nlohmann');
  if (!existsSync(link)) symlinkSync('/usr/include/nlohmann', link);
  const flags = ['-std=c++20', '-O2', '-fno-exceptions', '-fno-rtti', '-mbulk-memory', '-DJSON_NOEXCEPTION', '-DNDEBUG'];
  execFileSync(
    'em++',
    [
      ...flags,
      `-I${join(root, 'cpp', 'include')}`,
      `-I${join(root, 'cpp', 'abi')}`,
      '-isystem',
      join(out, 'nlohmann-include'),
      ...inputs,
      '-sSTANDALONE_WASM',
      '--no-entry',
      '-sALLOW_MEMORY_GROWTH=1',
      '-sINITIAL_MEMORY=4MB',
      '-sTOTAL_STACK=512KB',
      '-sEXPORTED_FUNCTIONS=_rb_alloc,_rb_free,_rb_translate,_rb_stream_open,_rb_stream_push',
      '-o',
      wasmPath,
    ],
    { cwd: root, stdio: 'inherit' },
  );
}

function instantiate() {
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const imports = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind !== 'function') continue;
    imports[imp.module] ??= {};
    imports[imp.module][imp.name] = () => 52;
  }
  const { exports } = new WebAssembly.Instance(module, imports);
  exports._initialize?.();
  return exports;
}

// A coding agent's request of about 8 KB: instructions, a conversation, one tool.
function request8k() {
  const line = 'Could you explain how the balancer spreads requests over keys? 说明一下 "quotas" \\ per project.\n';
  const input = [];
  for (let i = 0; i < 11; i++) {
    input.push({ type: 'message', role: i % 2 ? 'assistant' : 'user', content: [{ type: i % 2 ? 'output_text' : 'input_text', text: line.repeat(6) }] });
  }
  const tools = [{ type: 'function', name: 'exec_command', description: 'Runs a command', parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'], additionalProperties: false }, strict: false }];
  return JSON.stringify({ model: 'gemini-2.5-flash', instructions: 'You are a coding agent.', input, tools, tool_choice: 'auto', store: false, stream: true, include: ['reasoning.encrypted_content'], reasoning: { summary: 'auto' } });
}

build();
const wasm = instantiate();
const put = (text) => {
  const bytes = encoder.encode(text);
  const ptr = wasm.rb_alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  return [ptr, bytes.length];
};

const body = request8k();
const [ptr, len] = put(body);
if (wasm.rb_translate(ptr, len) === 0) throw new Error('the bench request did not translate');
const requestUs = measure(() => wasm.rb_translate(ptr, len), 2000);
const baseUs = measure(() => JSON.stringify(JSON.parse(body)), 2000);

const [sptr, slen] = put('{"model":"gemini-2.5-flash","input":"x","stream":true}');
wasm.rb_stream_open(sptr, slen);
const event = `data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: 'Streaming works, 流式传输正常 🚀 — the quick brown fox.' }] } }], modelVersion: 'gemini-2.5-flash' })}\r\n\r\n`;
const [eptr, elen] = put(event);
const eventUs = measure(() => wasm.rb_stream_push(eptr, elen), 20000);

console.log(
  JSON.stringify({
    request: { bytes: encoder.encode(body).length, us: requestUs, base: baseUs, ratio: requestUs / baseUs, target: '≤ 1.0' },
    stream_event: { bytes: elen, us: eventUs, target: '≤ 3 µs' },
  }),
);
