// Shared pieces of the security suites: bounded requests (every one has a timeout), a raw
// HTTP/1.1 client over node:net for what fetch refuses to send, capture of the Worker's
// console output, and checks of each route family's error format.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';

export { ADMIN, CLIENT, CLIENT2, eventually, generateBody, setup, sleep, testKey } from '../integration/support.mjs';

export const REQUEST_TIMEOUT_MS = 10000;

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

// A well-formed key whose middle is random, so a leak of any long part of it is unambiguous.
export function randomKey() {
  const bytes = randomBytes(33);
  return `AIzaSy${Array.from(bytes, (b) => KEY_ALPHABET[b % 64]).join('')}`;
}

// A distinct client address per call (cf-connecting-ip), so failure limits stay per test.
let addressCounter = 0;
export function nextAddress() {
  addressCounter += 1;
  return `10.${(addressCounter >> 16) & 255}.${(addressCounter >> 8) & 255}.${addressCounter & 255}`;
}

// fetch with a timeout; the body is read as bytes so nothing is left streaming.
export async function request(url, init = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
}

// The same through Miniflare's own entry (a fresh connection each time): for requests the
// Worker refuses without reading their whole body, after which workerd resets a reused
// keep-alive connection (see tests/helpers/worker.mjs).
export async function dispatch(env, path, init = {}, timeoutMs = REQUEST_TIMEOUT_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms: ${init.method ?? 'GET'} ${path}`)), timeoutMs);
  });
  try {
    return await Promise.race([
      (async () => {
        const res = await env.worker.fetch(path, init);
        const bytes = Buffer.from(await res.arrayBuffer());
        return { status: res.status, headers: res.headers, bytes, text: bytes.toString('utf8') };
      })(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export function parseJson(text) {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

// The error formats of CONTRACT.md ("Errors").
export function assertFamilyError(family, status, text, context = '') {
  const body = parseJson(text);
  const where = `${context}: ${text.slice(0, 300)}`;
  assert.ok(body && typeof body.error === 'object' && body.error !== null, `not a JSON error body ${where}`);
  const e = body.error;
  assert.equal(typeof e.message, 'string', where);
  if (family === 'openai') {
    assert.equal(typeof e.type, 'string', where);
    assert.ok('param' in e && 'code' in e, `OpenAI errors carry param and code ${where}`);
  } else if (family === 'gemini') {
    assert.equal(e.code, status, where);
    assert.equal(typeof e.status, 'string', where);
  } else {
    assert.equal(typeof e.code, 'string', where);
    assert.ok(!('status' in e) && !('type' in e), `admin errors are {message, code} ${where}`);
  }
}

/**
 * Sends raw bytes to 127.0.0.1:port and reads one HTTP response. Resolves with
 * { status, headers (lower-case names), body (Buffer), raw (latin1 text) }, or with
 * { status: 0, closed | timedOut } when no complete response came. Never hangs: the socket
 * is destroyed after timeoutMs.
 */
export function rawRequest(port, data, timeoutMs = REQUEST_TIMEOUT_MS) {
  return new Promise((resolve) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let done = false;
    const finish = (result) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ raw: buffer.toString('latin1'), ...result });
    };
    const timer = setTimeout(() => finish({ status: 0, timedOut: true }), timeoutMs);
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseResponse(buffer);
      if (parsed) finish(parsed);
    });
    socket.on('error', () => finish({ status: 0, closed: true }));
    socket.on('close', () => finish(parseResponse(buffer, true) ?? { status: 0, closed: true }));
    socket.write(data);
  });
}

// One complete response from `buf`, or null while more bytes are needed.
function parseResponse(buf, atEnd = false) {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const lines = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0])?.[1] ?? 0);
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const rest = buf.subarray(headEnd + 4);
  if (headers['content-length'] !== undefined) {
    const n = Number(headers['content-length']);
    return rest.length >= n ? { status, headers, body: rest.subarray(0, n) } : null;
  }
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const body = dechunk(rest);
    return body ? { status, headers, body } : null;
  }
  if (status === 204 || status === 304) return { status, headers, body: Buffer.alloc(0) };
  return atEnd ? { status, headers, body: rest } : null;
}

function dechunk(buf) {
  const parts = [];
  let at = 0;
  for (;;) {
    const lineEnd = buf.indexOf('\r\n', at);
    if (lineEnd < 0) return null;
    const size = parseInt(buf.subarray(at, lineEnd).toString('latin1'), 16);
    if (Number.isNaN(size)) return null;
    if (size === 0) return buf.indexOf('\r\n', lineEnd + 2) >= 0 ? Buffer.concat(parts) : null;
    if (buf.length < lineEnd + 2 + size + 2) return null;
    parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/**
 * Collects the Worker's console output (workerd's stdout and stderr) line by line:
 * pass `handleRuntimeStdio` to startWorker / setup({ workerOptions }).
 */
export function captureLogs() {
  const lines = [];
  const collect = (stream) => {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop();
      lines.push(...parts);
    });
    stream.on('end', () => {
      if (pending) lines.push(pending);
    });
  };
  return {
    lines,
    handleRuntimeStdio(stdout, stderr) {
      collect(stdout);
      collect(stderr);
    },
  };
}

// Every secret (and the long middle part of each key, which redaction must also hide) that
// `text` contains.
export function leaksIn(text, secrets) {
  const found = [];
  for (const s of secrets) {
    if (text.includes(s)) found.push(s);
    else if (s.startsWith('AIza') && text.includes(s.slice(6, -4))) found.push(`${s} (middle)`);
  }
  return found;
}
