// replay-translators.mjs — the Anthropic and Responses API targets' corpora through core.wasm
// (see replay.mjs): each input becomes what the Worker feeds the machine. A *_request input
// is a client's body to the target's routes, its Gemini calls answered and its key pool calls
// answered as the Worker's response store would; a *_stream input is an upstream SSE answer
// cut into the input's chunks, whose client bytes must not depend on the cuts. Each driver
// makes the checks its native target makes (cpp/fuzz/anthropic_*_fuzz.cpp,
// responses_*_fuzz.cpp), on what the Worker would send.
import { ABI, CoreRequest, call } from '../../worker-shim/core.mjs';
import { ABI_NOW, concat } from './abi-input.mjs';
import { text } from './formats.mjs';

const encoder = new TextEncoder();
const KEY = /AIza[0-9A-Za-z_-]{35}/;
const GEMINI = 'https://generativelanguage.googleapis.com';
const ANTHROPIC_HEADERS = 'x-api-key\ntok-a\nanthropic-version\n2023-06-01\ncontent-type\napplication/json\n';
const ANSWER = '{"candidates":[{"content":{"role":"model","parts":[{"text":"ok"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":1,"totalTokenCount":4}}';

// responses_request_fuzz.cpp: kStored, the record the store holds; loads that name it get it.
const STORED_ID = 'resp_0123456789abcdef';
const STORED =
  '[{"v":1,"id":"resp_0123456789abcdef","previous_response_id":null,"created_at":1,"key_id":7,' +
  '"input":[{"id":"msg_0123456789abcdef_0","type":"message","role":"user","content":"Weather?"}],' +
  '"response":{"output":[{"id":"rs_0123456789abcdef_1","type":"reasoning","summary":[],' +
  '"encrypted_content":"gbr1.eyJjIjpbWyJjYWxsXzAxMjM0NTY3ODlhYmNkZWZfMCIsImMybG5MV05oYkd3PSJdXSwidCI6W10sImsiOjd9"},' +
  '{"id":"fc_0123456789abcdef_2","type":"function_call","status":"completed","arguments":"{}",' +
  '"call_id":"call_0123456789abcdef_0","name":"get_weather"}]}}]';

// A URL the request names (an image or document source) answers as a public server would:
// a small PDF where the path says so, else a 1x1 PNG; the core decides what it may use.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
const PDF = encoder.encode('%PDF-1.7 ...');
const media = (task) =>
  /\.pdf($|[?#])/i.test(task.URL) ? { STATUS: 200, MIME: 'application/pdf', BODY: PDF } : { STATUS: 200, MIME: 'image/png', BODY: PNG };

const json = (body) => ({ status: 200, headers: 'content-type\napplication/json\n', body: encoder.encode(body) });
const sse = (body) => ({ status: 200, headers: 'content-type\ntext/event-stream\n', body });

// Every byte its own chunk: the corpus's cuts are few (most inputs are one chunk), and a
// network may cut a CRLF, a UTF-8 character or an event anywhere.
const bytewise = (bytes) => Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));

const hex = (c) => /^[0-9A-Fa-f]$/.test(c);

// bal::is_safe_path (cpp/src/path.cpp): nothing a URL parser or Google could read as another
// path — no raw bytes past ASCII, no encoded separators or dots, no empty or dot segments.
function isSafePath(path) {
  if (!path.startsWith('/') || path.length > 2048) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x21 || c >= 0x7f || '\\?#'.includes(path[i])) return false;
    if (path[i] === '%') {
      if (!hex(path[i + 1] ?? '') || !hex(path[i + 2] ?? '')) return false;
      const v = parseInt(path.slice(i + 1, i + 3), 16);
      if ('/.\\%'.includes(String.fromCharCode(v)) || v < 0x20 || v === 0x7f) return false;
    }
  }
  const segments = path.slice(1).split('/');
  return segments.every((s, i) => s !== '.' && s !== '..' && (s !== '' || i === segments.length - 1));
}

// A Gemini call the machine makes (the checks of the native targets' check()): one of the
// route's `methods` on /v1beta/models/<model>, a path that cannot leave it, SSE asked for
// exactly when streaming, a JSON body. Answered as Gemini would answer its method.
function gemini(methods, calls) {
  return (task) => {
    calls.push(task.URL);
    if (!task.URL.startsWith(`${GEMINI}/v1beta/models/`)) throw new Error(`an upstream call to ${task.URL}`);
    const [path, query = null, ...more] = task.URL.slice(GEMINI.length).split('?');
    if (more.length || !isSafePath(path)) throw new Error(`an unsafe upstream path: ${task.URL}`);
    const m = /^\/v1beta\/models\/([^/:]+):([A-Za-z]+)$/.exec(path);
    if (!m || !methods.includes(m[2])) throw new Error(`an upstream call to ${task.URL}`);
    if ((m[2] === 'streamGenerateContent') !== (query === 'alt=sse')) throw new Error(`${m[2]} with query ${query}`);
    JSON.parse(text(task.BODY));
    if (m[2] === 'countTokens') return json('{"totalTokens":3}');
    if (query === 'alt=sse') return sse(encoder.encode(`data: ${ANSWER}\r\n\r\n`));
    return json(ANSWER);
  };
}

// "event: <type>\ndata: <JSON>\n\n" events, each data's type its event's; error events carry
// upstream text, which must have been redacted. Returns the last event's type.
function checkEvents(out) {
  let last = null;
  let at = 0;
  while (at < out.length) {
    const end = out.indexOf('\n\n', at);
    if (end < 0) throw new Error(`an event that does not end: ${out.slice(at, at + 200)}`);
    const m = /^event: ([^\n]+)\ndata: ([^\n]*)$/.exec(out.slice(at, end));
    if (!m) throw new Error(`an event not framed as event + data: ${out.slice(at, end).slice(0, 200)}`);
    const data = JSON.parse(m[2]);
    if (data.type !== m[1]) throw new Error(`event ${m[1]} carries a ${data.type}`);
    if (KEY.test(m[2]) && /error|failed/.test(m[1])) throw new Error('a key in an error event');
    last = m[1];
    at = end + 2;
  }
  return last;
}

// The key's verdict on the last requests (events.h): true when none failed.
function keysFine() {
  const out = call('EVENTS', { NOW: ABI_NOW });
  return !out.BODY || JSON.parse(text(out.BODY)).keys.every((k) => k.error === null);
}

// The client's answer to a request whose Gemini call went well, in the route's format:
// `answered(body)` for a 200 after the one call, `error(body)` (a status `refused` allows,
// no key in it) when translation refused the request before any call, or a stream ending in
// `terminal`.
function checkReply(r, calls, { answered, error, refused, terminal }) {
  if (r.action.KIND === ABI.action.RESPOND) {
    const body = JSON.parse(text(r.action.BODY));
    const shown = JSON.stringify(body).slice(0, 300);
    if (r.action.STATUS === 200) {
      if (calls.length !== 1) throw new Error(`answered after ${calls.length} Gemini calls`);
      if (!answered(body)) throw new Error(`an answer not in the route's format: ${shown}`);
      return;
    }
    if (!refused(r.action.STATUS)) throw new Error(`answered ${r.action.STATUS}`);
    if (calls.length !== 0) throw new Error(`a refusal (${r.action.STATUS}) after a Gemini call that went well: ${shown}`);
    if (!error(body)) throw new Error(`an error not in the route's format: ${shown}`);
    if (KEY.test(shown)) throw new Error('a key in an error message');
    return;
  }
  if (calls.length !== 1 || !calls[0].endsWith(':streamGenerateContent?alt=sse')) throw new Error(`a stream after ${calls.join(', ')}`);
  if (r.action.MODE !== 1) throw new Error('a stream passed through untranslated');
  const last = checkEvents(text(r.streamed));
  if (last !== terminal) throw new Error(`a stream that went well ends with ${last}`);
}

// The routes' answers: what the native targets ask of Exchange::error (anthropic: a 4xx or
// 5xx; responses: a 400), and the shapes a client's SDK reads.
const ANTHROPIC = {
  error: (b) => b.type === 'error' && typeof b.error?.type === 'string' && typeof b.error.message === 'string',
  refused: (status) => status >= 400 && status <= 599,
  terminal: 'message_stop',
};
const ANTHROPIC_MESSAGE = (b) => b.type === 'message' && b.role === 'assistant' && Array.isArray(b.content);
const ANTHROPIC_COUNT = (b) => Object.keys(b).join() === 'input_tokens' && Number.isInteger(b.input_tokens);
const RESPONSES = {
  answered: (b) => b.object === 'response' && typeof b.id === 'string' && Array.isArray(b.output),
  error: (b) => Object.keys(b).join() === 'error' && typeof b.error.type === 'string' && typeof b.error.message === 'string',
  refused: (status) => status === 400,
  terminal: 'response.completed',
};

export function translatorDrivers({ drive, head, setUp }) {
  // Each run on a freshly loaded pool, so the same key serves it (a Responses stream writes
  // its id into encrypted_content).
  const anthropicStream = (model, ping, pieces, whole) => {
    setUp();
    const r = drive(new CoreRequest(head('POST', '/v1/messages', { headers: ANTHROPIC_HEADERS })), {
      body: encoder.encode(JSON.stringify({ model, max_tokens: 1, stream: true, messages: [{ role: 'user', content: 'x' }] })),
      upstream: () => sse(whole),
      chunks: () => pieces,
      ping,
    });
    if (r.action.KIND !== ABI.action.STREAM || r.action.MODE !== 1) throw new Error('expected a translated stream');
    return { out: r.streamed, fine: keysFine() };
  };

  // The response store as the KeyPool object keeps it: loads name ids and get the records
  // they name, saves must be records under the id they are saved as.
  const store = (saved) => (task) => {
    const args = JSON.parse(task.ARGS);
    if (task.NAME === 'responseLoad') {
      if (!Array.isArray(args[1]) || !args[1].every((id) => typeof id === 'string' && id !== '')) throw new Error(`a load of ${task.ARGS}`);
      return encoder.encode(args[1].includes(STORED_ID) ? STORED : '[]');
    }
    if (task.NAME !== 'responsePut') throw new Error(`a key pool call ${task.NAME}`);
    if (JSON.parse(text(task.BODY)).id !== args[1].id) throw new Error('a record saved under another id');
    saved.push(args[1].id);
    return '{"stored":true}';
  };

  const responsesStream = (request, pieces, whole) => {
    setUp();
    const saved = [];
    const r = drive(new CoreRequest(head('POST', '/v1/responses')), {
      body: encoder.encode(request),
      upstream: () => sse(whole),
      chunks: () => pieces,
      pool: store(saved),
    });
    if (r.action.KIND !== ABI.action.STREAM || r.action.MODE !== 1) throw new Error('expected a translated stream');
    // The record is saved (a CALL) before the stream's last bytes go out.
    for (const task of r.end.TASK ?? []) store(saved)(task);
    return { out: r.streamed, saved: saved.length, fine: keysFine() };
  };

  return {
    anthropic_request({ body }) {
      setUp();
      for (const [path, methods, answered] of [
        ['/v1/messages', ['generateContent', 'streamGenerateContent'], ANTHROPIC_MESSAGE],
        ['/v1/messages/count_tokens', ['countTokens'], ANTHROPIC_COUNT],
      ]) {
        const calls = [];
        const r = drive(new CoreRequest(head('POST', path, { headers: ANTHROPIC_HEADERS })), { body, upstream: gemini(methods, calls), media });
        checkReply(r, calls, { ...ANTHROPIC, answered });
      }
    },
    anthropic_stream({ flags, chunks }) {
      const model = flags & 1 ? 'claude-sonnet-4-5' : 'gemini-3-pro-preview';
      const whole = concat(chunks);
      const chunked = anthropicStream(model, (flags & 2) !== 0, chunks, whole);
      for (const pieces of [[whole], bytewise(whole)]) {
        const other = anthropicStream(model, (flags & 2) !== 0, pieces, whole);
        if (Buffer.compare(chunked.out, other.out) !== 0) throw new Error(`the output depends on where the input was cut (${pieces.length} pieces)`);
        if (chunked.fine !== other.fine) throw new Error('the verdict depends on where the input was cut');
      }
      const last = checkEvents(text(chunked.out));
      if (last !== (chunked.fine ? 'message_stop' : 'error')) throw new Error(`a stream ${chunked.fine ? 'that went well' : 'that failed'} ends with ${last}`);
      // The same body as a whole answer: the client's message, or a 502.
      const answer = drive(new CoreRequest(head('POST', '/v1/messages', { headers: ANTHROPIC_HEADERS })), {
        body: encoder.encode('{"model":"gemini-2.5-flash","max_tokens":1,"messages":[{"role":"user","content":"x"}]}'),
        upstream: () => json(text(whole)),
      });
      if (answer.action.KIND !== ABI.action.RESPOND) throw new Error(`expected an answer, got action ${answer.action.KIND}`);
      const body = JSON.parse(text(answer.action.BODY));
      if (answer.action.STATUS === 200 ? !ANTHROPIC_MESSAGE(body) : answer.action.STATUS !== 502 || !ANTHROPIC.error(body)) {
        throw new Error(`answered ${answer.action.STATUS}: ${text(answer.action.BODY).slice(0, 300)}`);
      }
      if (answer.action.STATUS !== 200 && KEY.test(JSON.stringify(body))) throw new Error('a key in an error message');
    },
    responses_request({ body }) {
      setUp();
      const calls = [];
      const r = drive(new CoreRequest(head('POST', '/v1/responses')), {
        body,
        upstream: gemini(['generateContent', 'streamGenerateContent'], calls),
        pool: store([]),
        media,
      });
      checkReply(r, calls, RESPONSES);
    },
    responses_stream({ flags, chunks }) {
      let request = `{"stream":true,"input":"hi","model":"${flags & 1 ? 'gemini-3-pro-preview' : 'gemini-2.5-flash'}"`;
      if (flags & 2) request += ',"reasoning":{"summary":"auto"}';
      if (flags & 4) request += ',"include":["reasoning.encrypted_content"]';
      request += '}';
      const whole = concat(chunks);
      const chunked = responsesStream(request, chunks, whole);
      for (const pieces of [[whole], bytewise(whole)]) {
        const other = responsesStream(request, pieces, whole);
        if (Buffer.compare(chunked.out, other.out) !== 0) throw new Error(`the output depends on where the input was cut (${pieces.length} pieces)`);
        if (chunked.saved !== other.saved || chunked.fine !== other.fine) throw new Error('the verdict depends on where the input was cut');
      }
      const last = checkEvents(text(chunked.out));
      if (!['response.completed', 'response.incomplete', 'response.failed'].includes(last)) throw new Error(`the stream ends with ${last}`);
      // A stream that went well is stored; one that failed is not, and counts against Google.
      if (chunked.saved !== (chunked.fine ? 1 : 0)) throw new Error(`${chunked.saved} records saved for a stream that ${chunked.fine ? 'went well' : 'failed'}`);
    },
  };
}
