// The mock's model catalog and the paged list endpoint. The list is longer than one default
// page (50) and some models a client cares about (the embedding ones, gemini-flash-latest) sit
// past the first page, so a proxy that ignores nextPageToken visibly loses them.

import { GeminiError, notFound } from './errors.mjs';

const GENERATE = ['generateContent', 'countTokens', 'createCachedContent', 'batchGenerateContent'];
const EMBED = ['embedContent', 'countTextTokens', 'countTokens', 'asyncBatchEmbedContent'];

// Thinking budget ranges as documented per family; -1 (dynamic) is always allowed.
const BUDGET_PRO = { min: 128, max: 32768, canDisable: false };
const BUDGET_FLASH = { min: 0, max: 24576, canDisable: true };
const BUDGET_LITE = { min: 512, max: 24576, canDisable: true };

function chat(id, displayName, extra = {}) {
  return {
    id,
    displayName,
    version: extra.version || '001',
    description: extra.description || `${displayName} (mock)`,
    inputTokenLimit: 1048576,
    outputTokenLimit: extra.thinking ? 65536 : 8192,
    methods: GENERATE,
    thinking: false,
    // Gemini 3 and every later generation: thinking levels, signatures checked on function
    // calls, built-in tools beside functions.
    modern: /^gemini-([3-9]|\d\d)/.test(id),
    ...extra,
  };
}

function embedding(id, displayName, dimensions) {
  return {
    id,
    displayName,
    version: '001',
    description: `${displayName} (mock)`,
    inputTokenLimit: 2048,
    outputTokenLimit: 1,
    methods: EMBED,
    thinking: false,
    modern: false,
    dimensions,
  };
}

const RATIOS = ['1:1', '2:3', '3:2', '3:4', '4:3', '4:5', '5:4', '9:16', '16:9', '21:9'];

const thinkingChat = (id, name, budget, extra = {}) => chat(id, name, { thinking: true, budget, ...extra });

// Gemini 2.0 Flash and Flash-Lite (shut down on 1 June 2026) and the embedding models
// embedding-001 (30 October 2025) and text-embedding-004 (14 January 2026) are not here: like
// Google, the mock answers 404 for them.
const FIRST = [
  thinkingChat('gemini-2.5-flash', 'Gemini 2.5 Flash', BUDGET_FLASH),
  thinkingChat('gemini-2.5-pro', 'Gemini 2.5 Pro', BUDGET_PRO, { version: '2.5' }),
  thinkingChat('gemini-2.5-flash-lite', 'Gemini 2.5 Flash-Lite', BUDGET_LITE),
  thinkingChat('gemini-3-pro-preview', 'Gemini 3 Pro Preview', BUDGET_PRO, {
    version: '3-pro-preview-11-2025',
    levels: ['low', 'high'],
  }),
  thinkingChat('gemini-3-flash-preview', 'Gemini 3 Flash Preview', BUDGET_FLASH, {
    version: '3-flash-preview-12-2025',
    levels: ['minimal', 'low', 'medium', 'high'],
  }),
  thinkingChat('gemini-3.5-flash-lite', 'Gemini 3.5 Flash-Lite', BUDGET_FLASH, {
    version: '3.5-flash-lite',
    levels: ['minimal', 'low', 'medium', 'high'],
  }),
  // Google's named replacement for gemini-2.5-pro (retired 1 December 2026): LOW, MEDIUM, HIGH.
  // Google's page for Gemini 3.6 Flash, the first of its line, says it refuses a request whose
  // last turn is the model's (a prefill); the mock takes that for its successors too.
  thinkingChat('gemini-3.8-flash', 'Gemini 3.8 Flash', BUDGET_FLASH, {
    version: '3.8-flash',
    levels: ['low', 'medium', 'high'],
    noPrefill: true,
  }),
  // Gemini 4 (from October 2026): levels only, no minimal; xhigh on Hydrogen and Neon only.
  thinkingChat('gemini-4-hydrogen', 'Gemini 4 Hydrogen', BUDGET_FLASH, {
    version: '4-hydrogen',
    levels: ['low', 'medium', 'high', 'xhigh'],
  }),
  thinkingChat('gemini-4-neon', 'Gemini 4 Neon', BUDGET_PRO, { version: '4-neon', levels: ['low', 'medium', 'high', 'xhigh'] }),
  thinkingChat('gemini-4-carbon', 'Gemini 4 Carbon', BUDGET_PRO, { version: '4-carbon', levels: ['low', 'medium', 'high'] }),
  // Media models: `output` is what they answer with; `ratios` the aspect ratios they draw.
  chat('gemini-3.1-flash-image', 'Nano Banana 2', { output: 'image', ratios: [...RATIOS, '1:4', '4:1', '1:8', '8:1'] }),
  chat('gemini-3-pro-image', 'Nano Banana Pro', { output: 'image', ratios: RATIOS, thoughtImages: true }),
  chat('gemini-3.8-flash-tts', 'Gemini 3.8 Flash TTS', { output: 'audio' }),
  chat('gemini-3.8-flash-lite-tts', 'Gemini 3.8 Flash-Lite TTS', { output: 'audio' }),
  chat('gemma-3-1b-it', 'Gemma 3 1B'),
  chat('gemma-3-4b-it', 'Gemma 3 4B'),
  chat('gemma-3-12b-it', 'Gemma 3 12B'),
  chat('gemma-3-27b-it', 'Gemma 3 27B'),
];

// Plain generative models whose only job is to push the interesting ones onto page two.
const FILLER = Array.from({ length: 52 - FIRST.length }, (_, i) => {
  const n = String(i + 1).padStart(2, '0');
  return chat(`gemini-mock-filler-${n}`, `Mock Filler ${n}`);
});

const LATER = [
  thinkingChat('gemini-flash-latest', 'Gemini Flash Latest', BUDGET_FLASH),
  embedding('gemini-embedding-001', 'Gemini Embedding 001', 3072),
  chat('aqa', 'Model that performs Attributed Question-Answering.', { methods: ['generateAnswer'] }),
  chat('gemini-mock-filler-90', 'Mock Filler 90'),
  chat('gemini-mock-filler-91', 'Mock Filler 91'),
  chat('gemini-mock-filler-92', 'Mock Filler 92'),
  chat('gemini-mock-filler-93', 'Mock Filler 93'),
  chat('gemini-mock-filler-94', 'Mock Filler 94'),
];

export const MODELS = [...FIRST, ...FILLER, ...LATER];
const BY_ID = new Map(MODELS.map((m) => [m.id, m]));

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;

export const findModel = (id) => BY_ID.get(id);

/** The public resource as `GET models/{id}` answers it. */
export function modelResource(m) {
  const resource = {
    name: `models/${m.id}`,
    version: m.version,
    displayName: m.displayName,
    description: m.description,
    inputTokenLimit: m.inputTokenLimit,
    outputTokenLimit: m.outputTokenLimit,
    supportedGenerationMethods: m.methods,
  };
  if (m.methods === GENERATE) {
    Object.assign(resource, { temperature: 1, topP: 0.95, topK: 64, maxTemperature: 2 });
  }
  if (m.thinking) resource.thinking = true;
  return resource;
}

const encodeToken = (offset) => Buffer.from(`mock-models-offset:${offset}`).toString('base64url');

function decodeToken(token) {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  const match = /^mock-models-offset:(\d+)$/.exec(text);
  if (!match) throw new GeminiError(400, 'INVALID_ARGUMENT', 'Invalid page token.');
  return Number(match[1]);
}

/** `GET models?pageSize=&pageToken=` with the real defaults (50, clamped to 1000). */
export function listModels(query) {
  const rawSize = query.get('pageSize');
  let pageSize = rawSize === null || rawSize === '' ? 0 : Number(rawSize);
  if (!Number.isInteger(pageSize) || pageSize < 0) {
    throw new GeminiError(400, 'INVALID_ARGUMENT', `Invalid value for page_size: ${rawSize}`);
  }
  if (pageSize === 0) pageSize = DEFAULT_PAGE_SIZE;
  pageSize = Math.min(pageSize, MAX_PAGE_SIZE);
  const token = query.get('pageToken');
  const offset = token ? decodeToken(token) : 0;
  const page = MODELS.slice(offset, offset + pageSize).map(modelResource);
  const body = { models: page };
  if (offset + pageSize < MODELS.length) body.nextPageToken = encodeToken(offset + pageSize);
  return body;
}

/**
 * The model a call names, checked for the method it wants. `action` is the URL verb
 * (streamGenerateContent counts as generateContent, batchEmbedContents as embedContent).
 */
export function requireModel(id, action, version) {
  const method =
    { streamGenerateContent: 'generateContent', batchEmbedContents: 'embedContent' }[action] || action;
  const model = findModel(id);
  if (!model || !model.methods.includes(method)) throw notFound(`models/${id}`, version, method);
  return model;
}
