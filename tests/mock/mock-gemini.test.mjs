// Tests of the Gemini mock itself: if the mock drifts from the real service, every Worker test
// built on it proves the wrong thing. This file: error bodies, leak detection, models.
// Run: node --test tests/mock/
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MODELS, startMockGemini } from '../helpers/mock-gemini.mjs';
import { FLASH, KEY, call, userText } from './support.mjs';

let mock;
before(async () => {
  mock = await startMockGemini();
});
after(() => mock.close());
beforeEach(() => mock.reset());

describe('key behaviours answer the exact real error bodies', () => {
  const localized = (message) => ({
    '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
    locale: 'en-US',
    message,
  });
  const info = (reason, metadata = {}) => ({
    '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
    reason,
    domain: 'googleapis.com',
    metadata: { service: 'generativelanguage.googleapis.com', ...metadata },
  });
  const cases = {
    invalid: [
      400,
      'INVALID_ARGUMENT',
      'API key not valid. Please pass a valid API key.',
      (m) => [info('API_KEY_INVALID'), localized(m)],
    ],
    expired: [
      400,
      'INVALID_ARGUMENT',
      'API key expired. Please renew the API key.',
      (m) => [info('API_KEY_INVALID'), localized(m)],
    ],
    leaked: [
      403,
      'PERMISSION_DENIED',
      'Your API key was reported as leaked. Please use another API key.',
      () => undefined,
    ],
    suspended: [
      403,
      'PERMISSION_DENIED',
      `Permission denied: Consumer 'api_key:${KEY}' has been suspended.`,
      (m) => [
        info('CONSUMER_SUSPENDED', { consumer: 'projects/123456789012', containerInfo: `api_key:${KEY}` }),
        localized(m),
      ],
    ],
    overloaded: [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.', () => undefined],
    location: [
      400,
      'FAILED_PRECONDITION',
      'User location is not supported for the API use.',
      () => undefined,
    ],
  };
  for (const [kind, [code, status, message, details]] of Object.entries(cases)) {
    test(kind, async () => {
      mock.setKeyBehaviour(KEY, kind);
      const res = await call(mock, `${FLASH}:generateContent`, { body: userText('hi') });
      const error = { code, message, status };
      if (details(message)) error.details = details(message);
      assert.equal(res.status, code);
      assert.deepEqual(res.json, { error });
    });
  }

  test('blocked names the method in message and ErrorInfo', async () => {
    mock.setKeyBehaviour(KEY, 'blocked');
    const res = await call(mock, `${FLASH}:streamGenerateContent?alt=sse`, { body: userText('hi') });
    const method = 'google.ai.generativelanguage.v1beta.GenerativeService.StreamGenerateContent';
    assert.equal(res.status, 403);
    assert.equal(
      res.json.error.message,
      `Requests to this API generativelanguage.googleapis.com method ${method} are blocked.`,
    );
    assert.equal(res.json.error.details[0].reason, 'API_KEY_SERVICE_BLOCKED');
    assert.equal(res.json.error.details[0].metadata.methodName, method);
  });

  for (const [kind, quotaId] of [
    ['quota_minute', 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier'],
    ['quota_day', 'GenerateRequestsPerDayPerProjectPerModel-FreeTier'],
  ]) {
    test(`${kind}: QuotaFailure, Help and RetryInfo in the real order`, async () => {
      mock.setKeyBehaviour(KEY, kind);
      const { status, json } = await call(mock, `${FLASH}:generateContent`, { body: userText('hi') });
      assert.equal(status, 429);
      assert.equal(json.error.status, 'RESOURCE_EXHAUSTED');
      assert.deepEqual(
        json.error.details.map((d) => d['@type'].split('.').pop()),
        ['QuotaFailure', 'Help', 'RetryInfo'],
      );
      const [violation] = json.error.details[0].violations;
      assert.equal(violation.quotaId, quotaId);
      assert.deepEqual(violation.quotaDimensions, { location: 'global', model: 'gemini-2.5-flash' });
      assert.equal(json.error.details[2].retryDelay, '28s');
      assert.match(json.error.message, /Please retry in 28\.\d+s\./);
    });
  }

  test('server_error is a 500 INTERNAL', async () => {
    mock.setKeyBehaviour(KEY, 'server_error');
    const { status, json } = await call(mock, `${FLASH}:generateContent`, { body: userText('hi') });
    assert.equal(status, 500);
    assert.equal(json.error.status, 'INTERNAL');
  });

  test('a query parameter the method cannot bind is refused, its name quoted', async () => {
    const res = await call(mock, `${FLASH}:generateContent?alt=sse&API%20key%20not%20valid=1`, { body: userText('hi') });
    assert.equal(res.status, 400);
    assert.equal(
      res.json.error.message,
      'Invalid JSON payload received. Unknown name "API key not valid": Cannot bind query parameter. ' +
        "Field 'API key not valid' could not be found in request message.",
    );
    assert.equal(res.json.error.details[0]['@type'], 'type.googleapis.com/google.rpc.BadRequest');
    assert.equal((await call(mock, '/v1beta/models?pageSize=2&%24alt=json')).status, 200);
  });

  test('a missing key is an unregistered caller; a malformed one is invalid', async () => {
    const missing = await call(mock, `${FLASH}:generateContent`, { body: userText('hi'), key: null });
    assert.equal(missing.status, 403);
    assert.match(missing.json.error.message, /^Method doesn't allow unregistered callers/);
    const malformed = await call(mock, `${FLASH}:generateContent`, {
      body: userText('hi'),
      key: 'AIza-too-short',
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.json.error.details[0].reason, 'API_KEY_INVALID');
  });
});

describe('leaks are flagged', () => {
  test('?key= in the URL is a violation and a 400', async () => {
    const res = await call(mock, `${FLASH}:generateContent?key=${KEY}`, { body: userText('hi'), key: null });
    assert.equal(res.status, 400);
    assert.deepEqual(
      mock.violations.map((v) => v.type),
      ['key-in-url'],
    );
  });

  test('a forwarded Authorization header is a violation and the real 401', async () => {
    const res = await call(mock, `${FLASH}:generateContent`, {
      body: userText('hi'),
      headers: { authorization: 'Bearer client-token' },
    });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.status, 'UNAUTHENTICATED');
    assert.deepEqual(
      mock.violations.map((v) => v.type),
      ['authorization-forwarded'],
    );
  });

  for (const query of ['$key', '%24key', '%6bey']) {
    test(`${query}= is read as the key: a violation and a 400`, async () => {
      const res = await call(mock, `${FLASH}:generateContent?${query}=${KEY}`, { body: userText('hi'), key: null });
      assert.equal(res.status, 400);
      assert.deepEqual(
        mock.violations.map((v) => v.type),
        ['key-in-url'],
      );
    });
  }

  test('an OAuth token in the query is a violation and the real 401', async () => {
    const res = await call(mock, `${FLASH}:generateContent?access_token=garbage`, { body: userText('hi') });
    assert.equal(res.status, 401);
    assert.equal(res.json.error.status, 'UNAUTHENTICATED');
    assert.deepEqual(
      mock.violations.map((v) => v.type),
      ['credential-in-url'],
    );
  });

  test('a method override in the query is a violation', async () => {
    await call(mock, `/v1beta/models?%24httpMethod=DELETE`);
    assert.deepEqual(
      mock.violations.map((v) => v.type),
      ['method-override'],
    );
  });
  test('forbiddenValues anywhere in a request are violations', async () => {
    const strict = await startMockGemini({ forbiddenValues: ['client-secret-token'] });
    try {
      await call(strict, `${FLASH}:generateContent`, { body: userText('hi client-secret-token') });
      assert.deepEqual(
        strict.violations.map((v) => v.message),
        ['a forbidden value reached upstream in the body'],
      );
    } finally {
      await strict.close();
    }
  });
});

describe('models', () => {
  test('list pages by 50 by default and nextPageToken reaches the rest', async () => {
    const first = await call(mock, '/v1beta/models');
    assert.equal(first.json.models.length, 50);
    assert.ok(first.json.nextPageToken);
    const names = first.json.models.map((m) => m.name);
    assert.ok(!names.includes('models/gemini-embedding-001'), 'embedding model is past page one');
    const second = await call(mock, `/v1beta/models?pageToken=${first.json.nextPageToken}`);
    assert.equal(second.json.nextPageToken, undefined);
    const all = [...names, ...second.json.models.map((m) => m.name)];
    assert.equal(all.length, MODELS.length);
    assert.ok(all.length >= 60);
    for (const id of [
      'gemini-2.5-flash',
      'gemini-2.5-pro',
      'gemini-2.5-flash-lite',
      'gemini-3-pro-preview',
      'gemini-embedding-001',
    ]) {
      assert.ok(all.includes(`models/${id}`), id);
    }
  });

  test('pageSize is clamped to 1000, a bad token is a 400', async () => {
    const big = await call(mock, '/v1alpha/models?pageSize=5000');
    assert.equal(big.json.models.length, MODELS.length);
    const bad = await call(mock, '/v1beta/models?pageToken=nonsense');
    assert.equal(bad.status, 400);
  });

  test('get one model, 404 for an unknown one or an unsupported method', async () => {
    const one = await call(mock, '/v1/models/gemini-2.5-pro');
    assert.equal(one.json.name, 'models/gemini-2.5-pro');
    assert.ok(one.json.supportedGenerationMethods.includes('generateContent'));
    assert.equal((await call(mock, '/v1beta/models/nope')).status, 404);
    const embedGen = await call(mock, '/v1beta/models/gemini-embedding-001:generateContent', {
      body: userText('hi'),
    });
    assert.equal(embedGen.status, 404);
    assert.equal(embedGen.json.error.status, 'NOT_FOUND');
  });
});
