// Every Gemini body the Responses API golden fixtures expect the core to send passes the mock's
// validation (the checks the real service makes): no unknown field, no empty part, turns in
// order, schemas Gemini takes, thinking settings the model allows, Gemini 3 calls signed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findModel } from '../helpers/mock/models.mjs';
import { validateGenerateRequest } from '../helpers/mock/validate.mjs';

const dir = new URL('../fixtures/responses/requests/', import.meta.url).pathname;
const fixtures = readdirSync(dir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, ...JSON.parse(readFileSync(join(dir, f), 'utf8')) }))
  .filter((f) => f.expect.status === 200);

// The signatures in a body, as if the mock had issued them for these calls on this key.
function issued(body) {
  const signatures = new Map();
  for (const c of body.contents) {
    for (const p of c.parts) {
      if (p.thoughtSignature) signatures.set(p.thoughtSignature, { key: 'k', name: p.functionCall?.name ?? null });
    }
  }
  return signatures;
}

test('the Responses fixtures send only bodies the mock Gemini accepts', () => {
  assert.ok(fixtures.length >= 30);
  for (const f of fixtures) {
    const model = findModel(f.expect.model);
    assert.ok(model, `${f.name}: the mock knows ${f.expect.model}`);
    const body = f.expect.gemini;
    assert.doesNotThrow(
      () => validateGenerateRequest(body, model, { signatures: issued(body), key: 'k', bindSignaturesToKey: true }),
      `${f.name} is accepted`,
    );
  }
});
