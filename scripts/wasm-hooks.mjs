// Module hooks for wasm-loader.mjs: `import m from './x.wasm'` gives a WebAssembly.Module.
export async function load(url, context, nextLoad) {
  if (!url.endsWith('.wasm')) return nextLoad(url, context);
  const source =
    `import { readFileSync } from 'node:fs';\n` +
    `export default new WebAssembly.Module(readFileSync(new URL(${JSON.stringify(url)})));\n`;
  return { format: 'module', source, shortCircuit: true };
}
