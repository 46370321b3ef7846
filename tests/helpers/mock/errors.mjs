// Error bodies in the exact shapes the Gemini API sends. A proxy classifies keys from these
// bodies, so the details array (ErrorInfo, QuotaFailure, Help, RetryInfo, LocalizedMessage) and
// its order follow captured real answers, not a tidied-up version of them.

const API_TYPE = 'type.googleapis.com/google.ai.generativelanguage.v1beta';
const SERVICE = 'generativelanguage.googleapis.com';
const FAKE_PROJECT = 'projects/123456789012';

/** A Gemini error that a handler throws and the server turns into a JSON answer. */
export class GeminiError extends Error {
  constructor(code, status, message, details) {
    super(message);
    this.code = code;
    this.status = status;
    this.details = details;
  }

  toBody() {
    const error = { code: this.code, message: this.message, status: this.status };
    if (this.details) error.details = this.details;
    return { error };
  }
}

export const protoType = (name) => `${API_TYPE}.${name}`;

const errorInfo = (reason, metadata) => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason,
  domain: 'googleapis.com',
  metadata: { service: SERVICE, ...metadata },
});

const localized = (message) => ({
  '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
  locale: 'en-US',
  message,
});

/** JSON-level errors (unknown field, wrong type) carry every violation in a BadRequest detail. */
export function payloadError(descriptions) {
  return new GeminiError(400, 'INVALID_ARGUMENT', descriptions.join('\n'), [
    {
      '@type': 'type.googleapis.com/google.rpc.BadRequest',
      fieldViolations: descriptions.map((description) => ({ description })),
    },
  ]);
}

/** Semantic request errors: the real service formats them as "* Path: text\n", no details. */
export function requestError(path, text) {
  return new GeminiError(400, 'INVALID_ARGUMENT', `* ${path}: ${text}\n`);
}

export const invalidArgument = (message) => new GeminiError(400, 'INVALID_ARGUMENT', message);

/** A file the caller's project cannot see, whether it exists elsewhere or not at all. */
export const fileDenied = (id) =>
  new GeminiError(403, 'PERMISSION_DENIED', `You do not have permission to access the File ${id} or it may not exist.`);

export function notFound(resource, version, method) {
  return new GeminiError(
    404,
    'NOT_FOUND',
    `${resource} is not found for API version ${version}, or is not supported for ${method}. ` +
      'Call ListModels to see the list of available models and their supported methods.',
  );
}

function quotaExceeded(ctx, perDay) {
  const quotaId = perDay
    ? 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'
    : 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier';
  const quotaValue = perDay ? '250' : '10';
  const model = ctx.model || 'gemini-2.5-flash';
  const metric = 'generativelanguage.googleapis.com/generate_content_free_tier_requests';
  // The day quota still says "retry in ~30s": the proxy must trust the quotaId, not this text.
  const message =
    'You exceeded your current quota, please check your plan and billing details. For more ' +
    'information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. ' +
    'To monitor your current usage, head to: https://ai.dev/usage?tab=rate-limit. \n' +
    `* Quota exceeded for metric: ${metric}, limit: ${quotaValue}, model: ${model}\n` +
    `Please retry in ${(parseFloat(ctx.retryDelay) + 0.481).toFixed(3)}s.`;
  return new GeminiError(429, 'RESOURCE_EXHAUSTED', message, [
    {
      '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
      violations: [
        {
          quotaMetric: metric,
          quotaId,
          quotaDimensions: { location: 'global', model },
          quotaValue,
        },
      ],
    },
    {
      '@type': 'type.googleapis.com/google.rpc.Help',
      links: [
        {
          description: 'Learn more about Gemini API quotas',
          url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
        },
      ],
    },
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: ctx.retryDelay },
  ]);
}

/**
 * Builders for every named key behaviour that ends in an error. `ctx` is
 * `{ key, model, rpc, retryDelay }` (rpc like "GenerateContent", for the blocked message).
 */
export const KEY_ERRORS = {
  invalid: () => {
    const message = 'API key not valid. Please pass a valid API key.';
    return new GeminiError(400, 'INVALID_ARGUMENT', message, [
      errorInfo('API_KEY_INVALID'),
      localized(message),
    ]);
  },
  expired: () => {
    const message = 'API key expired. Please renew the API key.';
    return new GeminiError(400, 'INVALID_ARGUMENT', message, [
      errorInfo('API_KEY_INVALID'),
      localized(message),
    ]);
  },
  leaked: () =>
    new GeminiError(
      403,
      'PERMISSION_DENIED',
      'Your API key was reported as leaked. Please use another API key.',
    ),
  // The real answer echoes the full key twice (message and metadata.containerInfo).
  suspended: ({ key }) => {
    const message = `Permission denied: Consumer 'api_key:${key}' has been suspended.`;
    return new GeminiError(403, 'PERMISSION_DENIED', message, [
      errorInfo('CONSUMER_SUSPENDED', { consumer: FAKE_PROJECT, containerInfo: `api_key:${key}` }),
      localized(message),
    ]);
  },
  blocked: ({ rpc }) => {
    const methodName = `google.ai.generativelanguage.v1beta.${rpc || 'GenerativeService.GenerateContent'}`;
    const message = `Requests to this API ${SERVICE} method ${methodName} are blocked.`;
    return new GeminiError(403, 'PERMISSION_DENIED', message, [
      errorInfo('API_KEY_SERVICE_BLOCKED', { consumer: FAKE_PROJECT, apiName: SERVICE, methodName }),
      localized(message),
    ]);
  },
  quota_minute: (ctx) => quotaExceeded(ctx, false),
  quota_day: (ctx) => quotaExceeded(ctx, true),
  // Google Search grounding past its quota (the free tier may have none): a 429 with a Help
  // link only, no QuotaFailure and no RetryInfo.
  no_grounding: () =>
    new GeminiError(
      429,
      'RESOURCE_EXHAUSTED',
      'You exceeded your current quota, please check your plan and billing details. For more information on this ' +
        'error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. To monitor your current usage, head to: ' +
        'https://ai.dev/rate-limit. ',
      [
        {
          '@type': 'type.googleapis.com/google.rpc.Help',
          links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }],
        },
      ],
    ),
  overloaded: () => new GeminiError(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'),
  server_error: () =>
    new GeminiError(
      500,
      'INTERNAL',
      'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
    ),
  location: () =>
    new GeminiError(400, 'FAILED_PRECONDITION', 'User location is not supported for the API use.'),
};

export const unregisteredCaller = () =>
  new GeminiError(
    403,
    'PERMISSION_DENIED',
    "Method doesn't allow unregistered callers (callers without established identity). " +
      'Please use API Key or other form of API consumer identity to call this API.',
  );

// What Google answers when an Authorization header holds something that is not an OAuth token,
// e.g. a client's proxy token forwarded upstream by mistake.
export const oauthExpected = () =>
  new GeminiError(
    401,
    'UNAUTHENTICATED',
    'Request had invalid authentication credentials. Expected OAuth 2 access token, login ' +
      'cookie or other valid authentication credential. See ' +
      'https://developers.google.com/identity/sign-in/web/devconsole-project.',
    [
      errorInfo('ACCESS_TOKEN_TYPE_UNSUPPORTED', {
        method: 'google.ai.generativelanguage.v1beta.GenerativeService',
      }),
    ],
  );

// Not a real Gemini answer: the mock refuses ?key= so that a leak fails loudly.
export const keyInUrl = () =>
  invalidArgument(
    'Mock Gemini: the API key arrived in the URL (?key=). Send it only in the x-goog-api-key header.',
  );

/** Google's HTML 404 page for paths that are not an API resource at all. */
export function htmlNotFound(path) {
  return (
    '<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 404 (Not Found)!!1</title>\n' +
    `  <p><b>404.</b> <ins>That’s an error.</ins>\n  <p>The requested URL <code>${path}</code> ` +
    'was not found on this server.  <ins>That’s all we know.</ins>\n'
  );
}
