// Batch mode. A batch belongs to the project of the key that made it, and any other project
// is told it does not exist. Its requests come inline (answered inline) or as a JSONL file the
// project uploaded (answered in a results file made in that project, its "responsesFile").
// A made file's bytes are fetched with GET files/{id}:download?alt=media (also under
// /download/); another project is refused them, and an uploaded file cannot be downloaded.
import { randomBytes } from 'node:crypto';
import { GeminiError, fileDenied, invalidArgument } from './errors.mjs';
import { requireModel } from './models.mjs';
import { renderResponse } from './render.mjs';
import { parsePath, runGenerate } from './routes.mjs';

const TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1main';

// The input file's lines ({key, request}), read as the batch's project sees the file.
function fileRequests(name, req, state) {
  const id = /^files\/([a-z0-9-]+)$/.exec(name ?? '')?.[1];
  const file = state.files.get(id);
  if (!file || file.key !== req.key) throw fileDenied(id ?? name);
  const lines = file.bytes.toString('utf8').split('\n').filter((l) => l.trim());
  return lines.map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      throw invalidArgument(`The input file's line ${i + 1} is not valid JSON.`);
    }
  });
}

export function batchGenerateContent({ req, body, state }) {
  const model = requireModel(req.model, req.action, req.version);
  const batch = body().batch;
  const input = batch?.inputConfig ?? {};
  const inline = input.requests?.requests;
  const items = input.fileName !== undefined ? fileRequests(input.fileName, req, state) : inline;
  if (!Array.isArray(items) || items.length === 0) {
    throw invalidArgument('* GenerateContentBatch.input_config: input_config.requests must not be empty.\n');
  }
  const answers = items.map((item) => {
    const { answer, meta } = runGenerate({ req, body: () => item?.request ?? {}, state });
    const response = renderResponse(answer, meta);
    if (input.fileName === undefined) return { response, ...(item?.metadata ? { metadata: item.metadata } : {}) };
    return { key: item?.key, response };
  });
  const id = randomBytes(6).toString('hex');
  const now = new Date().toISOString();
  const metadata = {
    '@type': `${TYPE}.GenerateContentBatch`,
    model: `models/${model.id}`,
    displayName: batch.displayName ?? '',
    createTime: now,
    updateTime: now,
    batchStats: { requestCount: String(items.length), pendingRequestCount: String(items.length) },
    state: 'BATCH_STATE_PENDING',
    name: `batches/${id}`,
  };
  let output = { inlinedResponses: { inlinedResponses: answers } };
  if (input.fileName !== undefined) {
    const fileId = `batch-${randomBytes(6).toString('hex')}`;
    const bytes = Buffer.from(answers.map((a) => JSON.stringify(a)).join('\n') + '\n');
    state.madeFiles.set(fileId, { key: req.key, bytes });
    output = { responsesFile: `files/${fileId}` };
  }
  state.batches.set(id, { key: req.key, metadata, output, count: items.length });
  return { json: { name: `batches/${id}`, metadata } };
}

export function batchHandler({ req, state }) {
  const { batchId } = parsePath(req.path);
  const batch = state.batches.get(batchId);
  if (!batch || batch.key !== req.key) throw new GeminiError(404, 'NOT_FOUND', 'Requested entity was not found.');
  const n = String(batch.count);
  const { output } = batch;
  const metadata = {
    ...batch.metadata,
    state: 'BATCH_STATE_SUCCEEDED',
    batchStats: { requestCount: n, successfulRequestCount: n },
    output,
  };
  const response = { '@type': `${TYPE}.GenerateContentBatchOutput`, ...output };
  return { json: { name: `batches/${batchId}`, metadata, done: true, response } };
}

export function downloadHandler({ req, state }) {
  const { fileId } = parsePath(req.path);
  if (state.files.get(fileId)?.key === req.key) throw invalidArgument('Only generated files can be downloaded.');
  const file = state.madeFiles.get(fileId);
  if (!file || file.key !== req.key) throw fileDenied(fileId);
  if (req.query.get('alt') !== 'media') throw invalidArgument('Downloading a file requires alt=media.');
  return { bytes: file.bytes, headers: { 'content-type': 'application/octet-stream' } };
}
