// A test Worker around worker-shim/media-fetch.mjs and the core's media URL policy: GET
// /fetch?url=U[&timeout_ms=N] checks U, fetches it within the core's limits (a shorter
// timeout when asked, so a test need not wait 10 s) and answers what the core made of it:
// {ok, part} or {ok: false, status, message, code}. The same steps the request machine takes
// for an image_url in a chat request.
import { OP, call } from '../../worker-shim/core.mjs';
import { fetchMedia } from '../../worker-shim/media-fetch.mjs';

// startWorker binds the key pool's Durable Object class: this Worker carries it too.
export { KeyPool } from '../../worker-shim/key-pool.mjs';

const media = (header, payload) => call(OP.MEDIA, header, payload);

export default {
  async fetch(request) {
    const params = new URL(request.url).searchParams;
    const url = params.get('url');
    const param = 'messages[0].content[0].image_url.url';
    const json = (body) => Response.json(body);
    const check = media({ action: 'url_check', url, param }).header;
    if (!check.ok) return json(check);
    const limits = media({ action: 'url_limits' }).header;
    const fetched = await fetchMedia(url, {
      timeoutMs: Number(params.get('timeout_ms') ?? limits.timeout_ms),
      maxRedirects: limits.max_redirects,
      maxBytes: limits.max_bytes,
      allow: (next) => media({ action: 'url_check', url: next, param }).header.ok,
    });
    const r = media(
      {
        action: 'url_inline',
        url,
        param,
        kind: params.get('kind') ?? 'image',
        end: fetched.end,
        status: fetched.status ?? 0,
        content_type: fetched.contentType ?? '',
        redirect_to: fetched.redirectTo ?? '',
      },
      fetched.bytes,
    );
    if (!r.header.ok) return json(r.header);
    return json({ ok: true, part: JSON.parse(new TextDecoder().decode(r.payload)) });
  },
};
