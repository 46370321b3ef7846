// Media URLs in chat requests, in workerd: worker-shim/media-fetch.mjs does the fetching and the
// core's policy (media_url.h, through BAL_OP_MEDIA) decides, against a local image server that
// misbehaves in every way the limits are for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startWorker } from '../helpers/worker.mjs';

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(64, 1)]);
const LIMIT = 15 * 1024 * 1024;
let server;
let base;
let worker;
const hanging = new Set();

function route(req, res) {
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
  worker = await startWorker({ scriptPath: 'tests/helpers/media-fetch-worker.mjs' });
});

after(async () => {
  await worker?.dispose();
  for (const res of hanging) res.destroy();
  server.closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
});

async function fetchThrough(path, extra = '') {
  const url = path.includes('://') ? path : `${base}${path}`;
  const res = await worker.fetch(`/fetch?url=${encodeURIComponent(url)}${extra}`);
  return res.json();
}

test('an image becomes an inline part; its bytes decide its type', async () => {
  for (const path of ['/cat.png', '/unlabelled', '/relative', '/hop/4']) {
    const r = await fetchThrough(path);
    assert.equal(r.ok, true, `${path}: ${r.message}`);
    assert.equal(r.part.inlineData.mimeType, 'image/png');
    assert.equal(r.part.inlineData.data, PNG.toString('base64'));
  }
});

test('more than 5 redirects is a 400 naming the URL', async () => {
  const r = await fetchThrough('/hop/5'); // /hop/N redirects N + 1 times
  assert.equal(r.ok, false);
  assert.equal(r.status, 400);
  assert.equal(r.code, 'invalid_media_url');
  assert.equal(r.param, 'messages[0].content[0].image_url.url');
  assert.match(r.message, /\/hop\/5 redirects more than 5 times/);
});

test('too big: stopped at the content-length, and while reading without one', async () => {
  for (const path of ['/big-declared', '/big-chunked']) {
    const started = Date.now();
    const r = await fetchThrough(path);
    assert.equal(r.ok, false, path);
    assert.match(r.message, /larger than 15 MB/, path);
    assert.ok(Date.now() - started < 5000, `${path} stopped early`);
  }
});

test('not an image, a 404, a refused redirect: each a 400 saying which', async () => {
  const cases = [
    ['/html', /is not a PNG, JPEG, WebP, HEIC or HEIF image \(it is text\/html; charset=utf-8\)/],
    ['/missing', /answered HTTP 404/],
    ['/to-ftp', /redirects to ftp:\/\/files\.test\/cat\.png, which is not fetched/],
    ['/no-location', /redirects without a Location/],
    ['ftp://files.test/cat.png', /is not an http or https URL/],
    ['http://user:secret@127.0.0.1/cat.png', /credentials/],
  ];
  for (const [path, message] of cases) {
    const r = await fetchThrough(path);
    assert.equal(r.ok, false, path);
    assert.equal(r.status, 400, path);
    assert.match(r.message, message, path);
  }
});

test('a server that never answers times out', async () => {
  const started = Date.now();
  const r = await fetchThrough('/hang', '&timeout_ms=500');
  assert.equal(r.ok, false);
  assert.match(r.message, /did not answer within/);
  assert.ok(Date.now() - started < 5000);
});

test('a host that cannot be reached', async () => {
  const r = await fetchThrough('http://127.0.0.1:1/cat.png');
  assert.equal(r.ok, false);
  assert.match(r.message, /could not be reached/);
});
