// Google reads credentials and method overrides from the query string as system parameters,
// under names it percent-decodes and may write with a '$' in front. None may travel from a
// client to Google, however the name is spelt; the client's other parameters still do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT, randomKey, request, setup } from './support.mjs';

const GENERATE = '/v1beta/models/gemini-2.5-flash:generateContent';
const WITHHELD = [
  'key=AIzaSyClientChosenKeyxxxxxxxxxxxxxxxxxx',
  '$key=AIzaSyClientChosenKeyxxxxxxxxxxxxxxxxxx',
  '%24key=AIzaSyClientChosenKeyxxxxxxxxxxxxxxxxxx',
  '%6bey=AIzaSyClientChosenKeyxxxxxxxxxxxxxxxxxx',
  '%24%6B%65%79=AIzaSyClientChosenKeyxxxxxxxxxxxxxxxxxx',
  'access_token=garbage',
  '$access_token=garbage',
  '%61ccess_token=garbage',
  'oauth_token=garbage',
  'bearer_token=garbage',
  '$httpMethod=DELETE',
  '%24httpMethod=DELETE',
  '$method=DELETE',
];

test('credential and method-override parameters never reach Google, in any spelling', async () => {
  const env = await setup({ keys: [randomKey(), randomKey()] });
  try {
    for (const param of WITHHELD) {
      const before = env.mock.requests.length;
      const res = await request(`${env.url}${GENERATE}?${param}&alt=json`, {
        method: 'POST',
        headers: { 'x-goog-api-key': CLIENT, 'content-type': 'application/json' },
        body: JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }),
      });
      assert.equal(res.status, 200, `${param}: ${res.text.slice(0, 300)}`);
      const sent = env.mock.requests[before];
      assert.equal(new URL(sent.url, 'http://x').search, '?alt=json', `${param} was forwarded`);
    }
    // The models list keeps its own parameters.
    const list = await request(`${env.url}/v1beta/models?pageSize=3&%24key=x&access_token=y`, { headers: { 'x-goog-api-key': CLIENT } });
    assert.equal(list.status, 200, list.text.slice(0, 300));
    assert.equal(JSON.parse(list.text).models.length, 3);
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});

test('the client token is still read from ?key= (and from a percent-encoded name)', async () => {
  const env = await setup({ keys: [randomKey()] });
  try {
    for (const name of ['key', '%6bey']) {
      const res = await request(`${env.url}/v1beta/models/gemini-2.5-flash?${name}=${CLIENT}`);
      assert.equal(res.status, 200, `${name}: ${res.text.slice(0, 200)}`);
    }
    const refused = await request(`${env.url}/v1beta/models/gemini-2.5-flash?key=wrong`);
    assert.equal(refused.status, 401);
    assert.deepEqual(env.mock.violations, []);
  } finally {
    await env.close();
  }
});
