// A page on another origin, in real headless Chromium, calling the Worker the way browser
// SDKs do: the OpenAI SDK helpers add headers of their own (x-stainless-helper-method), a
// resumable upload needs to read x-goog-upload-url, and the admin API must stay closed to
// cross-origin pages whatever they send.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { openBrowser } from './browser.mjs';
import { ADMIN, CLIENT, setup, testKey } from '../integration/support.mjs';

// The page's own origin: a tiny server on another port, so every call to the Worker is
// cross-origin.
async function startPageServer() {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>client</title><p>client page</p>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://localhost:${server.address().port}/`, close: () => new Promise((r) => server.close(r)) };
}

test('cross-origin browser calls: SDK helper headers, the upload protocol, and a closed admin API', { timeout: 120_000 }, async (t) => {
  const browser = await openBrowser();
  if (browser.skip) {
    t.skip(browser.skip);
    return;
  }
  const env = await setup({ keys: [testKey('cors-1'), testKey('cors-2')] });
  const pageServer = await startPageServer();
  try {
    const page = await browser.context.newPage();
    await page.goto(pageServer.url);
    const results = await page.evaluate(
      async ({ base, token, admin }) => {
        const out = {};
        // What openai-node's chat.completions.stream() sends.
        try {
          const res = await fetch(`${base}/v1/chat/completions`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${token}`,
              'content-type': 'application/json',
              'x-stainless-helper-method': 'stream',
              'x-stainless-retry-count': '0',
              'x-stainless-lang': 'js',
            },
            body: JSON.stringify({ model: 'gemini-2.5-flash', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
          });
          out.chat = { status: res.status, text: await res.text() };
        } catch (err) {
          out.chat = { error: String(err) };
        }
        // A resumable upload: start, read the session URL, finish on it.
        try {
          const start = await fetch(`${base}/upload/v1beta/files`, {
            method: 'POST',
            headers: {
              'x-goog-api-key': token,
              'x-goog-upload-protocol': 'resumable',
              'x-goog-upload-command': 'start',
              'x-goog-upload-header-content-type': 'text/plain',
              'content-type': 'application/json',
            },
            body: '{}',
          });
          const url = start.headers.get('x-goog-upload-url');
          out.upload = { status: start.status, url, uploadStatus: start.headers.get('x-goog-upload-status') };
          if (url) {
            const done = await fetch(url, {
              method: 'POST',
              headers: { 'x-goog-api-key': token, 'x-goog-upload-command': 'upload, finalize', 'x-goog-upload-offset': '0' },
              body: 'hello from a page',
            });
            out.upload.final = { status: done.status, file: (await done.json()).file?.name, uploadStatus: done.headers.get('x-goog-upload-status') };
          }
        } catch (err) {
          out.upload = { error: String(err) };
        }
        // The admin API, even with the right token and a custom header: no CORS at all.
        try {
          const res = await fetch(`${base}/api/keys`, { headers: { authorization: `Bearer ${admin}`, 'x-custom': '1' } });
          out.admin = { status: res.status };
        } catch (err) {
          out.admin = { error: String(err) };
        }
        return out;
      },
      { base: env.url, token: CLIENT, admin: ADMIN },
    );
    assert.equal(results.chat.status, 200, JSON.stringify(results.chat));
    assert.match(results.chat.text, /data: \[DONE\]/);
    assert.equal(results.upload.status, 200, JSON.stringify(results.upload));
    assert.ok(results.upload.url?.startsWith(env.url), `the page reads the upload URL: ${JSON.stringify(results.upload)}`);
    assert.equal(results.upload.uploadStatus, 'active');
    assert.equal(results.upload.final?.status, 200, JSON.stringify(results.upload));
    assert.match(results.upload.final.file, /^files\//);
    assert.equal(results.upload.final.uploadStatus, 'final');
    assert.ok(results.admin.error, `a cross-origin page reached the admin API: ${JSON.stringify(results.admin)}`);
  } finally {
    await browser.dispose();
    await pageServer.close();
    await env.close();
  }
});
