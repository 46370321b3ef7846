// The JSON reader's string scan on core.wasm itself (16 bytes a step with Wasm SIMD, 8 in the
// native tests' build): a quote, an escape, a control byte, non-ASCII text or a malformed
// UTF-8 byte at every offset of a long string must be read exactly as at any other offset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI, callRemembered } from '../../worker-shim/core.mjs';
import { CLIENT, configure, fetchTask, open } from './core-driver.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

configure();
callRemembered('POOL_LOAD', { SEED: 1, NOW: Date.now(), BODY: `K 1 AIzaSy${'k'.repeat(33)} a` });

// The chat request with `content` spliced in raw (bytes of a JSON string's inside), and what
// the core answered: the Gemini body it would send, or its error.
function translate(contentBytes) {
  const head = encoder.encode('{"model":"gemini-3.8-flash","messages":[{"role":"user","content":"');
  const tail = encoder.encode('"}]}');
  const body = new Uint8Array(head.length + contentBytes.length + tail.length);
  body.set(head);
  body.set(contentBytes, head.length);
  body.set(tail, head.length + contentBytes.length);
  const req = open('POST', '/v1/chat/completions', { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' });
  try {
    const act = req.feed({ KIND: ABI.event.BODY, BODY: body, NOW: Date.now() });
    const fetch = fetchTask(act);
    if (fetch) return { sent: JSON.parse(decoder.decode(fetch.BODY)).contents[0].parts[0].text };
    return { status: act.STATUS, error: JSON.parse(decoder.decode(act.BODY)).error };
  } finally {
    req.close();
  }
}

const filler = (n) => encoder.encode('abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, n));
const join = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

test('a string is read the same whatever the offset of what stops the scan', () => {
  const cases = [
    { name: 'an escaped quote', bytes: encoder.encode('\\"'), text: '"' },
    { name: 'an escaped backslash', bytes: encoder.encode('\\\\'), text: '\\' },
    { name: 'a \\u escape', bytes: encoder.encode('\\u00e9'), text: 'é' },
    { name: 'a surrogate pair', bytes: encoder.encode('\\ud83d\\ude80'), text: '🚀' },
    { name: 'CJK text', bytes: encoder.encode('说明一下'), text: '说明一下' },
    { name: 'a four-byte character', bytes: encoder.encode('🚀'), text: '🚀' },
    { name: 'DEL, the last plain byte', bytes: Uint8Array.of(0x7f), text: '\x7f' },
    { name: 'a space, the first plain byte', bytes: Uint8Array.of(0x20), text: ' ' },
  ];
  for (const c of cases) {
    for (let before = 0; before <= 40; before++) {
      const got = translate(join(filler(before), c.bytes, filler(40 - before)));
      const want = decoder.decode(filler(before)) + c.text + decoder.decode(filler(40 - before));
      assert.equal(got.sent, want, `${c.name} after ${before} bytes`);
    }
  }
});

test('a control byte or malformed UTF-8 is refused at every offset, with the route\'s 400', () => {
  const cases = [
    { name: 'a raw newline', bytes: Uint8Array.of(0x0a) },
    { name: 'a NUL byte', bytes: Uint8Array.of(0x00) },
    { name: 'the last control byte', bytes: Uint8Array.of(0x1f) },
    { name: 'a lone continuation byte', bytes: Uint8Array.of(0x80) },
    { name: 'a 0xFF byte', bytes: Uint8Array.of(0xff) },
    { name: 'an overlong slash', bytes: Uint8Array.of(0xc0, 0xaf) },
    { name: 'a UTF-16 surrogate in UTF-8', bytes: Uint8Array.of(0xed, 0xa0, 0x80) },
    { name: 'CJK cut short', bytes: Uint8Array.of(0xe8, 0xaf) },
    { name: 'CJK then a stray byte', bytes: join(encoder.encode('说明'), Uint8Array.of(0xbf)) },
  ];
  for (const c of cases) {
    for (let before = 0; before <= 40; before++) {
      const got = translate(join(filler(before), c.bytes, filler(40 - before)));
      assert.equal(got.status, 400, `${c.name} after ${before} bytes`);
      assert.equal(got.error.type, 'invalid_request_error', `${c.name} after ${before} bytes`);
    }
  }
});
