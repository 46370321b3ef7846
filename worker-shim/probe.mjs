// probe.mjs — checks one key with a free call (countTokens) and asks the core what the
// answer means. A probe never runs a billable generation.
import { call } from './core.mjs';

const DEFAULT_GEMINI_API_BASE = 'https://generativelanguage.googleapis.com';

function upstreamBase(env) {
  return (env.GEMINI_API_BASE || DEFAULT_GEMINI_API_BASE).trim().replace(/\/+$/, '');
}

export const PROBE_MODEL = 'gemini-2.5-flash';
const PROBE_BODY = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'ping' }] }] });
const PROBE_TIMEOUT_MS = 15000;
const MAX_ERROR_BYTES = 64 * 1024;

// Returns the core's verdict: { outcome, group, dead, revive, message, ... }, also when the
// probe got no answer (STATUS 0).
export async function probeKey(env, key) {
  let status = 0;
  let body = '';
  try {
    const res = await fetch(`${upstreamBase(env)}/v1beta/models/${PROBE_MODEL}:countTokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': key },
      body: PROBE_BODY,
      // A redirect would carry the key's header to wherever it points: never follow one.
      redirect: 'manual',
      signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
    });
    status = res.status;
    body = res.ok ? '' : (await res.text()).slice(0, MAX_ERROR_BYTES);
  } catch {
    status = 0; // no answer (the network, or the timeout): the core says what that means
    body = '';
  }
  const verdict = call('CLASSIFY', { STATUS: status, NOW: Date.now(), MODEL: PROBE_MODEL, BODY: body }).BODY;
  return JSON.parse(new TextDecoder().decode(verdict));
}
