// A stand-in for OpenAI's Responses API on 127.0.0.1 that records what real clients send.
// It answers every POST /v1/responses the way OpenAI does (JSON, or the SSE event sequence),
// from a script: each answer is either a function call (the first tool the request declares
// that `pickTool` accepts) or a text. Used by hand to capture what a client really sends,
// for the golden request fixtures (codex_*, aisdk_*, agents_sdk_*) — never part of the proxy.
//
//   const cap = await startCaptureServer({ script: ['call', 'text'] });
//   ... run a client with base URL `${cap.url}/v1` ...
//   cap.requests  // [{ path, headers, body }]
//   await cap.close();
import http from 'node:http';

function toolName(tool) {
  if (tool.type === 'function') return tool.name;
  if (tool.type === 'namespace') return tool.tools?.map(toolName).find(Boolean);
  return null;
}

function responseObject(id, body, output, status) {
  return {
    id,
    object: 'response',
    created_at: 1700000000,
    status,
    error: null,
    incomplete_details: null,
    instructions: body.instructions ?? null,
    model: body.model,
    output,
    parallel_tool_calls: true,
    previous_response_id: body.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: body.store ?? true,
    temperature: 1,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: body.tools ?? [],
    top_p: 1,
    truncation: 'disabled',
    usage: status === 'completed' ? { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 } : null,
    user: null,
    metadata: {},
  };
}

function sse(events) {
  return events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join('');
}

export async function startCaptureServer({ script = ['text'], pickTool = () => true, callArguments = () => ({}) } = {}) {
  const requests = [];
  let turn = 0;
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body = {};
      try {
        body = raw ? JSON.parse(raw) : {};
      } catch {
        body = { unparsed: raw };
      }
      requests.push({ method: req.method, path: req.url, headers: { ...req.headers }, body });
      if (req.method !== 'POST' || !req.url.startsWith('/v1/responses')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error', param: null, code: null } }));
        return;
      }
      const n = turn++;
      // Ids in this server's own format, so that a client's item_references can be resolved
      // against records the fixtures provide.
      const hex = (0x1000 + n).toString(16).padStart(16, '0');
      const id = `resp_${hex}`;
      const kind = script[Math.min(n, script.length - 1)];
      const name = (body.tools ?? []).map(toolName).find((t) => t && pickTool(t));
      let item;
      if (kind === 'call' && name) {
        item = { id: `fc_${hex}_0`, type: 'function_call', status: 'completed', arguments: JSON.stringify(callArguments(name)), call_id: `call_${hex}_0`, name };
      } else {
        item = { id: `msg_${hex}_0`, type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Done.', annotations: [], logprobs: [] }] };
      }
      const done = responseObject(id, body, [item], 'completed');
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(done));
        return;
      }
      const started = responseObject(id, body, [], 'in_progress');
      const added = item.type === 'message' ? { ...item, status: 'in_progress', content: [] } : { ...item, status: 'in_progress', arguments: '' };
      const events = [
        { type: 'response.created', response: started },
        { type: 'response.in_progress', response: started },
        { type: 'response.output_item.added', output_index: 0, item: added },
      ];
      if (item.type === 'message') {
        const part = { type: 'output_text', annotations: [], logprobs: [], text: '' };
        events.push({ type: 'response.content_part.added', item_id: item.id, output_index: 0, content_index: 0, part });
        events.push({ type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta: 'Done.', logprobs: [] });
        events.push({ type: 'response.output_text.done', item_id: item.id, output_index: 0, content_index: 0, text: 'Done.', logprobs: [] });
        events.push({ type: 'response.content_part.done', item_id: item.id, output_index: 0, content_index: 0, part: { ...part, text: 'Done.' } });
      } else {
        events.push({ type: 'response.function_call_arguments.delta', item_id: item.id, output_index: 0, delta: item.arguments });
        events.push({ type: 'response.function_call_arguments.done', item_id: item.id, output_index: 0, arguments: item.arguments });
      }
      events.push({ type: 'response.output_item.done', output_index: 0, item });
      events.push({ type: 'response.completed', response: done });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sse(events));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
