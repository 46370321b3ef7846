// Every Gemini body the Anthropic request fixtures expect (tests/fixtures/anthropic/requests/,
// checked against the C++ translator by cpp/tests/anthropic_request_test.cpp) is one the
// mock, as strict as Google, accepts: the golden files cannot drift into something Gemini
// would refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { findModel } from '../helpers/mock/models.mjs';
import { readMessage } from '../helpers/mock/proto.mjs';
import { checkCountedRequest, validateGenerateRequest } from '../helpers/mock/validate.mjs';

const dir = new URL('../fixtures/anthropic/requests/', import.meta.url);
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, ...JSON.parse(readFileSync(new URL(f, dir), 'utf8')) }))
  .filter((f) => f.expect.status === 200);

// Signatures in the fixtures stand for ones Gemini issued for the call they sit on.
function issued(body) {
  const signatures = new Map();
  for (const content of body.contents || []) {
    for (const part of content.parts || []) {
      if (part.thoughtSignature) signatures.set(part.thoughtSignature, { name: part.functionCall?.name ?? null });
    }
  }
  return signatures;
}

test('the Anthropic request fixtures are many', () => assert.ok(fixtures.length >= 30));

for (const f of fixtures) {
  test(`${f.name}: the mock accepts the Gemini body`, () => {
    const model = findModel(f.expect.call.model);
    assert.ok(model, `the mock knows ${f.expect.call.model}`);
    const body = f.expect.gemini;
    if (f.expect.call.path.endsWith(':countTokens')) {
      const request = readMessage(body, 'CountTokensRequest');
      checkCountedRequest(request.generateContentRequest, model);
    } else {
      validateGenerateRequest(body, model, { signatures: issued(body), key: null, bindSignaturesToKey: false });
    }
  });
}
