// A stand-in for Anthropic's API on 127.0.0.1 that records what a client sends and answers
// like Anthropic would: a /v1/messages turn that has tools and no tool result yet calls the
// first listing tool it finds (Bash "ls", else Glob "*"); any other turn answers text. Both
// the whole and the streamed (SSE) forms are answered, count_tokens and /v1/models too.
//
//   const server = await startCapture();
//   ... point ANTHROPIC_BASE_URL at server.url ...
//   server.requests   // [{ method, path, query, headers, body (parsed JSON or null) }]
//   await server.close();
import http from 'node:http';

// The tool call the capture makes for each tool Claude Code is known to list a directory with.
const LISTING_CALLS = [
  { name: 'Bash', input: { command: 'ls', description: 'List files in the current directory' } },
  { name: 'LS', input: { path: '.' } },
  { name: 'Glob', input: { pattern: '*' } },
];

function hasToolResult(messages) {
  const last = messages.at(-1);
  return Array.isArray(last?.content) && last.content.some((b) => b.type === 'tool_result');
}

/** The content blocks an answer to `body` carries, and its stop reason. */
export function plannedAnswer(body) {
  const tools = (body.tools || []).map((t) => t.name);
  const call = LISTING_CALLS.find((c) => tools.includes(c.name));
  if (call && !hasToolResult(body.messages || [])) {
    return {
      content: [
        { type: 'text', text: 'Listing the directory.' },
        { type: 'tool_use', id: 'toolu_capture_01', name: call.name, input: call.input },
      ],
      stop_reason: 'tool_use',
    };
  }
  return { content: [{ type: 'text', text: 'The directory holds the files listed above.' }], stop_reason: 'end_turn' };
}

const usage = (output) => ({
  input_tokens: 12,
  cache_creation_input_tokens: 0,
  cache_read_input_tokens: 0,
  output_tokens: output,
});

function message(body, answer) {
  return {
    id: 'msg_capture_01',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: answer.content,
    stop_reason: answer.stop_reason,
    stop_sequence: null,
    usage: usage(7),
  };
}

function sse(res, body, answer) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { ...message(body, answer), content: [], stop_reason: null, usage: usage(1) } });
  answer.content.forEach((block, index) => {
    if (block.type === 'text') {
      send('content_block_start', { index, content_block: { type: 'text', text: '' } });
      send('content_block_delta', { index, delta: { type: 'text_delta', text: block.text } });
    } else {
      send('content_block_start', { index, content_block: { ...block, input: {} } });
      const json = JSON.stringify(block.input);
      send('content_block_delta', { index, delta: { type: 'input_json_delta', partial_json: json } });
    }
    send('content_block_stop', { index });
  });
  send('message_delta', { delta: { stop_reason: answer.stop_reason, stop_sequence: null }, usage: { output_tokens: 7 } });
  send('message_stop', {});
  res.end();
}

function readJson(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : null);
      } catch {
        resolve({ unparsed: text });
      }
    });
  });
}

export async function startCapture() {
  const requests = [];
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const body = await readJson(req);
    requests.push({ method: req.method, path: url.pathname, query: url.search, headers: { ...req.headers }, body });
    const json = (status, value) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (req.method === 'POST' && url.pathname === '/v1/messages/count_tokens') return json(200, { input_tokens: 42 });
    if (req.method === 'POST' && url.pathname === '/v1/messages') {
      const answer = plannedAnswer(body || {});
      return body?.stream ? sse(res, body, answer) : json(200, message(body, answer));
    }
    if (req.method === 'GET' && url.pathname === '/v1/models') {
      return json(200, { data: [], has_more: false, first_id: null, last_id: null });
    }
    return json(404, { type: 'error', error: { type: 'not_found_error', message: `no route ${url.pathname}` } });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
