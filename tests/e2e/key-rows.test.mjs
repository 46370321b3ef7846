// How a key's cooldown scopes read in the key table (public/js/key-rows.js): plain Node, with
// the little of a browser that i18n.js reads when it loads.

import test from 'node:test';
import assert from 'node:assert/strict';

globalThis.navigator ??= { language: 'en-US' };
const { modelName } = await import('../../public/js/key-rows.js');
const { setLang } = await import('../../public/i18n.js');

test('cooldown scopes: a model, every model, and grounding only, in both languages', () => {
  setLang('en');
  assert.equal(modelName('gemini-3.8-flash'), 'gemini-3.8-flash');
  assert.equal(modelName('*'), 'All models');
  assert.equal(modelName('gemini-3.8-flash+grounding'), 'gemini-3.8-flash with search grounding');
  assert.equal(modelName('+grounding'), 'All models with search grounding');
  setLang('zh');
  assert.equal(modelName('gemini-3.8-flash+grounding'), 'gemini-3.8-flash（搜索接地）');
  assert.equal(modelName('*'), '所有模型');
});
