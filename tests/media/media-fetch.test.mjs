// Image URLs in chat requests through the real Worker in workerd: the core names the URLs, the
// shim fetches each one (worker-shim/media-fetch.mjs), the core follows redirects and decides,
// against a local image server that misbehaves in every way the limits are for. Every failure
// is the client's 400 naming the URL, and no key is blamed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { CLIENT, setup, testKey } from '../integration/support.mjs';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 1)]);
const LIMIT = 15 * 1024 * 1024;
let server;
let base;
let env;
const hanging = new Set();
const seen = []; // the headers of every request the image server got

function route(req, res) {
  seen.push(req.headers);
  const path = new URL(req.url, 'http://x').pathname;
  const hop = /^\/hop\/(\d+)$/.exec(path);
  if (hop) {
    const n = Number(hop[1]);
    res.writeHead(302, { location: n === 0 ? '/cat.png' : `/hop/${n - 1}` });
    return res.end();
  }
  switch (path) {
    case '/cat.png':
      return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    case '/unlabelled':
      return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(PNG);
    case '/relative':
      return res.writeHead(301, { location: 'cat.png' }).end();
    case '/to-ftp':
      return res.writeHead(302, { location: 'ftp://files.test/cat.png' }).end();
    case '/no-location':
      return res.writeHead(302).end();
    case '/html':
      return res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<html>not an image</html>');
    case '/missing':
      return res.writeHead(404, { 'content-type': 'text/plain' }).end('no');
    case '/big-declared':
      // Says 16 MB up front; the fetch must stop at the header.
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': String(LIMIT + 1024 * 1024) });
      res.write(PNG);
      hanging.add(res);
      return undefined;
    case '/big-chunked': {
      // No content-length: only counting while reading can stop it.
      res.writeHead(200, { 'content-type': 'image/png' });
      const chunk = Buffer.alloc(256 * 1024, 2);
      let sent = 0;
      const pump = () => {
        while (sent < LIMIT + 2 * chunk.length) {
          sent += chunk.length;
          if (!res.write(chunk)) return res.once('drain', pump);
        }
        return res.end();
      };
      res.on('close', () => (sent = Infinity));
      return pump();
    }
    case '/hang':
      hanging.add(res);
      return undefined;
    default:
      return res.writeHead(404).end();
  }
}

before(async () => {
  server = http.createServer(route);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${server.address().port}`;
  env = await setup({ keys: [testKey('fetch-a'), testKey('fetch-b')] });
});

after(async () => {
  await env?.close();
  for (const res of hanging) res.destroy();
  server.closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
});

async function chat(urls) {
  const content = [{ type: 'text', text: 'What is this?' }];
  for (const u of urls) content.push({ type: 'image_url', image_url: { url: u.includes('://') ? u : `${base}${u}` } });
  const res = await fetch(`${env.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json', cookie: 'session=secret' },
    body: JSON.stringify({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content }] }),
  });
  return { status: res.status, body: await res.json() };
}

const lastGeminiParts = () => env.mock.requests.at(-1).json().contents[0].parts;

test('images become inline parts; their bytes decide their type; redirects are followed', async () => {
  env.mock.reset();
  const paths = ['/cat.png', '/unlabelled', '/relative', '/hop/4'];
  const r = await chat(paths);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const parts = lastGeminiParts();
  assert.equal(parts.length, 1 + paths.length);
  for (const p of parts.slice(1)) assert.deepEqual(p.inlineData, { mimeType: 'image/png', data: PNG.toString('base64') });
  assert.deepEqual(env.mock.violations, []);
});

test('nothing of the client reaches the image server', async () => {
  seen.length = 0;
  await chat(['/cat.png']);
  assert.ok(seen.length >= 1);
  for (const h of seen) {
    for (const name of ['authorization', 'cookie', 'x-goog-api-key', 'x-api-key']) assert.equal(h[name], undefined, name);
    assert.ok(!JSON.stringify(h).includes(CLIENT));
  }
});

test('every failure is a 400 naming the URL and saying what is wrong', async () => {
  const cases = [
    ['/hop/5', /\/hop\/5 redirects more than 5 times/], // /hop/N redirects N + 1 times
    ['/big-declared', /larger than 15 MB/],
    ['/big-chunked', /larger than 15 MB/],
    ['/html', /is not a PNG, JPEG, WebP, HEIC or HEIF image \(it is text\/html; charset=utf-8\)/],
    ['/missing', /answered HTTP 404/],
    ['/to-ftp', /redirects to ftp:\/\/files\.test\/cat\.png, which is not fetched/],
    ['/no-location', /redirects without a Location/],
    ['ftp://files.test/cat.png', /must be an http\(s\) URL or a base64 data URL/],
    ['http://user:secret@127.0.0.1/cat.png', /credentials/],
    ['http://127.0.0.1:1/cat.png', /could not be reached/],
  ];
  env.mock.reset();
  for (const [path, message] of cases) {
    const started = Date.now();
    const r = await chat([path]);
    assert.equal(r.status, 400, path);
    assert.equal(r.body.error.type, 'invalid_request_error', path);
    assert.equal(r.body.error.param, 'messages[0].content[1].image_url.url', path);
    assert.match(r.body.error.message, message, path);
    assert.ok(Date.now() - started < 5000, `${path} stopped early`);
  }
  assert.equal(env.mock.requests.length, 0, 'Gemini was never called');
  const keys = await env.adminJson('/api/keys');
  assert.ok(keys.body.keys.every((k) => k.status === 'active' && !k.failures), 'no key blamed');
});

test('a server that never answers: the fetch gives up after 10 s', async () => {
  const started = Date.now();
  const r = await chat(['/hang']);
  assert.equal(r.status, 400);
  assert.match(r.body.error.message, /\/hang did not answer within 10 s/);
  assert.ok(Date.now() - started < 15_000);
});
