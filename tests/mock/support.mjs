// Shared by the mock's own tests: a tiny client and an SSE parser that insists on CRLF.
import assert from 'node:assert/strict';

export const KEY = `AIzaSy${'A'.repeat(29)}test`;
export const KEY2 = `AIzaSy${'B'.repeat(29)}test`;
export const FLASH = '/v1beta/models/gemini-2.5-flash';
export const PRO3 = '/v1beta/models/gemini-3-pro-preview';

export const userText = (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

/** One request; `key: null` sends none. Answers `{ status, headers, text, json }`. */
export async function call(mock, path, { body, key = KEY, method, headers = {} } = {}) {
  const init = { method: method || (body === undefined ? 'GET' : 'POST'), headers: { ...headers } };
  if (key) init.headers['x-goog-api-key'] = key;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const res = await fetch(mock.url + path, init);
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Parses a whole SSE body, asserting the real framing: "data: {json}\r\n\r\n", no [DONE]. */
export function parseSse(text) {
  assert.ok(text.endsWith('\r\n\r\n'), 'stream ends with a CRLF blank line');
  return text
    .slice(0, -4)
    .split('\r\n\r\n')
    .map((frame) => {
      assert.ok(frame.startsWith('data: '), `frame starts with "data: ": ${frame.slice(0, 20)}`);
      return JSON.parse(frame.slice(6));
    });
}

/** The visible (non-thought) text of a list of stream events, in order. */
export const eventText = (events) =>
  events
    .flatMap((e) => e.candidates?.[0]?.content?.parts || [])
    .filter((p) => !p.thought)
    .map((p) => p.text || '')
    .join('');
