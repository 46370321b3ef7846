// Renders a composed answer (answers.mjs) as the service does: one GenerateContentResponse,
// or a list of stream events where each event carries only new text, usageMetadata is
// cumulative, and finishReason arrives on a candidate's last event.

const TEXT_PIECE = 14; // code points per stream event: small, so even short replies span events
const LONG_PIECE = 60;

function usageMetadata(usage, { candidates = usage.candidates, thoughts = usage.thoughts } = {}) {
  const prompt = usage.prompt + usage.cached;
  const meta = { promptTokenCount: prompt };
  if (candidates) meta.candidatesTokenCount = candidates;
  meta.totalTokenCount = prompt + candidates + thoughts;
  if (usage.cached) meta.cachedContentTokenCount = usage.cached;
  meta.promptTokensDetails = [{ modality: 'TEXT', tokenCount: prompt }];
  if (usage.cached) meta.cacheTokensDetails = [{ modality: 'TEXT', tokenCount: usage.cached }];
  if (thoughts) meta.thoughtsTokenCount = thoughts;
  return meta;
}

function candidateObject(candidate, index, parts, withFinish) {
  const result = {};
  if (parts.length) result.content = { parts, role: 'model' };
  if (withFinish) {
    result.finishReason = candidate.finishReason;
    if (candidate.safetyRatings) result.safetyRatings = candidate.safetyRatings;
    // Grounding comes with a candidate's last event, its spans over the whole text.
    if (candidate.groundingMetadata) result.groundingMetadata = candidate.groundingMetadata;
  }
  result.index = index;
  return result;
}

const blockedFeedback = (reason) => ({
  blockReason: reason,
  safetyRatings: [
    { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
    { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH' },
  ],
});

/** `meta` is `{ modelVersion, responseId }`. */
export function renderResponse(answer, meta) {
  const body = {};
  if (answer.blockReason) {
    body.promptFeedback = blockedFeedback(answer.blockReason);
  } else {
    body.candidates = answer.candidates.map((c, i) => candidateObject(c, i, c.parts, true));
  }
  body.usageMetadata = usageMetadata(answer.usage);
  body.modelVersion = meta.modelVersion;
  body.responseId = meta.responseId;
  return body;
}

/** The same answer as stream events (objects; sse framing happens in wire.mjs). */
export function renderStream(answer, meta) {
  const envelope = (fields, usage) => ({
    ...fields,
    usageMetadata: usage,
    modelVersion: meta.modelVersion,
    responseId: meta.responseId,
  });
  if (answer.blockReason) {
    return [envelope({ promptFeedback: blockedFeedback(answer.blockReason) }, usageMetadata(answer.usage))];
  }
  const events = [];
  const total = answer.usage;
  // Thinking happens before the first byte, so hidden thoughts are billed from event one.
  const shown = answer.candidates.some((c) => c.parts.some((p) => p.thought));
  const sent = { candidates: 0, thoughts: shown ? 0 : total.thoughts };
  answer.candidates.forEach((candidate, index) => {
    const steps = streamSteps(candidate.parts);
    if (steps.length === 0) steps.push({ parts: [], tokens: 0, thought: false });
    steps.forEach((step, s) => {
      const kind = step.thought ? 'thoughts' : 'candidates';
      sent[kind] = Math.min(sent[kind] + step.tokens, total[kind]);
      const last = s === steps.length - 1 && index === answer.candidates.length - 1;
      const usage = usageMetadata(total, last ? {} : { ...sent });
      const object = candidateObject(candidate, index, step.parts, s === steps.length - 1);
      events.push(envelope({ candidates: [object] }, usage));
    });
  });
  return events;
}

// Splits parts into per-event pieces: text and thoughts are cut into runs of code points
// (never mid-character: splitting bytes is the wire's job), calls travel whole.
function streamSteps(parts) {
  const steps = [];
  const calls = parts.filter((p) => p.functionCall);
  for (const part of parts) {
    if (part.functionCall) continue;
    const chars = [...part.text];
    const size = chars.length > 400 ? LONG_PIECE : TEXT_PIECE;
    for (let i = 0; i < chars.length; i += size) {
      const text = chars.slice(i, i + size).join('');
      const piece = part.thought ? { text, thought: true } : { text };
      steps.push({
        parts: [piece],
        tokens: Math.ceil(Buffer.byteLength(text) / 4),
        thought: Boolean(part.thought),
      });
    }
    // Gemini 3 streams a text part's signature in a final event with an empty text part.
    if (part.thoughtSignature) {
      steps.push({
        parts: [{ text: '', thoughtSignature: part.thoughtSignature }],
        tokens: 0,
        thought: false,
      });
    }
  }
  if (calls.length) steps.push({ parts: calls, tokens: 6 * calls.length, thought: false });
  return steps;
}
