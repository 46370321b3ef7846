// Endpoint handlers. Each takes a context `{ req, body(), state }` and returns one of
//   { status?, json }                   a JSON answer
//   { status?, headers?, text }         a text body (headers carry its content-type)
//   { events }                          an SSE stream (written by wire.mjs)
// and throws GeminiError for the service's error answers.

import { randomBytes } from 'node:crypto';
import { GeminiError, fileDenied, invalidArgument, notFound, payloadError, requestError } from './errors.mjs';
import { findModel, listModels, modelResource, requireModel } from './models.mjs';
import { readMessage } from './proto.mjs';
import { checkContents, checkCountedRequest, validateGenerateRequest } from './validate.mjs';
import { composeAnswer, countTokens, promptTokens } from './answers.mjs';
import { renderResponse, renderStream } from './render.mjs';
import { mulberry32 } from './wire.mjs';
import { batchGenerateContent, batchHandler, downloadHandler } from './batches.mjs';
import { createInteraction, getInteraction } from './interactions.mjs';

// /download/ serves a generated file's bytes (files/{id}:download), as the plain path does.
const PATH = /^\/(?:(upload|download)\/)?(v1beta|v1|v1alpha)\/(.*)$/;

/** Splits a URL path into `{ upload, version, resource, model, action }` (any may be absent). */
export function parsePath(pathname) {
  const match = PATH.exec(pathname);
  if (!match) return {};
  const [, prefix, version, resource] = match;
  const upload = prefix === 'upload';
  const download = /^files\/([^/:]+):download$/.exec(resource);
  if (download && !upload) return { upload, version, resource, action: 'download', fileId: download[1] };
  if (prefix === 'download') return {};
  const call = /^models\/([^/:]+)(?::([A-Za-z]+))?$/.exec(resource);
  if (call) return { upload, version, resource, model: call[1], action: call[2] || 'get' };
  if (resource === 'models') return { upload, version, resource, action: 'list' };
  if (resource === 'interactions') return { upload, version, resource, action: 'interactions' };
  if (/^interactions\/[^/:]+$/.test(resource)) return { upload, version, resource, action: 'interaction' };
  const batch = /^batches\/([^/:]+)$/.exec(resource);
  if (batch) return { upload, version, resource, action: 'batch', batchId: batch[1] };
  const file = /^files(?:\/([^/:]+))?$/.exec(resource);
  if (file) {
    return {
      upload,
      version,
      resource,
      action: upload ? 'upload' : 'files',
      fileId: file[1],
    };
  }
  return { upload, version, resource };
}

/** The handler for a parsed request, or null (the server then answers Google's HTML 404). */
export function findHandler(method, parsed) {
  const table = {
    GET: {
      list: listHandler,
      get: getHandler,
      files: filesHandler,
      batch: batchHandler,
      download: downloadHandler,
      interaction: getInteraction,
    },
    POST: {
      generateContent,
      batchGenerateContent,
      streamGenerateContent,
      countTokens: countTokensHandler,
      embedContent,
      batchEmbedContents,
      upload: uploadHandler,
      interactions: createInteraction,
    },
  };
  return table[method]?.[parsed.action] || null;
}

// Query parameters every method takes (Google's system parameters, also with a '$' in front),
// and those a method binds to its request message. Any other name is refused, quoting it.
const SYSTEM_PARAMS = new Set([
  'alt', 'callback', 'fields', 'prettyPrint', 'quotaUser', 'userProject', 'key', 'access_token',
  'oauth_token', 'upload_protocol', 'uploadType', 'upload_id', '.xgafv', 'ct', 'apiVersion',
]);
const METHOD_PARAMS = {
  list: ['pageSize', 'pageToken'],
  files: ['pageSize', 'pageToken'],
  interaction: ['stream', 'last_event_id', 'include_input'],
};

/** The 400 Google answers for query parameters the method cannot bind, or null. */
export function unboundQueryParams(req) {
  const bindable = new Set(METHOD_PARAMS[req.action] ?? []);
  const unbound = [...new Set(req.query.keys())].filter(
    (name) => !SYSTEM_PARAMS.has(name.startsWith('$') ? name.slice(1) : name) && !bindable.has(name),
  );
  if (!unbound.length) return null;
  return payloadError(
    unbound.map(
      (name) =>
        `Invalid JSON payload received. Unknown name ${JSON.stringify(name)}: Cannot bind query parameter. ` +
        `Field '${name}' could not be found in request message.`,
    ),
  );
}

/** Parses a JSON body as the service does: empty means {}, anything else must parse. */
export function parseJsonBody(buffer) {
  if (buffer.length === 0) return {};
  try {
    return JSON.parse(buffer.toString('utf8'));
  } catch {
    throw payloadError(['Invalid JSON payload received. Unexpected token.']);
  }
}

/** The RPC a URL verb maps to, as Google names it in errors (e.g. the "blocked" message). */
export const rpcName = (action) =>
  ({
    generateContent: 'GenerativeService.GenerateContent',
    streamGenerateContent: 'GenerativeService.StreamGenerateContent',
    countTokens: 'GenerativeService.CountTokens',
    embedContent: 'GenerativeService.EmbedContent',
    batchEmbedContents: 'GenerativeService.BatchEmbedContents',
    list: 'ModelService.ListModels',
    get: 'ModelService.GetModel',
  })[action] || 'GenerativeService.GenerateContent';

function listHandler({ req }) {
  return { json: listModels(req.query) };
}

function getHandler({ req }) {
  const model = findModel(req.model);
  if (!model) throw notFound(`models/${req.model}`, req.version, 'get');
  return { json: modelResource(model) };
}

export function runGenerate({ req, body, state }) {
  const model = requireModel(req.model, req.action, req.version);
  const request = validateGenerateRequest(body(), model, {
    signatures: state.signatures,
    key: req.key,
    bindSignaturesToKey: state.options.bindSignaturesToKey,
  });
  checkFileRefs(request, req, state);
  const issueSignature = (name) => {
    const signature = Buffer.from(`sig-${randomBytes(12).toString('hex')}`).toString('base64');
    state.signatures.set(signature, { key: req.key, name, model: model.id });
    return signature;
  };
  const answer = composeAnswer(request, model, issueSignature);
  const meta = { modelVersion: model.id, responseId: randomBytes(16).toString('base64url').slice(0, 22) };
  return { answer, meta };
}

function generateContent(ctx) {
  const { answer, meta } = runGenerate(ctx);
  return { json: renderResponse(answer, meta) };
}

// Without alt=sse the service streams one JSON array; the SSE form is what proxies use.
function streamGenerateContent(ctx) {
  const { answer, meta } = runGenerate(ctx);
  const events = renderStream(answer, meta);
  if (ctx.req.query.get('alt') !== 'sse') return { json: events };
  return { events };
}

function countTokensHandler({ req, body }) {
  const model = requireModel(req.model, 'countTokens', req.version);
  const request = readMessage(body(), 'CountTokensRequest');
  let counted = request;
  if (request.generateContentRequest) {
    if (request.contents) throw invalidArgument('contents and generate_content_request cannot both be set.');
    counted = request.generateContentRequest;
    checkCountedRequest(counted, model);
  } else {
    checkContents(counted.contents, 'CountTokensRequest.contents');
  }
  const total = promptTokens(counted);
  return { json: { totalTokens: total, promptTokensDetails: [{ modality: 'TEXT', tokenCount: total }] } };
}

function embedOne(request, model, at) {
  const parts = request.content?.parts || [];
  const text = parts.map((p) => p.text || '').join(' ');
  if (!text) throw requestError(`${at}.content.parts`, 'content must contain text.');
  const dims = request.outputDimensionality ?? model.dimensions;
  if (dims < 1 || dims > model.dimensions) {
    throw requestError(
      `${at}.output_dimensionality`,
      `output_dimensionality must be between 1 and ${model.dimensions}.`,
    );
  }
  return { values: embeddingValues(text, dims), tokens: countTokens(text) };
}

// Deterministic vectors: the same text always embeds to the same values.
function embeddingValues(text, dims) {
  let seed = 2166136261;
  for (const byte of Buffer.from(text)) seed = Math.imul(seed ^ byte, 16777619);
  const rand = mulberry32(seed);
  return Array.from({ length: dims }, () => Math.round((rand() * 0.2 - 0.1) * 1e6) / 1e6);
}

function embedContent({ req, body }) {
  const model = requireModel(req.model, 'embedContent', req.version);
  const request = readMessage(body(), 'EmbedContentRequest');
  const { values } = embedOne(request, model, 'EmbedContentRequest');
  return { json: { embedding: { values } } };
}

function batchEmbedContents({ req, body }) {
  const model = requireModel(req.model, 'batchEmbedContents', req.version);
  const { requests = [] } = readMessage(body(), 'BatchEmbedContentsRequest');
  if (requests.length === 0) {
    throw requestError('BatchEmbedContentsRequest.requests', 'requests must not be empty.');
  }
  if (requests.length > 100) {
    throw requestError('BatchEmbedContentsRequest.requests', 'at most 100 requests can be in one batch.');
  }
  const expected = `models/${model.id}`;
  const embeddings = requests.map((request, i) => {
    if (request.model !== expected) {
      throw requestError(
        `BatchEmbedContentsRequest.requests[${i}].model`,
        `Model in the request (${request.model ?? ''}) does not match the model in the URL (${expected}).`,
      );
    }
    return { values: embedOne(request, model, `BatchEmbedContentsRequest.requests[${i}]`).values };
  });
  return { json: { embeddings } };
}

function fileResource(state, id, mimeType, sizeBytes) {
  const now = new Date().toISOString();
  return {
    name: `files/${id}`,
    mimeType,
    sizeBytes: String(sizeBytes),
    createTime: now,
    updateTime: now,
    expirationTime: new Date(Date.now() + 48 * 3600e3).toISOString(),
    sha256Hash: Buffer.from(id).toString('base64'),
    uri: `${state.url}/v1beta/files/${id}`,
    state: 'ACTIVE',
    source: 'UPLOADED',
  };
}

// Enough of the resumable protocol for a passthrough test: start, then upload+finalize.
function uploadHandler({ req, state }) {
  const command = String(req.headers['x-goog-upload-command'] || '');
  if (command.includes('start')) {
    const uploadId = randomBytes(8).toString('hex');
    const mimeType = req.headers['x-goog-upload-header-content-type'] || 'application/octet-stream';
    // The session belongs to the project of the key that started it.
    state.uploads.set(uploadId, { mimeType, key: req.key });
    const uploadUrl = `${state.url}/upload/${req.version}/files?upload_id=${uploadId}&upload_protocol=resumable`;
    const headers = {
      'content-type': 'text/plain; charset=utf-8',
      'x-goog-upload-status': 'active',
      'x-goog-upload-url': uploadUrl,
      'x-goog-upload-chunk-granularity': '8388608',
    };
    return { text: '', headers };
  }
  const uploadId = req.query.get('upload_id');
  const session = state.uploads.get(uploadId);
  if (!session) throw new GeminiError(404, 'NOT_FOUND', 'Upload session not found.');
  // The upload_id alone authorises the rest of the upload; a key of another project is refused.
  if (req.key && req.key !== session.key) {
    throw new GeminiError(403, 'PERMISSION_DENIED', 'The caller does not have permission');
  }
  const id = randomBytes(6).toString('hex');
  const mimeType = session.mimeType;
  const file = fileResource(state, id, mimeType, req.body.length);
  // The file belongs to the project of the key that started the upload.
  state.files.set(id, { key: session.key, bytes: req.body, resource: file });
  return { json: { file }, headers: { 'x-goog-upload-status': 'final' } };
}

// A project sees its own files only: another's are denied as if they did not exist.
function filesHandler({ req, state }) {
  const parsed = parsePath(req.path);
  const own = [...state.files.values()].filter((f) => f.key === req.key).map((f) => f.resource);
  if (!parsed.fileId) return { json: own.length ? { files: own } : {} };
  const file = state.files.get(parsed.fileId);
  if (!file || file.key !== req.key) throw fileDenied(parsed.fileId);
  return { json: file.resource };
}

// The File API files a request's parts name ("fileData": {"fileUri": "<API>/v1beta/files/<id>"},
// the uri a file resource gives) must be the caller's project's; other URIs are not files.
function checkFileRefs(request, req, state) {
  const api = ['https://generativelanguage.googleapis.com/', `${state.url}/`];
  for (const content of request.contents ?? []) {
    for (const part of content?.parts ?? []) {
      const uri = part?.fileData?.fileUri;
      if (typeof uri !== 'string' || !api.some((base) => uri.startsWith(base))) continue;
      const id = /^\/v1(?:beta|alpha)?\/files\/([^/:?#]+)$/.exec(new URL(uri).pathname)?.[1];
      if (id && state.files.get(id)?.key !== req.key) throw fileDenied(id);
    }
  }
}
