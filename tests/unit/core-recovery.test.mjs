// A core that dies (here: out of memory on a 1.1 GB body) is rebuilt on the next call with its
// configuration and pool snapshot, so one bad request cannot take the isolate's others down.
// Runs with scripts/wasm-loader.mjs (npm test passes it to node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI, CoreError, call, callRemembered } from '../../worker-shim/core.mjs';
import { configure, fetchTask, headerValue, open } from './core-driver.mjs';

const KEY = `AIzaSy${'a'.repeat(33)}`;

test('the core is rebuilt after it dies, with its configuration and pool', () => {
  configure();
  callRemembered('POOL_LOAD', { SEED: 1, NOW: Date.now(), BODY: `K 7 ${KEY} a` });
  const old = open('GET', '/v1beta/models');
  assert.ok(fetchTask(old.action), 'an upstream call is under way');
  assert.equal(call('OPEN_COUNT', {}).COUNT, 1);

  // Redacting needs the body and its redacted copy: past the core's 2 GB of memory.
  const huge = new Uint8Array(1100 * 1024 * 1024);
  assert.throws(() => call('REDACT', huge), CoreError);

  const again = open('GET', '/v1beta/models');
  const task = fetchTask(again.action);
  assert.ok(task, 'the configuration came back: the client token is accepted');
  assert.equal(headerValue(task.HEADERS, 'x-goog-api-key'), KEY, 'the pool came back');
  // A request opened on the old instance is refused, not confused with a new one's.
  assert.throws(() => old.feed({ KIND: ABI.event.UPSTREAM_FAILED, SLOT: 0, REASON: ABI.reason.NETWORK }), CoreError);
  old.close();
  again.close();
  assert.equal(call('OPEN_COUNT', {}).COUNT, 0);
});
