// The paste parser behind "Add keys" (public/js/parse-keys.js): plain Node, no browser.

import test from 'node:test';
import assert from 'node:assert/strict';
import { parseKeys, batches } from '../../public/js/parse-keys.js';

const key = (fill) => `AIza${fill.repeat(35).slice(0, 35)}`;
const A = key('A');
const B = key('b1_-');
const C = key('Zz9');

test('one per line, commas, semicolons, spaces and tabs', () => {
  const { keys, repeated, malformed } = parseKeys(`${A}\n${B},${C}`);
  assert.deepEqual(keys, [A, B, C]);
  assert.equal(repeated, 0);
  assert.deepEqual(malformed, []);
  assert.deepEqual(parseKeys(`${A}; ${B}\t${C}\r\n`).keys, [A, B, C]);
});

test('keys inside other text: .env lines, JSON, URLs, quotes', () => {
  const text = `GEMINI_API_KEY=${A}\n{"keys": ["${B}"]}\nhttps://x.test/v1?key=${C}&alt=sse`;
  assert.deepEqual(parseKeys(text).keys, [A, B, C]);
  assert.deepEqual(parseKeys(`here are my keys: '${A}' and (${B}).`).keys, [A, B]);
});

test('repeats are counted once and reported', () => {
  const { keys, repeated } = parseKeys([A, B, A, A, B].join('\n'));
  assert.deepEqual(keys, [A, B]);
  assert.equal(repeated, 3);
});

test('near-keys are malformed, ordinary words are ignored', () => {
  const tooLong = `${A}x`;
  const glued = `${A}${B}`;
  const { keys, malformed } = parseKeys(`hello world\nAIzaShort\n${tooLong}\nx${A}\n${glued}\n${'q'.repeat(40)}`);
  assert.deepEqual(keys, []);
  assert.deepEqual(malformed, ['AIzaShort', tooLong, `x${A}`, glued, 'q'.repeat(40)]);
});

test('empty input', () => {
  assert.deepEqual(parseKeys(''), { keys: [], repeated: 0, malformed: [] });
  assert.deepEqual(parseKeys(' \n ,, ; '), { keys: [], repeated: 0, malformed: [] });
});

test('batches split long lists for the 20 000-entry request limit', () => {
  const items = Array.from({ length: 12001 }, (_, i) => i);
  assert.deepEqual(batches(items).map((b) => b.length), [5000, 5000, 2001]);
  assert.deepEqual(batches([]), []);
});
