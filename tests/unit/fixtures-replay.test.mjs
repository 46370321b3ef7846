// The golden fixtures of tests/fixtures/openai/, replayed through worker-shim/core.wasm exactly
// as the Worker calls it (core.mjs: OPEN the request, FEED its body, the upstream head and
// body, CHUNK and END a stream), so the same mapping is checked from C++ (Catch2) and from the
// artifact that ships. Runs with scripts/wasm-loader.mjs (npm test passes it to node --test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ABI, call, callRemembered } from '../../worker-shim/core.mjs';
import { FIXTURE_NOW, carry, configure, fetchTask, fixtures, headerValue, jsonAnswer, mediaFrom, normalized, open, send } from './core-driver.mjs';

const KEY = `AIzaSy${'r'.repeat(33)}`;
const decoder = new TextDecoder();

const BEARER = { authorization: 'Bearer client-token', 'content-type': 'application/json' };

// The client request whose translation leaves the answer side the fixture's context.
function requestFor(t) {
  if (t.kind === 'models') return ['GET', '/v1/models'];
  if (t.kind === 'model') return ['GET', `/v1/models/${t.id}`];
  if (t.kind === 'embeddings') {
    const input = Array.from({ length: t.count ?? 1 }, (_, i) => `text ${i}`);
    return ['POST', '/v1/embeddings', { model: t.model, input, encoding_format: t.encoding_format }];
  }
  const body = { model: t.model, messages: [{ role: 'user', content: 'Hi' }] };
  if (t.stream) body.stream = true;
  if (t.include_usage) body.stream_options = { include_usage: true };
  if (t.n > 1) body.n = t.n;
  if (t.include_reasoning) body.google = { thinking_config: { include_thoughts: true } };
  if (t.custom_tools) body.tools = t.custom_tools.map((name) => ({ type: 'custom', custom: { name } }));
  return ['POST', '/v1/chat/completions', body];
}

// Why a fixture cannot be reached through a request (its context is one no request makes).
function unreachable(t) {
  if (t.retry_after_ms) return 'retry_after_ms is the pool\'s figure, not an upstream answer\'s';
  if (t.kind === 'chat' && !/^[\w.-]+$/.test(t.model.replace(/^models\//, ''))) return 'the model name is refused before translation';
  return null;
}

// Opens the fixture's request (head and body), with the fixture's clock and request id.
function openFixture(t) {
  const [method, path, body] = requestFor(t);
  const now = t.now_ms ?? FIXTURE_NOW;
  const req = send({ method, path, headers: BEARER, body: body && JSON.stringify(body), now, requestId: t.request_id });
  return { req, act: req.action, now };
}

function bodies(f) {
  if ('gemini_raw' in f) return [f.gemini_raw];
  if (f.translate.kind === 'models' && Array.isArray(f.gemini)) return f.gemini.map((p) => JSON.stringify(p));
  return [JSON.stringify(f.gemini)];
}

test('OpenAI response fixtures through core.wasm as the Worker calls it', async () => {
  configure({ AUTH_TOKENS: 'client-token' });
  let replayed = 0;
  const skipped = [];
  let later = 0;
  for (const f of fixtures('openai/responses')) {
    const why = unreachable(f.translate);
    if (why) {
      skipped.push(`${f.name}: ${why}`);
      continue;
    }
    // Each fixture a minute after the last: the isolate's model list cache has expired.
    const t = { ...f.translate, now_ms: (f.translate.now_ms ?? FIXTURE_NOW) + (later += 61000) };
    if (f.translate.now_ms && f.translate.kind !== 'models') t.now_ms = f.translate.now_ms;
    callRemembered('POOL_LOAD', { SEED: 0, NOW: t.now_ms, BODY: `K 1 ${KEY} a` });
    const { req, act, now } = openFixture(t);
    assert.equal(act.KIND, ABI.action.TASKS, `${f.name}: the request is translated`);
    const answers = bodies(f);
    // Every fetch gets the next body (the last one repeats, for retries).
    const { action: done } = await carry(req, now, { fetch: (task, n) => jsonAnswer(answers[Math.min(n, answers.length - 1)], f.status) });
    req.close();
    assert.equal(done.STATUS, f.expect.status, f.name);
    assert.deepEqual(normalized(JSON.parse(decoder.decode(done.BODY))), normalized(f.expect.openai), f.name);
    for (const [name, value] of Object.entries(f.expect.headers ?? {})) assert.equal(headerValue(done.HEADERS, name), value, `${f.name}: ${name}`);
    replayed++;
  }
  call('EVENTS', {});
  assert.ok(replayed >= 45, `replayed ${replayed}`);
  assert.ok(skipped.length <= 3, skipped.join('; '));
});

test('OpenAI stream fixtures through core.wasm, cut into network chunks', () => {
  configure({ AUTH_TOKENS: 'client-token' });
  let replayed = 0;
  for (const f of fixtures('openai/streams')) {
    callRemembered('POOL_LOAD', { SEED: 0, NOW: f.translate.now_ms, BODY: `K 1 ${KEY} a` });
    const { req, act, now } = openFixture(f.translate);
    const fetch = fetchTask(act);
    assert.ok(fetch, f.name);
    assert.match(fetch.URL, /:streamGenerateContent\?alt=sse$/, f.name);
    const stream = req.feed({ KIND: ABI.event.UPSTREAM_HEAD, SLOT: fetch.SLOT, STATUS: 200, HEADERS: 'content-type\ntext/event-stream\n', NOW: now });
    assert.equal(stream.KIND, ABI.action.STREAM, f.name);
    const sse = new TextEncoder().encode(f.sse);
    let out = '';
    for (let at = 0; at < sse.length; at += 7) out += decoder.decode(req.chunk(sse.subarray(at, at + 7)), { stream: true });
    const end = req.end(0, null);
    out += decoder.decode(end.BODY);
    const events = out.split('\n\n').filter(Boolean).map((e) => e.replace(/^data: /, ''));
    assert.equal(events.length, f.expect.length, f.name);
    events.forEach((e, i) => {
      if (typeof f.expect[i] === 'string') assert.equal(e, f.expect[i], `${f.name} event ${i}`);
      else assert.deepEqual(normalized(JSON.parse(e)), normalized(f.expect[i]), `${f.name} event ${i}`);
    });
    replayed++;
  }
  call('EVENTS', {});
  assert.ok(replayed >= 20, `replayed ${replayed}`);
});

test('OpenAI request fixtures through core.wasm: the Gemini body the Worker sends', () => {
  configure({ AUTH_TOKENS: 'client-token' });
  callRemembered('POOL_LOAD', { SEED: 0, NOW: Date.now(), BODY: `K 1 ${KEY} a` });
  let replayed = 0;
  for (const f of fixtures('openai/requests')) {
    const endpoint = f.endpoint ?? 'chat';
    // An id holding '/' cannot be sent encoded (the path check refuses %2F) nor as is (it
    // would name a native path): only the C++ tests reach it.
    if (endpoint === 'model' && f.openai.id.includes('/')) continue;
    const target = { chat: ['POST', '/v1/chat/completions'], embeddings: ['POST', '/v1/embeddings'], models: ['GET', '/v1/models'] }[endpoint] ??
      ['GET', `/v1/models/${encodeURIComponent(f.openai?.id ?? '')}`];
    const req = open(target[0], target[1], BEARER);
    let act = req.action;
    if (act.KIND === ABI.action.READ_BODY) {
      const body = 'openai_raw' in f ? f.openai_raw : JSON.stringify(f.openai);
      act = req.feed({ KIND: ABI.event.BODY, BODY: body, NOW: Date.now() });
    }
    // Image URLs are fetched first (the fixture's "fetched"), then the Gemini call starts.
    const media = mediaFrom(f.fetched);
    const pending = [];
    for (let step = 0; step < 16 && act.KIND === ABI.action.TASKS && !fetchTask(act); step++) {
      pending.push(...(act.TASK ?? []).filter((t) => t.KIND === ABI.task.MEDIA));
      const task = pending.shift();
      if (!task) break;
      act = req.feed({ KIND: ABI.event.MEDIA_DONE, SLOT: task.SLOT, ...media(task), NOW: Date.now() });
    }
    req.close();
    if (f.expect.status === 200) {
      const fetch = fetchTask(act);
      assert.ok(fetch, `${f.name}: ${act.BODY ? decoder.decode(act.BODY) : act.KIND}`);
      assert.ok(fetch.URL.endsWith(f.expect.path + (f.expect.query ? `?${f.expect.query}` : '')), `${f.name}: ${fetch.URL}`);
      if (f.expect.gemini) assert.deepEqual(JSON.parse(decoder.decode(fetch.BODY)), f.expect.gemini, f.name);
    } else {
      assert.equal(act.KIND, ABI.action.RESPOND, f.name);
      assert.equal(act.STATUS, f.expect.status, f.name);
      assert.equal(JSON.parse(decoder.decode(act.BODY)).error.type, f.expect.type, f.name);
    }
    replayed++;
  }
  call('EVENTS', {});
  assert.ok(replayed >= 80, `replayed ${replayed}`);
});
