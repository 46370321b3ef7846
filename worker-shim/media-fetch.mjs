// media-fetch.mjs — a MEDIA task (cpp/abi/balancer.h): one GET of a public URL a request
// names, for the core to put inline. Only I/O here: whether a URL may be fetched, whether a
// redirect is followed and what the bytes become are the core's decisions (media_url.h).
//
//   const event = await fetchMedia(task, controller);   // the MEDIA_DONE fields
//
// No credentials go out: no cookie, no authorization, nothing of the client's request (the
// platform's fetch sends none of its own). A redirect is never followed here: its Location
// goes back to the core, resolved against the URL fetched.
import { ABI } from './core.mjs';

// The body, counted while it is read: a missing or lying content-length changes nothing.
async function readCounted(res, maxBytes) {
  const reader = res.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return null;
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return bytes;
}

function location(res, url) {
  const to = res.headers.get('location');
  try {
    return to ? new URL(to, url).href : '';
  } catch {
    return '';
  }
}

export async function fetchMedia(task, controller) {
  const R = ABI.reason;
  const timer = setTimeout(() => controller.abort(new Error('media timeout')), task.TIMEOUT_MS);
  try {
    const init = { method: 'GET', redirect: 'manual', signal: controller.signal, headers: { accept: '*/*' } };
    const res = await fetch(task.URL, init);
    if (res.status >= 300 && res.status < 400) {
      await res.body?.cancel();
      return { STATUS: res.status, URL: location(res, task.URL) };
    }
    if (Number(res.headers.get('content-length')) > task.MAX_BYTES) {
      await res.body?.cancel();
      return { REASON: R.TOO_LARGE };
    }
    const bytes = res.body ? await readCounted(res, task.MAX_BYTES) : new Uint8Array(0);
    if (!bytes) return { REASON: R.TOO_LARGE };
    return { STATUS: res.status, MIME: res.headers.get('content-type') ?? '', BODY: bytes };
  } catch {
    return { REASON: controller.signal.aborted ? R.TIMEOUT : R.NETWORK };
  } finally {
    clearTimeout(timer);
  }
}
