// worker-shim/core.mjs as the pool simulation's isolates see it (isolate-hooks.mjs hands this
// module to pool-client.mjs): the same functions, recording each pool load or change batch
// (the isolate's pool maintenance) in globalThis.poolMaintenance: which isolate, the call,
// and the CPU time it took there (copying in, the core's work, copying out). pool.mjs replays
// the calls afterwards on a quiet core, since CPU time in a busy process counts its other
// threads too.
import { call as coreCall, callRemembered as coreRemembered } from '../../worker-shim/core.mjs';

export * from '../../worker-shim/core.mjs';

const MAINTENANCE = new Set(['POOL_LOAD', 'POOL_APPLY']);
const isolate = new URL(import.meta.url).searchParams.get('isolate');

function timed(fn, op, input) {
  if (!MAINTENANCE.has(op)) return fn(op, input);
  const started = process.cpuUsage();
  try {
    return fn(op, input);
  } finally {
    const used = process.cpuUsage(started);
    globalThis.poolMaintenance.push({ isolate, op, input, ms: (used.user + used.system) / 1000 });
  }
}

export const call = (op, input) => timed(coreCall, op, input);
export const callRemembered = (op, input) => timed(coreRemembered, op, input);
