// wasm-loader.mjs — lets Node import `.wasm` files the way Workers do (as a compiled
// WebAssembly.Module), so benchmarks and tests load worker-shim/core.mjs unchanged.
//   node --import ./scripts/wasm-loader.mjs script.mjs
import { register } from 'node:module';

register('./wasm-hooks.mjs', import.meta.url);
