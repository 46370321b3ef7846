// Module hooks for the pool simulation (pool.mjs): a module imported as `x.mjs?isolate=N` gets
// its own copy of every module it imports in turn (worker-shim/core.mjs with its own Wasm
// instance, pool-client.mjs with its own state), as a separate Worker isolate would; and
// pool-client.mjs gets core.mjs through timed-core.mjs, which times its pool loads. The
// compiled WebAssembly.Module is shared, as isolates share one compiled Worker.
const TIMED = new URL('./timed-core.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const parent = context.parentURL && new URL(context.parentURL);
  const isolate = parent?.searchParams.get('isolate');
  if (!isolate || !resolved.url.startsWith('file:') || !resolved.url.endsWith('.mjs')) return resolved;
  const viaTimer = parent.pathname.endsWith('/worker-shim/pool-client.mjs') && resolved.url.endsWith('/worker-shim/core.mjs');
  return { ...resolved, url: `${viaTimer ? TIMED : resolved.url}?isolate=${isolate}` };
}
