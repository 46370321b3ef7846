// Drives core.wasm the way worker-shim/index.mjs does, without a Worker around it: open a
// request with its head, feed the events the shim would feed. For unit tests of the shim's
// pieces and of the ABI.
import { ABI, CoreRequest, callRemembered, tables } from '../../worker-shim/core.mjs';

export const CLIENT = 'client-token';

export function configure(bindings = { ADMIN_TOKEN: 'admin', AUTH_TOKENS: CLIENT }) {
  tables();
  callRemembered('CONFIGURE', { BODY: JSON.stringify(bindings) });
}

export function open(method, target, headers = { 'x-goog-api-key': CLIENT }, now = Date.now()) {
  const url = new URL(target, 'https://worker.example');
  let pairs = '';
  for (const [name, value] of Object.entries(headers)) pairs += `${name}\n${value}\n`;
  return new CoreRequest({
    METHOD: method,
    PATH: url.pathname,
    QUERY: url.search.slice(1),
    HEADERS: pairs,
    ORIGIN: url.origin,
    NOW: now,
    RANDOM: '0123456789abcdef0123456789abcdef',
  });
}

export function headerValue(pairs, name) {
  const lines = pairs.split('\n');
  for (let i = 0; i + 1 < lines.length; i += 2) if (lines[i] === name) return lines[i + 1];
  return null;
}

// The first FETCH task of an action, or null.
export function fetchTask(action) {
  return (action.TASK ?? []).find((t) => t.KIND === ABI.task.FETCH) ?? null;
}

// A native request whose JSON answer is read whole and delivered: the use of one key,
// recorded as the Worker records it. Returns the key the core chose.
export function servedRequest(now = Date.now()) {
  const req = open('GET', '/v1beta/models/gemini-2.5-flash', undefined, now);
  const task = fetchTask(req.action);
  if (!task) {
    req.close();
    return null;
  }
  const read = req.feed({
    KIND: ABI.event.UPSTREAM_HEAD,
    SLOT: task.SLOT,
    STATUS: 200,
    HEADERS: 'content-type\napplication/json\n',
    NOW: now,
  });
  if (read.KIND !== ABI.action.READ_UPSTREAM) throw new Error(`expected READ_UPSTREAM, got ${read.KIND}`);
  const done = req.feed({ KIND: ABI.event.UPSTREAM_BODY, SLOT: task.SLOT, BODY: '{"name":"models/gemini-2.5-flash"}', NOW: now });
  if (done.KIND !== ABI.action.RESPOND || done.STATUS !== 200) throw new Error(`expected a 200, got ${done.KIND} ${done.STATUS}`);
  return headerValue(task.HEADERS, 'x-goog-api-key');
}

// The key a native generateContent request for `model` is sent with (null when it is
// answered at once: no usable key), closed before any answer: one pick, as requests make it.
export function pickKey(model, now = Date.now()) {
  const req = open('POST', `/v1beta/models/${model}:generateContent`, { 'x-goog-api-key': CLIENT }, now);
  try {
    let action = req.action;
    if (action.KIND === ABI.action.READ_BODY) {
      action = req.feed({ KIND: ABI.event.BODY, BODY: '{"contents":[{"parts":[{"text":"Hi"}]}]}', NOW: now });
    }
    const task = fetchTask(action);
    return task && headerValue(task.HEADERS, 'x-goog-api-key');
  } finally {
    req.close();
  }
}
