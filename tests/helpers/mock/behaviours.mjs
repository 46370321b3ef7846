// Per-key behaviours: what the mock answers for a given key. The forms, from simple to general:
//
//   'ok' | 'invalid' | 'expired' | 'leaked' | 'suspended' | 'blocked' | 'location'
//   | 'quota_minute' | 'quota_day' | 'overloaded' | 'server_error'
//   | 'no_grounding' (the project has no grounding left, as on the free tier: a generate call or
//     an interaction with Google Search, URL context or Maps tools gets a 429 that names no
//     quota; any other is 'ok')
//   | 'html' (200 with an HTML page) | 'empty' (200, empty body) | 'disconnect' (drop the socket)
//
//   { kind, ...modifiers }   one step with modifiers:
//       models: ['gemini-2.5-flash']   the step applies only to calls on these models
//       retryDelay: '5s'               RetryInfo for the quota kinds
//       stallMs: 300                   wait before the first byte (capped at 30 s)
//       disconnectMidStream: 2         drop the socket after 2 stream events (or half a body)
//       chunking: 'byte'               override the mock-wide stream chunking
//   [step, step, ...]        a sequence: one step per request with this key, the last repeats
//   { failTimes: 2, with: 'overloaded', then: 'ok' }   shorthand for such a sequence
//   (req) => step | { status, headers?, body } | null    decide per request; null means 'ok';
//       req is the recorded request (method, path, model, action, key, json()...).
//
// A key without a behaviour is 'ok' when well formed (AIza + 35 of [A-Za-z0-9_-]) and
// 'invalid' otherwise, like the real service.

export const KEY_PATTERN = /^AIza[A-Za-z0-9_-]{35}$/;

// Dead-key and region answers come before routing and body checks, as on the real service
// (a bad key with a bad body is reported as a bad key).
export const EARLY_KINDS = ['invalid', 'expired', 'leaked', 'suspended', 'blocked', 'location', 'disconnect'];

// Quota and overload only concern calls that run a model; listing models still works.
const MODEL_CALLS = ['generateContent', 'streamGenerateContent', 'embedContent', 'batchEmbedContents', 'interactions'];
const LATE_KIND_SCOPE = {
  quota_minute: MODEL_CALLS,
  quota_day: MODEL_CALLS,
  overloaded: ['generateContent', 'streamGenerateContent'],
  no_grounding: ['generateContent', 'streamGenerateContent', 'interactions'],
};

// The tools that ground an answer in Google Search, a URL or Google Maps: generateContent names
// them by field, in either spelling, the Interactions API by type.
const GROUNDING_TOOLS = [
  'googleSearch', 'google_search', 'googleSearchRetrieval', 'google_search_retrieval',
  'urlContext', 'url_context', 'googleMaps', 'google_maps',
];

function asksGrounding(req) {
  try {
    return (req.json()?.tools ?? []).some((tool) => tool && GROUNDING_TOOLS.some((name) => name in tool || tool.type === name));
  } catch {
    return false;
  }
}

export const KINDS = [
  ...EARLY_KINDS,
  'ok',
  'quota_minute',
  'quota_day',
  'overloaded',
  'server_error',
  'no_grounding',
  'html',
  'empty',
];

const MODIFIERS = ['models', 'retryDelay', 'stallMs', 'disconnectMidStream', 'chunking'];
export const MAX_STALL_MS = 30000;

function normalizeStep(step) {
  if (step === null || step === undefined) return { kind: 'ok' };
  const object = typeof step === 'string' ? { kind: step } : step;
  if (!KINDS.includes(object.kind)) {
    throw new TypeError(
      `mock: unknown behaviour kind ${JSON.stringify(object.kind)} (known: ${KINDS.join(', ')})`,
    );
  }
  for (const name of Object.keys(object)) {
    if (name !== 'kind' && !MODIFIERS.includes(name)) {
      throw new TypeError(`mock: unknown behaviour option ${JSON.stringify(name)}`);
    }
  }
  return object;
}

const isRawResponse = (value) => value && typeof value === 'object' && Number.isInteger(value.status);

/** Turns any accepted behaviour form into `{ next(req) → step | raw response }`. */
export function compileBehaviour(behaviour) {
  if (typeof behaviour === 'function') {
    return {
      next: (req) => {
        const result = behaviour(req);
        return isRawResponse(result) ? { raw: result } : normalizeStep(result);
      },
    };
  }
  let steps;
  if (Array.isArray(behaviour)) {
    steps = behaviour;
  } else if (behaviour && typeof behaviour === 'object' && 'failTimes' in behaviour) {
    const { failTimes, with: failure, then = 'ok' } = behaviour;
    if (!Number.isInteger(failTimes) || failTimes < 0 || failure === undefined) {
      throw new TypeError('mock: { failTimes, with, then } needs a non-negative integer and a step');
    }
    steps = [...Array(failTimes).fill(failure), then];
  } else {
    steps = [behaviour];
  }
  if (steps.length === 0) throw new TypeError('mock: a behaviour sequence needs at least one step');
  const compiled = steps.map(normalizeStep);
  let position = 0;
  return {
    next: () => compiled[Math.min(position++, compiled.length - 1)],
  };
}

export const defaultStep = (key) => ({ kind: KEY_PATTERN.test(key) ? 'ok' : 'invalid' });

/**
 * Whether an error kind applies to this request; when it does not (a quota step on a
 * models list, a step limited to other models) the request is answered as 'ok'.
 */
export function stepApplies(step, req) {
  if (step.models && !step.models.includes(req.model)) return false;
  const scope = LATE_KIND_SCOPE[step.kind];
  if (step.kind === 'no_grounding' && !asksGrounding(req)) return false;
  return !scope || scope.includes(req.action);
}
