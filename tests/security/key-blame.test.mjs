// A client can make Google's 400 answers quote any text it likes (an unknown query parameter
// or field name, a value that fails to decode), and a client's own credentials can make
// Google answer 401. None of that may blame a pool key: each request below must reach Google
// once, get Google's answer, and leave every key of the pool active.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ADMIN, CLIENT, assertFamilyError, randomKey, request, setup, sleep } from './support.mjs';

const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const native = { 'x-goog-api-key': CLIENT, 'content-type': 'application/json' };
const openai = { authorization: `Bearer ${CLIENT}`, 'content-type': 'application/json' };
const userText = (text) => ({ contents: [{ role: 'user', parts: [{ text }] }] });

const ATTACKS = [
  {
    name: 'a query parameter named "API key not valid"',
    family: 'gemini',
    path: `${GENERATE}?API%20key%20not%20valid=1`,
    headers: native,
    body: userText('hi'),
  },
  {
    name: 'a body field named "Your API key was reported as leaked"',
    family: 'gemini',
    path: GENERATE,
    headers: native,
    body: { ...userText('hi'), 'Your API key was reported as leaked. Please use another API key.': 1 },
  },
  {
    name: 'a field named "Consumer \'api_key:x\' has been suspended"',
    family: 'gemini',
    path: GENERATE,
    headers: native,
    body: { ...userText('hi'), "Permission denied: Consumer 'api_key:AIzaSyAAAAAAAAAAAAAAA' has been suspended.": 1 },
  },
  {
    name: 'an OpenAI image_url whose base64 is "API key not valid"',
    family: 'openai',
    path: '/v1/chat/completions',
    headers: openai,
    body: {
      model: 'gemini-2.5-flash',
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'data:image/png;base64,API key not valid. Please pass a valid API key.' } },
          ],
        },
      ],
    },
  },
  {
    name: 'an OpenAI image_url whose base64 is "API key expired"',
    family: 'openai',
    path: '/v1/chat/completions',
    headers: openai,
    body: {
      model: 'gemini-2.5-flash',
      messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,API key expired. Please renew the API key.' } }] }],
    },
  },
];

async function disabledKeys(env) {
  const res = await request(`${env.url}/api/keys?status=disabled`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return JSON.parse(res.text).total;
}

async function coolingKeys(env) {
  const res = await request(`${env.url}/api/keys?status=cooling`, { headers: { authorization: `Bearer ${ADMIN}` } });
  return JSON.parse(res.text).total;
}

for (const attack of ATTACKS) {
  test(`${attack.name}: Google's 400 reaches the client, no key is blamed or tried after it`, async () => {
    const env = await setup({ keys: Array.from({ length: 8 }, () => randomKey()) });
    try {
      const res = await request(`${env.url}${attack.path}`, {
        method: 'POST',
        headers: attack.headers,
        body: JSON.stringify(attack.body),
      });
      assert.equal(res.status, 400, res.text.slice(0, 300));
      assertFamilyError(attack.family, 400, res.text, attack.name);
      assert.equal(env.mock.requests.length, 1, 'one upstream attempt');
      assert.equal(res.headers.get('x-balancer-attempts'), '1');
      // Key events reach the pool within about a second; give them time, then look.
      await sleep(2500);
      assert.equal(await disabledKeys(env), 0, 'no key was disabled');
      assert.equal(await coolingKeys(env), 0, 'no key was cooled down');
      const after = await request(`${env.url}${GENERATE}`, { method: 'POST', headers: native, body: JSON.stringify(userText('hi')) });
      assert.equal(after.status, 200);
      assert.deepEqual(env.mock.violations, []);
    } finally {
      await env.close();
    }
  });
}

test('a real dead key is still disabled, and the request goes on to a good key', async () => {
  const dead = randomKey();
  const good = randomKey();
  const env = await setup({ keys: [dead, good], mockOptions: { keys: { [dead]: 'leaked' } } });
  try {
    for (let i = 0; i < 4; i++) {
      const res = await request(`${env.url}${GENERATE}`, { method: 'POST', headers: native, body: JSON.stringify(userText('hi')) });
      assert.equal(res.status, 200);
    }
    await sleep(2500);
    assert.equal(await disabledKeys(env), 1);
  } finally {
    await env.close();
  }
});
