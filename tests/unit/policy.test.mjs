// The KeyPool object's policies (how long it keeps what it stores, how much of it, how key
// checks are paced) are the core's (BAL_POLICIES in cpp/abi/balancer.h), handed over by
// bal_describe: each is a number, and the shim applies every one of them.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { tables } from '../../worker-shim/core.mjs';

const shim = new URL('../../worker-shim/', import.meta.url);

test('every policy the core hands over is a positive whole number that the shim applies', () => {
  const policy = tables().policy;
  const names = Object.keys(policy);
  assert.ok(names.length >= 15, `${names.length} policies`);
  const sources = readdirSync(shim)
    .filter((f) => f.endsWith('.mjs') && f !== 'core.mjs')
    .map((f) => readFileSync(new URL(f, shim), 'utf8'))
    .join('\n')
    // Code only: a name in a comment (a comment line, or ` // …` after code) applies nothing.
    .replace(/^\s*(\/\/|\/\*|\*).*$|\s\/\/\s.*$/gm, '');
  for (const name of names) {
    assert.ok(Number.isSafeInteger(policy[name]) && policy[name] > 0, `${name} = ${policy[name]}`);
    assert.match(sources, new RegExp(`\\b${name}\\b`), `${name} is not applied by the shim`);
  }
  // The README promises 30 days of stored answers; the admin UI charts 168 hours of usage.
  assert.equal(policy.RESPONSE_TTL_MS, 30 * 24 * 3600 * 1000);
  assert.equal(policy.USAGE_KEEP_MS, 7 * 24 * 3600 * 1000);
});
