// The mock's "model": deterministic answers that a test steers with words in the last user
// message. The answer is built once as plain parts and rendered either as one
// GenerateContentResponse or as a list of stream events (see render.mjs).
//
// Steering words (case-insensitive, first match wins for the body):
//   a functionResponse turn   → text summarising each tool result
//   "blocked"                 → no candidates, promptFeedback.blockReason SAFETY
//   "call tools in parallel"  → two functionCall parts
//   "call tool NAME"          → one functionCall (NAME must be declared in tools)
//   "call tool NAME with {…}" → the same, with exactly those arguments (a JSON object)
//   toolConfig mode ANY       → a call to the first allowed/declared function
//   "unsafe"                  → a candidate with finishReason SAFETY and no content
//   "json"                    → JSON text fitting responseSchema / responseJsonSchema
//   "long"                    → a long reply (many stream events, CJK and emoji)
//   "twenty"                  → a reply streamed as exactly 20 events
//   "max tokens"              → the reply cut short, finishReason MAX_TOKENS
//   anything else             → REPLIES.hello(model)
// Independently: "think" adds a thought part when includeThoughts is on; candidateCount is
// honoured; stopSequences and maxOutputTokens cut the text the way the service does; a text
// answer to a request with googleSearch carries groundingMetadata citing SOURCES.

import { declaredFunctions } from './validate.mjs';
import { exampleFromSchema } from './schema-example.mjs';

// A 1x1 PNG: what the image models draw.
export const IMAGE_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';
export const PCM_MIME = 'audio/L16;codec=pcm;rate=24000';

/** The PCM the speech models answer for `text`: 24 kHz 16-bit mono, 20 samples per character. */
export function speechPcm(text) {
  const samples = Int16Array.from({ length: 20 * [...text].length }, (_, i) => Math.round(6000 * Math.sin(i / 3)));
  return Buffer.from(samples.buffer);
}

export const REPLIES = {
  hello: (model) => `Hello from ${model}! 你好，世界 👋🌍`,
  thought: '**Considering the request**\nThe user wants a short answer; 先想一想 🤔 then reply.',
  long: Array.from(
    { length: 40 },
    (_, i) => `Line ${i + 1}: streaming works 流式传输正常 🚀✨ — the quick brown fox.\n`,
  ).join(''),
  toolResult: (name, response) => `Result of ${name}: ${JSON.stringify(response)}`,
  // 20 × 14 code points: 20 stream events (render.mjs cuts short replies every 14).
  twenty: Array.from({ length: 20 }, (_, i) => `Event ${String(i + 1).padStart(2, '0')} 流式ok.`).join(''),
  transcript: 'Hello from the audio file. 你好。',
  translation: 'Hello from the audio file, in English.',
};

const CITY_NAMES = ['Paris', 'Tokyo', 'Lima'];

// Whole words only, so that "along" does not ask for a long answer.
const says = (prompt, words) => new RegExp(`\\b${words}\\b`).test(prompt);

/** A rough, deterministic token count: one token per 4 UTF-8 bytes. */
export const countTokens = (text) => (text ? Math.max(1, Math.ceil(Buffer.byteLength(text) / 4)) : 0);

export function promptTokens(req) {
  const contents = [...(req.contents || []), ...(req.systemInstruction ? [req.systemInstruction] : [])];
  let total = 0;
  for (const content of contents) {
    for (const part of content.parts || []) {
      total += part.text ? countTokens(part.text) : 8;
    }
  }
  return total;
}

function lastUserContent(contents) {
  for (let i = contents.length - 1; i >= 0; i--) {
    if (contents[i].role !== 'model') return contents[i];
  }
  return { parts: [] };
}

/**
 * Answer for a validated request. `issueSignature(name)` registers and returns a new
 * thought signature (name is the function name, or null for a text part).
 * Returns `{ blockReason?, candidates: [{ parts, finishReason, safetyRatings? }], usage }`.
 */
export function composeAnswer(req, model, issueSignature) {
  const user = lastUserContent(req.contents);
  const prompt = user.parts
    .filter((p) => p.text)
    .map((p) => p.text)
    .join('\n')
    .toLowerCase();
  const usage = { prompt: promptTokens(req), cached: req.cachedContent ? 32 : 0 };
  if (says(prompt, 'blocked') && !user.parts.some((p) => p.functionResponse)) {
    return { blockReason: 'SAFETY', candidates: [], usage: { ...usage, candidates: 0, thoughts: 0 } };
  }
  if (model.output) return mediaAnswer(model, user, usage);
  if (user.parts.some((p) => p.inlineData?.mimeType?.startsWith('audio/'))) {
    const text = says(prompt, 'translate') ? REPLIES.translation : REPLIES.transcript;
    return { candidates: [{ parts: [{ text }], finishReason: 'STOP' }], usage: { ...usage, candidates: countTokens(text), thoughts: 0 } };
  }
  const thinking = thinkingMode(req, model);
  const count = req.generationConfig?.candidateCount || 1;
  const candidates = Array.from({ length: count }, (_, index) =>
    composeCandidate({ req, model, user, prompt, index, thinking, issueSignature }),
  );
  return { candidates, usage: { ...usage, ...outputUsage(candidates, thinking) } };
}

function thinkingMode(req, model) {
  const config = req.generationConfig?.thinkingConfig || {};
  const on = model.thinking && config.thinkingBudget !== 0;
  return { on, include: on && Boolean(config.includeThoughts) };
}

function composeCandidate({ req, model, user, prompt, index, thinking, issueSignature }) {
  const body = chooseBody(req, model, user, prompt, index);
  const parts = [];
  if (thinking.include && says(prompt, 'think')) parts.push({ text: REPLIES.thought, thought: true });
  parts.push(...body.parts);
  if (model.modern) signParts(body.parts, issueSignature);
  const candidate = { parts, finishReason: body.finishReason, safetyRatings: body.safetyRatings };
  const searched = (req.tools || []).some((t) => t.googleSearch);
  const text = body.parts.filter((p) => p.text && !p.thought).map((p) => p.text).join('');
  if (searched && text && !body.parts.some((p) => p.functionCall)) candidate.groundingMetadata = groundingFor(text);
  return candidate;
}

// The pages a Google Search grounded answer cites (grounding-api-redirect links, titled with
// their domain, as Google gives them).
export const SOURCES = [
  { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/mock-source-1', title: 'example.com' },
  { uri: 'https://vertexaisearch.cloud.google.com/grounding-api-redirect/mock-source-2', title: 'example.org' },
];

// The spans of a grounded text and the sources each cites: the first sentence the first
// source, the rest (if any) both. Tests read the citations they expect from it.
export function groundedSpans(text) {
  const cut = text.search(/[.!?](\s|$)/);
  const first = cut >= 0 ? text.slice(0, cut + 1) : text;
  const rest = text.slice(first.length).trimStart();
  const spans = [{ text: first, start: 0, sources: [0] }];
  if (rest) spans.push({ text: rest, start: text.length - rest.length, sources: [0, 1] });
  return spans;
}

/** Each citation of a grounded `text`, in order: [span text, source]. */
export const citations = (text) => groundedSpans(text).flatMap((span) => span.sources.map((i) => [span.text, SOURCES[i]]));

// What a grounded answer carries: its queries, the sources, and which spans of the text each
// source supports, in UTF-8 byte offsets (a 0 start left out, as proto3 does).
export function groundingFor(text) {
  const bytes = (s) => Buffer.byteLength(s);
  const supports = groundedSpans(text).map((span) => {
    const start = bytes(text.slice(0, span.start));
    const segment = { ...(start ? { startIndex: start } : {}), endIndex: start + bytes(span.text), text: span.text };
    return { segment, groundingChunkIndices: span.sources };
  });
  return {
    webSearchQueries: [groundedSpans(text)[0].text.slice(0, 40)],
    searchEntryPoint: { renderedContent: '<div class="container">search suggestions</div>' },
    groundingChunks: SOURCES.map((web) => ({ web })),
    groundingSupports: supports,
  };
}

// Gemini 3 signs the first call of a step, or the last text part when there is no call.
function signParts(parts, issueSignature) {
  const call = parts.find((p) => p.functionCall);
  const target = call || parts.findLast((p) => p.text !== undefined);
  if (target) target.thoughtSignature = issueSignature(call ? call.functionCall.name : null);
}

function chooseBody(req, model, user, prompt, index) {
  const responses = user.parts.filter((p) => p.functionResponse).map((p) => p.functionResponse);
  if (responses.length) {
    return textBody(req, responses.map((r) => REPLIES.toolResult(r.name, r.response)).join('\n'));
  }
  const original = user.parts
    .filter((p) => p.text)
    .map((p) => p.text)
    .join('\n');
  const calls = plannedCalls(req, prompt, original);
  if (calls) return calls;
  if (says(prompt, 'unsafe')) {
    const rating = { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true };
    return { parts: [], finishReason: 'SAFETY', safetyRatings: [rating] };
  }
  let text = says(prompt, 'long') ? REPLIES.long : says(prompt, 'twenty') ? REPLIES.twenty : REPLIES.hello(model.id);
  if (says(prompt, 'json')) text = jsonText(req.generationConfig || {});
  if (index > 0) text += ` (candidate ${index + 1})`;
  if (says(prompt, 'max tokens')) {
    return { parts: [{ text: [...text].slice(0, 12).join('') }], finishReason: 'MAX_TOKENS' };
  }
  return textBody(req, text);
}

/** Applies stopSequences and maxOutputTokens to a text reply. */
function textBody(req, text) {
  const config = req.generationConfig || {};
  let cut = text;
  for (const stop of config.stopSequences || []) {
    const at = cut.indexOf(stop);
    if (at >= 0) cut = cut.slice(0, at);
  }
  const limit = config.maxOutputTokens;
  if (limit && countTokens(cut) > limit) {
    const chars = [...cut];
    let kept = '';
    for (const ch of chars) {
      if (countTokens(kept + ch) > limit) break;
      kept += ch;
    }
    return { parts: [{ text: kept }], finishReason: 'MAX_TOKENS' };
  }
  return { parts: [{ text: cut }], finishReason: 'STOP' };
}

function plannedCalls(req, prompt, original) {
  const declared = declaredFunctions(req.tools);
  const config = req.toolConfig?.functionCallingConfig || {};
  if (!declared.length || config.mode === 'NONE') return null;
  const byName = new Map(declared.map((d) => [d.name, d]));
  let chosen = [];
  const named = /call tool ([A-Za-z0-9_.:-]+)/.exec(prompt);
  const scripted = /call tool ([A-Za-z0-9_.:-]+) with (\{.*?\})(?:\s|$)/.exec(original);
  if (says(prompt, 'call tools in parallel')) {
    const first = byName.get('get_weather') || declared[0];
    chosen = [first, byName.get('get_weather') ? first : declared[1] || first];
  } else if (named) {
    const decl = declared.find((d) => d.name.toLowerCase() === named[1]);
    if (!decl) {
      return { parts: [{ text: `No function named ${named[1]} is declared.` }], finishReason: 'STOP' };
    }
    const args = scripted && parseObject(scripted[2]);
    if (args) return { parts: [{ functionCall: { name: decl.name, args } }], finishReason: 'STOP' };
    chosen = [decl];
  } else if (config.mode === 'ANY') {
    const allowed = config.allowedFunctionNames || [];
    chosen = [allowed.length ? byName.get(allowed[0]) : declared[0]];
  } else {
    return null;
  }
  // The Gemini API finishes a function call with STOP, not with a tool-specific reason.
  return { parts: chosen.map((decl, i) => callPart(decl, i)), finishReason: 'STOP' };
}

function parseObject(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

function callPart(decl, i) {
  const schema = decl.parametersJsonSchema || decl.parameters;
  const args = schema ? exampleFromSchema(schema, { strings: [CITY_NAMES[i % CITY_NAMES.length]] }) : {};
  return { functionCall: { name: decl.name, args: args && typeof args === 'object' ? args : {} } };
}

function jsonText(config) {
  const schema = config.responseJsonSchema || config.responseSchema;
  if (config.responseMimeType === 'text/x.enum' && schema?.enum?.length) return schema.enum[0];
  const value = schema ? exampleFromSchema(schema) : { answer: 'Hello', items: ['你好', '👋'] };
  return JSON.stringify(value);
}

function outputUsage(candidates, thinking) {
  let output = 0;
  let thoughts = 0;
  for (const candidate of candidates) {
    for (const part of candidate.parts) {
      const tokens = part.functionCall ? 6 : countTokens(part.text || '');
      if (part.thought) thoughts += tokens;
      else output += tokens;
    }
  }
  // A thinking model thinks (and bills it) whether or not it shows the thoughts.
  if (thinking.on && thoughts === 0) thoughts = 24;
  return { candidates: output, thoughts: thinking.on ? thoughts : 0 };
}

// Image models draw (Gemini 3 Pro Image shows a draft marked as a thought first); speech
// models speak the prompt. Billed like Google: 1290 tokens an image, 25 a second of audio.
function mediaAnswer(model, user, usage) {
  if (model.output === 'image') {
    const parts = [];
    if (model.thoughtImages) parts.push({ inlineData: { mimeType: 'image/png', data: IMAGE_PNG }, thought: true });
    parts.push({ text: 'Here is the image.' }, { inlineData: { mimeType: 'image/png', data: IMAGE_PNG } });
    return { candidates: [{ parts, finishReason: 'STOP' }], usage: { ...usage, candidates: 1290, thoughts: 0 } };
  }
  const text = user.parts.filter((p) => p.text).map((p) => p.text).join('\n');
  const pcm = speechPcm(text);
  const seconds = pcm.length / 48000;
  return {
    candidates: [{ parts: [{ inlineData: { mimeType: PCM_MIME, data: pcm.toString('base64') } }], finishReason: 'STOP' }],
    usage: { ...usage, candidates: Math.max(1, Math.round(seconds * 25)), thoughts: 0 },
  };
}
