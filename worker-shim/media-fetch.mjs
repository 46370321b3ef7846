// media-fetch.mjs — fetches the media behind a URL in a chat request, within the core's limits
// (media_url.h). Only I/O here: whether a URL may be fetched (`allow`, for every redirect
// target too) and what the bytes become are the core's decisions.
//
//   const r = await fetchMedia(url, { timeoutMs, maxRedirects, maxBytes, allow });
//   // r.end: 'ok' | 'timeout' | 'too_many_redirects' | 'too_large' | 'network' | 'bad_redirect'
//   // r.status, r.contentType, r.bytes (Uint8Array) when 'ok'; r.redirectTo for 'bad_redirect'
//
// No credentials go out: no cookie, no authorization, nothing of the client's request; the
// platform's own fetch (workerd does not take a `credentials` option) sends none of its own.

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchMedia(url, { timeoutMs, maxRedirects, maxBytes, allow = () => true }) {
  const signal = AbortSignal.timeout(timeoutMs);
  let current = url;
  try {
    for (let hops = 0; ; hops++) {
      const res = await fetch(current, { method: 'GET', redirect: 'manual', signal, headers: { accept: '*/*' } });
      if (!REDIRECTS.has(res.status)) return await readBody(res, maxBytes);
      await res.body?.cancel();
      const location = res.headers.get('location');
      let next = null;
      try {
        next = location ? new URL(location, current).href : null;
      } catch {
        next = null;
      }
      if (!next || !allow(next)) return { end: 'bad_redirect', redirectTo: next ?? location ?? '' };
      if (hops + 1 > maxRedirects) return { end: 'too_many_redirects' };
      current = next;
    }
  } catch (err) {
    return { end: signal.aborted ? 'timeout' : 'network' };
  }
}

// The body, counted while it is read: a missing or lying content-length changes nothing.
async function readBody(res, maxBytes) {
  const base = { status: res.status, contentType: res.headers.get('content-type') ?? '' };
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    return { end: 'too_large', ...base };
  }
  if (!res.body) return { end: 'ok', ...base, bytes: new Uint8Array(0) };
  const reader = res.body.getReader();
  const parts = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > maxBytes) {
      await reader.cancel();
      return { end: 'too_large', ...base };
    }
    parts.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const p of parts) {
    bytes.set(p, at);
    at += p.length;
  }
  return { end: 'ok', ...base, bytes };
}
