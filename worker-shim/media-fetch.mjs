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
import { readLimited } from './stream.mjs';

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
    // Counted while read, one byte past the limit: a missing or lying content-length changes nothing.
    const { bytes, reason } = await readLimited(res, task.MAX_BYTES + 1);
    if (reason) return { REASON: controller.signal.aborted ? R.TIMEOUT : R.NETWORK };
    if (bytes.length > task.MAX_BYTES) return { REASON: R.TOO_LARGE };
    return { STATUS: res.status, MIME: res.headers.get('content-type') ?? '', BODY: bytes };
  } catch {
    return { REASON: controller.signal.aborted ? R.TIMEOUT : R.NETWORK };
  } finally {
    clearTimeout(timer);
  }
}
