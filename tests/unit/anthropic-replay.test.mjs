// The golden fixtures of tests/fixtures/anthropic/, replayed through worker-shim/core.wasm as
// the Worker calls it: a client's request to /v1/messages or /v1/messages/count_tokens (with
// x-api-key or a bearer token, and anthropic-version) becomes the Gemini call the Worker
// makes; a Gemini answer becomes the client's answer; an upstream SSE body, cut into network
// chunks anywhere, becomes the same client bytes. Catch2 checks the translators themselves
// (cpp/tests/anthropic_*_test.cpp); this checks the artifact that ships, through the machine.
// Each fixture is its own test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  CLIENT,
  FIXTURES,
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
  send,
  sseAnswer,
  sseEvents,
  streamThrough,
  text,
} from './core-driver.mjs';
import { ABI } from '../../worker-shim/core.mjs';

const VERSION = { 'anthropic-version': '2023-06-01' };
// The two ways an Anthropic client authenticates (CONTRACT.md).
const AUTHS = { 'x-api-key': { 'x-api-key': CLIENT }, bearer: { authorization: `Bearer ${CLIENT}` } };
const JSON_TYPE = 'application/json; charset=utf-8';

function setUp(bindings = {}) {
  configure({ AUTH_TOKENS: CLIENT, ...bindings });
  loadPool([1]);
}

// The client's request of a request fixture: its body (or the captured Claude Code request it
// names, sent with the capture's own headers and query) to the fixture's endpoint.
function clientRequest(f, credentials) {
  const path = f.endpoint === 'count_tokens' ? '/v1/messages/count_tokens' : '/v1/messages';
  if (f.capture) {
    const capture = JSON.parse(readFileSync(new URL(`anthropic/captures/${f.capture}`, FIXTURES), 'utf8'));
    return { path, query: capture.query.replace(/^\?/, ''), headers: { ...capture.headers, ...credentials }, body: JSON.stringify(capture.body) };
  }
  const body = 'anthropic_raw' in f ? f.anthropic_raw : JSON.stringify(f.anthropic);
  return { path, headers: { 'content-type': 'application/json', ...VERSION, ...credentials }, body };
}

function describe(action) {
  return action.BODY ? text(action.BODY).slice(0, 300) : `action ${action.KIND}`;
}

for (const f of fixtures('anthropic/requests')) {
  test(`anthropic request ${f.name}: the Gemini call the Worker makes`, async () => {
    for (const [auth, credentials] of Object.entries(AUTHS)) {
      const label = `${f.name} (${auth})`;
      setUp(f.model_map ? { MODEL_MAP: f.model_map } : {});
      const req = send(clientRequest(f, credentials));
      try {
        const { action, fetch } = await carry(req, FIXTURE_NOW, { media: mediaFrom(f.fetched) });
        if (f.expect.status === 200) {
          assert.ok(fetch, `${label}: ${describe(action)}`);
          const url = new URL(fetch.URL);
          assert.equal(url.origin, UPSTREAM, label);
          assert.equal(url.pathname, f.expect.call.path, label);
          assert.equal(url.search.replace(/^\?/, ''), f.expect.call.query ?? '', label);
          assert.equal(fetch.METHOD, f.expect.call.method ?? 'POST', label);
          assert.equal(headerValue(fetch.HEADERS, 'x-goog-api-key'), keyOf(1), label);
          assert.equal(headerValue(fetch.HEADERS, 'content-type'), 'application/json', label);
          assert.deepEqual(JSON.parse(text(fetch.BODY)), f.expect.gemini, label);
        } else {
          assert.equal(action.KIND, ABI.action.RESPOND, `${label}: ${describe(action)}`);
          assert.equal(action.STATUS, f.expect.status, label);
          assert.equal(headerValue(action.HEADERS, 'content-type'), JSON_TYPE, label);
          const body = JSON.parse(text(action.BODY));
          assert.equal(body.type, 'error', label);
          assert.equal(body.error.type, f.expect.type, label);
          if (f.expect.message_contains) assert.ok(body.error.message.includes(f.expect.message_contains), `${label}: ${body.error.message}`);
        }
      } finally {
        req.close();
      }
    }
  });
}

// The request the answer fixtures assume (anthropic_response_test.cpp: exchange_for).
function messages(model, stream) {
  const body = { model, max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] };
  if (stream) body.stream = true;
  return { path: '/v1/messages', headers: { 'content-type': 'application/json', ...VERSION, 'x-api-key': CLIENT }, body: JSON.stringify(body) };
}

// The usage a fixture states, as the key events count it: the prompt, and what the model wrote.
function checkUsage(rows, usage, label) {
  const [row] = rows;
  assert.ok(row, `${label}: a key event`);
  assert.equal(row.prompt_tokens, usage.prompt, `${label}: prompt tokens`);
  assert.equal(row.completion_tokens, usage.candidates + usage.thoughts, `${label}: completion tokens`);
}

for (const f of fixtures('anthropic/responses')) {
  test(`anthropic answer ${f.name}: the client's answer`, async () => {
    // Answers arrive compact and indented: the same answer either way.
    const bodies = 'gemini_raw' in f ? { raw: f.gemini_raw } : { compact: JSON.stringify(f.gemini), indented: JSON.stringify(f.gemini, null, 2) };
    for (const [form, body] of Object.entries(bodies)) {
      const label = `${f.name} (${form})`;
      setUp();
      const req = send(messages(f.model, false));
      try {
        const { action } = await carry(req, FIXTURE_NOW, { fetch: () => jsonAnswer(body) });
        assert.equal(action.KIND, ABI.action.RESPOND, label);
        assert.equal(action.STATUS, f.expect.status, label);
        assert.equal(headerValue(action.HEADERS, 'content-type'), JSON_TYPE, label);
        assert.equal(headerValue(action.HEADERS, 'x-balancer-attempts'), '1', label);
        assert.doesNotMatch(text(action.BODY), /AIza/, label);
        assert.deepEqual(JSON.parse(text(action.BODY)), f.expect.anthropic, label);
        if (f.expect.usage) checkUsage(keyRows(), f.expect.usage, label);
      } finally {
        req.close();
      }
    }
  });
}

for (const f of fixtures('anthropic/streams')) {
  test(`anthropic stream ${f.name}: the client's events under any chunking`, async () => {
    const sse = new TextEncoder().encode(f.sse);
    let first = null;
    for (const cuts of cutsFor(sse.length)) {
      const label = `${f.name} cut at [${cuts.slice(0, 12).join(',')}${cuts.length > 12 ? ',…' : ''}]`;
      setUp();
      const req = send(messages(f.model, true));
      try {
        const { action } = await carry(req, FIXTURE_NOW, { fetch: () => sseAnswer(sse) });
        assert.equal(action.KIND, ABI.action.STREAM, `${label}: ${describe(action)}`);
        assert.equal(action.MODE, 1, label);
        assert.equal(action.STATUS, 200, label);
        assert.equal(headerValue(action.HEADERS, 'content-type'), 'text/event-stream; charset=utf-8', label);
        assert.equal(headerValue(action.HEADERS, 'cache-control'), 'no-cache', label);
        const { out, end } = streamThrough(req, sse, cuts);
        assert.equal(end.OK, 1, `${label}: the client's stream closes`);
        assert.equal(end.TASK, undefined, label);
        if (!first) {
          first = out;
          assert.deepEqual(sseEvents(text(out)), f.expect, label);
          // The stream's verdict reaches the key pool: one that broke leaves the key its error.
          const rows = keyRows();
          assert.equal(rows.length, 1, label);
          assert.equal(rows[0].error === null, f.ok, `${label}: ok is ${f.ok}, the key's error ${rows[0].error}`);
          if (f.usage) checkUsage(rows, f.usage, label);
        } else {
          assert.equal(text(out), text(first), label);
        }
      } finally {
        req.close();
      }
    }
  });
}
