// The golden fixtures of tests/fixtures/responses/, replayed through worker-shim/core.wasm as
// the Worker calls it: POST /v1/responses becomes the Gemini call the Worker makes (after the
// store has answered what the request continues), a Gemini answer the client's answer and the
// record the Worker stores, an upstream SSE body cut anywhere the same client bytes and the
// same record; then GET, input_items and DELETE of stored responses, with the key pool calls
// made on the Worker's own store (the KeyPool object, in Miniflare). Catch2 checks the
// translators themselves (cpp/tests/responses_test.cpp). Each fixture is its own test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  CLIENT,
  FIXTURE_NOW,
  UPSTREAM,
  carry,
  configure,
  cutsFor,
  fixtures,
  headerValue,
  jsonAnswer,
  keyOf,
  keyRows,
  loadPool,
  mediaFrom,
  normalized,
  pickKey,
  send,
  sseAnswer,
  sseEvents,
  streamThrough,
  text,
} from './core-driver.mjs';
import { ABI } from '../../worker-shim/core.mjs';
import { callPool } from '../../worker-shim/pool-client.mjs';
import { startWorker } from '../helpers/worker.mjs';

const encoder = new TextEncoder();
const owner = (credential) => createHash('sha256').update(credential).digest('hex');
// A client that brings its own Gemini key (ALLOW_CLIENT_KEYS): no pool key serves it.
const OWN_KEY = `AIzaSy${'c'.repeat(33)}`;

// Who sends a fixture's request: a pool key serves a token's request; a fixture that names no
// key (`key_id`) is a request no pool key served, made with the client's own key.
function client(keyId) {
  configure({ AUTH_TOKENS: CLIENT, ALLOW_CLIENT_KEYS: 'true' });
  if (keyId) {
    loadPool([keyId]);
    return { headers: { authorization: `Bearer ${CLIENT}` }, owner: owner(CLIENT), key: keyOf(keyId) };
  }
  loadPool([1]);
  return { headers: { authorization: `Bearer ${OWN_KEY}` }, owner: owner(OWN_KEY), key: OWN_KEY };
}

function create(f, who, body = 'request_raw' in f ? f.request_raw : JSON.stringify(f.request)) {
  return send({
    path: '/v1/responses',
    headers: { 'content-type': 'application/json', ...who.headers },
    body,
    now: f.now_ms ?? FIXTURE_NOW,
    requestId: f.request_id,
  });
}

const describe = (action) => (action.BODY ? text(action.BODY).slice(0, 300) : `action ${action.KIND}`);

// The key pool as the fixture's store: loads answer `stored` (the records it holds), saves
// are kept in `saved`; every call is the client's own (`who.owner`).
function fixtureStore(who, stored = []) {
  const loads = [];
  const saved = [];
  const call = (task) => {
    const args = JSON.parse(task.ARGS);
    assert.equal(args[0], who.owner, `${task.NAME} for the client's own records`);
    if (task.NAME === 'responseLoad') {
      loads.push(args[1]);
      return { OK: 1, BODY: encoder.encode(JSON.stringify(stored)) };
    }
    assert.equal(task.NAME, 'responsePut');
    saved.push({ meta: args[1], record: JSON.parse(text(task.BODY)) });
    return { OK: 1, RESULT: '{"stored":true}' };
  };
  return { loads, saved, call };
}

// The record the Worker stores is the fixture's, under its id, continuing what it continues.
function checkRecord(saved, f, label) {
  if (f.record === null || f.record === undefined) {
    assert.deepEqual(saved, [], `${label}: nothing stored`);
    return;
  }
  assert.equal(saved.length, 1, `${label}: one record stored`);
  const [{ meta, record }] = saved;
  assert.deepEqual(normalized(record), normalized(f.record), label);
  assert.deepEqual(meta, { id: f.record.id, previous_id: f.record.previous_response_id ?? '', created_ms: f.record.created_at * 1000 }, label);
}

for (const f of fixtures('responses/requests')) {
  test(`responses request ${f.name}: the Gemini call the Worker makes`, async () => {
    configure({ AUTH_TOKENS: CLIENT, ...(f.model_map ? { MODEL_MAP: f.model_map } : {}) });
    const bound = f.expect.bound_key ?? null;
    // A conversation bound to a key is sent with it, though the pool would pick another.
    const ids = bound ? [1, 2, 3, 4, 5, 6, 7, 8, 9].filter((id) => id !== bound).concat(bound) : [1];
    loadPool(ids);
    if (bound) {
      assert.notEqual(pickKey('gemini-2.5-flash', FIXTURE_NOW), keyOf(bound), 'the pool picks another key on its own');
      loadPool(ids);
    }
    const who = { headers: { authorization: `Bearer ${CLIENT}` }, owner: owner(CLIENT) };
    const store = fixtureStore(who, f.stored);
    const req = create(f, who);
    try {
      const { action, fetch } = await carry(req, f.now_ms ?? FIXTURE_NOW, { call: store.call, media: mediaFrom(f.fetched) });
      if (f.expect.ids_to_load) {
        assert.deepEqual(store.loads, f.expect.ids_to_load.length ? [f.expect.ids_to_load] : [], 'what the store is asked for');
      }
      if (f.expect.status === 200) {
        assert.ok(fetch, describe(action));
        const url = new URL(fetch.URL);
        assert.equal(url.origin, UPSTREAM);
        assert.equal(url.pathname, f.expect.path);
        assert.equal(url.search.replace(/^\?/, ''), f.expect.query ?? '');
        assert.ok(url.pathname.startsWith(`/v1beta/models/${f.expect.model}:`), url.pathname);
        assert.equal(fetch.METHOD, 'POST');
        assert.equal(headerValue(fetch.HEADERS, 'x-goog-api-key'), keyOf(bound ?? 1), 'the key the call is sent with');
        assert.deepEqual(JSON.parse(text(fetch.BODY)), f.expect.gemini);
      } else {
        assert.equal(action.KIND, ABI.action.RESPOND, describe(action));
        assert.equal(action.STATUS, f.expect.status);
        assert.match(headerValue(action.HEADERS, 'content-type'), /^application\/json/);
        const { error } = JSON.parse(text(action.BODY));
        assert.equal(error.type, f.expect.type ?? 'invalid_request_error');
        if ('param' in f.expect) assert.equal(error.param, f.expect.param);
        if ('code' in f.expect) assert.equal(error.code, f.expect.code);
        if (f.expect.message_contains) assert.ok(error.message.includes(f.expect.message_contains), error.message);
      }
    } finally {
      req.close();
    }
  });
}

for (const f of fixtures('responses/responses')) {
  test(`responses answer ${f.name}: the client's answer and the stored record`, async () => {
    // Answers arrive indented and compact: the same bytes for the client either way.
    const bodies = 'gemini_raw' in f ? { raw: f.gemini_raw } : { indented: JSON.stringify(f.gemini, null, 2), compact: JSON.stringify(f.gemini) };
    let first = null;
    for (const [form, body] of Object.entries(bodies)) {
      const label = `${f.name} (${form})`;
      const who = client(f.key_id);
      const store = fixtureStore(who);
      const now = f.now_ms ?? FIXTURE_NOW;
      const req = create(f, who);
      try {
        const { action } = await carry(req, now, {
          call: store.call,
          fetch: (task) => {
            assert.equal(headerValue(task.HEADERS, 'x-goog-api-key'), who.key, label);
            return jsonAnswer(body);
          },
        });
        assert.equal(action.KIND, ABI.action.RESPOND, `${label}: ${describe(action)}`);
        assert.equal(action.STATUS, f.expect.status, label);
        assert.match(headerValue(action.HEADERS, 'content-type'), /^application\/json/, label);
        assert.doesNotMatch(text(action.BODY), /AIza/, label);
        assert.deepEqual(normalized(JSON.parse(text(action.BODY))), normalized(f.expect.body), label);
        checkRecord(store.saved, f, label);
        if (first === null) first = text(action.BODY);
        else assert.equal(text(action.BODY), first, `${label}: the same bytes as indented`);
      } finally {
        req.close();
      }
    }
  });
}

for (const f of fixtures('responses/streams')) {
  test(`responses stream ${f.name}: the client's events and the stored record under any chunking`, async () => {
    const sse = encoder.encode(f.sse);
    const now = f.now_ms ?? FIXTURE_NOW;
    let first = null;
    for (const cuts of cutsFor(sse.length)) {
      const label = `${f.name} cut at [${cuts.slice(0, 12).join(',')}${cuts.length > 12 ? ',…' : ''}]`;
      const who = client(f.key_id);
      const store = fixtureStore(who);
      const req = create(f, who);
      try {
        const { action } = await carry(req, now, { call: store.call, fetch: () => sseAnswer(sse) });
        assert.equal(action.KIND, ABI.action.STREAM, `${label}: ${describe(action)}`);
        assert.equal(action.MODE, 1, label);
        assert.equal(headerValue(action.HEADERS, 'content-type'), 'text/event-stream; charset=utf-8', label);
        const { out, end } = streamThrough(req, sse, cuts);
        assert.equal(end.OK, 1, `${label}: the client's stream closes`);
        // The record is saved before the client's last bytes go out (stream.mjs).
        for (const task of end.TASK ?? []) {
          assert.equal(task.KIND, ABI.task.CALL, label);
          store.call(task);
        }
        if (first === null) {
          first = text(out);
          const events = sseEvents(first);
          assert.equal(events.length, f.expect.length, label);
          events.forEach(({ data }, i) => {
            assert.equal(data.sequence_number, i, `${label}: event ${i}'s sequence_number`);
            assert.deepEqual(normalized(data), normalized(f.expect[i]), `${label}: event ${i}`);
          });
          assert.doesNotMatch(first, /AIza/, label);
          checkRecord(store.saved, f, label);
          const rows = keyRows(now);
          if (f.key_id) assert.equal(rows[0].error === null, f.ok, `${label}: ok is ${f.ok}, the key's error ${rows[0].error}`);
        } else {
          assert.equal(text(out), first, label);
          assert.equal(store.saved.length, f.record ? 1 : 0, label);
        }
      } finally {
        req.close();
      }
    }
  });
}

// What GET answers without include: the response, its reasoning's encrypted_content left out.
function withoutEncrypted(response) {
  return { ...response, output: response.output.map(({ encrypted_content: _, ...item }) => item) };
}

test('stored responses through the Worker\'s store: saved, read, listed, continued, deleted, each client\'s own', async (t) => {
  const worker = await startWorker({ geminiBase: 'http://127.0.0.1:9', authTokens: ['unused'] });
  const env = { KEY_POOL: await worker.mf.getDurableObjectNamespace('KEY_POOL') };
  const onPool = (task) => callPool(env, task);
  const other = { authorization: 'Bearer other-token' };
  try {
    const saved = fixtures('responses/responses').filter((f) => f.record);
    assert.ok(saved.length >= 10, `${saved.length} answers leave a record`);
    for (const f of saved) {
      await t.test(f.name, async () => {
        const now = f.now_ms ?? FIXTURE_NOW;
        const who = client(f.key_id);
        configure({ AUTH_TOKENS: `${CLIENT},other-token`, ALLOW_CLIENT_KEYS: 'true' });
        const id = f.record.id;
        const ask = async (method, path, { query = '', headers = who.headers, body, fetch } = {}) => {
          const req = send({ method, path, query, headers: { 'content-type': 'application/json', ...headers }, body, now });
          try {
            return (await carry(req, now, { call: onPool, fetch })).action;
          } finally {
            req.close();
          }
        };
        const json = (action) => JSON.parse(text(action.BODY));
        const created = await ask('POST', '/v1/responses', { body: JSON.stringify(f.request), fetch: () => jsonAnswer(f.gemini_raw ?? JSON.stringify(f.gemini)) });
        assert.equal(created.STATUS, 200, f.name);

        const full = await ask('GET', `/v1/responses/${id}`, { query: 'include%5B%5D=reasoning.encrypted_content' });
        assert.equal(full.STATUS, 200, `${f.name}: ${text(full.BODY)}`);
        assert.deepEqual(normalized(json(full)), normalized(f.record.response), f.name);
        const plain = await ask('GET', `/v1/responses/${id}`);
        assert.deepEqual(normalized(json(plain)), normalized(withoutEncrypted(f.record.response)), f.name);
        const items = await ask('GET', `/v1/responses/${id}/input_items`);
        assert.deepEqual(json(items).data.map((item) => item.id), f.record.input.map((item) => item.id).reverse(), f.name);
        assert.equal((await ask('GET', `/v1/responses/${id}`, { headers: other })).STATUS, 404, `${f.name}: another client's`);
        assert.equal((await ask('DELETE', `/v1/responses/${id}`, { headers: other })).STATUS, 404, `${f.name}: another client's`);

        // A follow-up continues the stored conversation, on the key that served it (its Gemini 3
        // signatures belong to that key's project), though the pool would pick another.
        if (f.key_id) {
          const ids = [1, 2, 3, 4, 5, 6, 7, 8, 9].filter((k) => k !== f.key_id).concat(f.key_id);
          loadPool(ids);
          assert.notEqual(pickKey('gemini-2.5-flash', now), keyOf(f.key_id), 'the pool picks another key on its own');
          loadPool(ids);
        }
        let sent = null;
        const next = { model: f.request.model, previous_response_id: id, input: 'Next?', store: false };
        const followed = await ask('POST', '/v1/responses', {
          body: JSON.stringify(next),
          fetch: (task) => {
            sent = task;
            return jsonAnswer('{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP"}]}');
          },
        });
        assert.equal(followed.STATUS, 200, `${f.name}: ${text(followed.BODY)}`);
        assert.equal(headerValue(sent.HEADERS, 'x-goog-api-key'), who.key, `${f.name}: the key that served the stored answer`);
        const contents = JSON.parse(text(sent.BODY)).contents;
        const asked = f.record.input[0].content[0].text;
        assert.deepEqual(contents[0].parts[0], { text: asked }, `${f.name}: the stored conversation goes first`);
        assert.equal(contents.at(-1).role, 'user', f.name);
        assert.deepEqual(contents.at(-1).parts.at(-1), { text: 'Next?' }, f.name);

        assert.deepEqual(json(await ask('DELETE', `/v1/responses/${id}`)), { id, object: 'response', deleted: true }, f.name);
        assert.equal((await ask('GET', `/v1/responses/${id}`)).STATUS, 404, `${f.name}: deleted`);
        assert.equal((await ask('DELETE', `/v1/responses/${id}`)).STATUS, 404, `${f.name}: deleted`);
      });
    }
  } finally {
    await worker.dispose();
  }
});
