// probe.mjs — checks one key: makes the fetch the core describes (PROBE: a free call, never a
// billable generation) and asks the core what the answer means (CLASSIFY).
import { call } from './core.mjs';
import { configure } from './configure.mjs';
import { headersOf, readLimited } from './stream.mjs';

// Returns the core's verdict: { outcome, group, dead, revive, message, ... }, also when the
// probe got no answer (STATUS 0).
export async function probeKey(env, key) {
  configure(env); // the probe goes to the configured upstream
  const probe = call('PROBE', { KEY: key });
  let status = 0;
  let body;
  try {
    const res = await fetch(probe.URL, {
      method: probe.METHOD,
      headers: headersOf(probe.HEADERS),
      body: probe.BODY,
      // A redirect would carry the key's header to wherever it points: never follow one.
      redirect: 'manual',
      signal: AbortSignal.timeout(probe.TIMEOUT_MS),
    });
    if (res.ok) res.body?.cancel().catch(() => {}); // the status says it all
    const read = res.ok ? {} : await readLimited(res, probe.MAX_BYTES);
    if (!read.reason) [status, body] = [res.status, read.bytes];
  } catch {
    // no answer (the network, or the timeout): the core says what that means
  }
  const verdict = call('CLASSIFY', { STATUS: status, BODY: body, MODEL: probe.MODEL, NOW: Date.now() }).BODY;
  return JSON.parse(new TextDecoder().decode(verdict));
}
