// A core that dies (here: out of memory on a 700 MB body) is rebuilt on the next call with its
// configuration and pool snapshot, so one bad request cannot take the isolate's others down.
// Runs with scripts/wasm-loader.mjs (npm test passes it to node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CoreError, CoreStream, OP, call, callRemembered, openStreams } from '../../worker-shim/core.mjs';

test('the core is rebuilt after it dies, with its configuration and pool', () => {
  callRemembered(OP.CONFIGURE, { admin_token: 'a', auth_tokens: 'client-token' });
  callRemembered(OP.POOL_LOAD, { seed: 1 }, `K 7 AIzaSy${'a'.repeat(33)} a`);
  const stream = new CoreStream({ kind: 'chat', model: 'gemini-2.5-flash', stream: true, n: 1, now_ms: 0, request_id: '0' });
  assert.equal(openStreams(), 1);

  // Redacting needs about three copies of the body: past the core's 2 GB of memory.
  const huge = new Uint8Array(700 * 1024 * 1024);
  assert.throws(() => call(OP.REDACT, {}, huge), CoreError);

  const route = call(OP.ROUTE, {
    method: 'GET',
    path: '/v1beta/models',
    headers: { 'x-goog-api-key': 'client-token' },
    now_ms: 0,
  });
  assert.equal(route.header.action, 'upstream', 'the configuration came back');
  assert.equal(call(OP.SELECT, { model: 'm', now_ms: 0 }).header.id, 7, 'the pool came back');
  // A stream opened on the old instance is refused, not confused with a new one's.
  assert.throws(() => stream.push(new Uint8Array(1)), CoreError);
  stream.close();
  assert.equal(openStreams(), 0);
});
