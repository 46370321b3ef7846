// The admin page in real headless Chromium against the real Worker (Miniflare + mock Gemini):
// log in, bulk-add keys with duplicates and garbage, see counts and masked rows, reload,
// run a check to 100 %, remove the dead keys, manage a selection, switch language.
// Throughout: no full key anywhere in the page, no console errors.
// Screenshots go to tests/screenshots/ (git-ignored).

import test from 'node:test';
import assert from 'node:assert/strict';
import { openBrowser, watchErrors, screenshot } from './browser.mjs';
import { startBackend } from './backend.mjs';
import { makeKey, mask, rng } from './fake-api.mjs';

const ADMIN_TOKEN = 'e2e-admin-token-7f3a';

const rand = rng(42);
const KEYS = {
  ok: [makeKey(rand), makeKey(rand), makeKey(rand), makeKey(rand)],
  rate: [makeKey(rand, 'RATE'), makeKey(rand, 'DAYQ')],
  dead: [makeKey(rand, 'DEAD'), makeKey(rand, 'DEAD'), makeKey(rand, 'LEAK')],
};
const ALL_KEYS = [...KEYS.ok, ...KEYS.rate, ...KEYS.dead];
const TOO_LONG = `AIza${'x'.repeat(40)}`; // a near-key: must be rejected and never shown whole

// Keys in every form the issue names: one per line, commas, spaces, inside other text,
// repeated, mixed with junk.
const PASTE = [
  '# keys for the balancer',
  `GEMINI_API_KEY=${KEYS.ok[0]}`,
  `${KEYS.ok[1]}, ${KEYS.ok[2]} ${KEYS.ok[3]}`,
  `"${KEYS.rate[0]}",`,
  KEYS.rate[1],
  `${KEYS.dead[0]}; ${KEYS.dead[1]}`,
  `key: ${KEYS.dead[2]}`,
  KEYS.ok[0],
  KEYS.dead[0],
  'hello, this line is not a key',
  'AIzaTooShort123',
  TOO_LONG,
].join('\n');

async function leakedKeys(page) {
  const { html, text } = await page.evaluate(() => ({
    html: document.documentElement.outerHTML,
    text: document.body.innerText,
  }));
  return [...ALL_KEYS, TOO_LONG].filter((key) => html.includes(key) || text.includes(key));
}

async function assertNoFullKeys(page, step) {
  assert.deepEqual(await leakedKeys(page), [], `full key visible in the page after: ${step}`);
}

const statValue = (page, id) => page.locator(`#${id} .stat-value`).innerText();
const maskedRows = (page) => page.locator('#keys-body tr[data-id] .key-masked').allInnerTexts();

async function waitForRows(page, count) {
  await page.waitForFunction((n) => document.querySelectorAll('#keys-body tr[data-id]').length === n, count);
}

test('admin UI: login, bulk add, persist, check, remove dead keys, language', { timeout: 180_000 }, async (t) => {
  const browser = await openBrowser();
  if (browser.skip) return t.skip(browser.skip);
  const backend = await startBackend({ adminToken: ADMIN_TOKEN, keys: ALL_KEYS });
  const started = Date.now();
  t.diagnostic(`back end: ${backend.kind}`);
  if (backend.kind === 'fake') t.diagnostic('tests/helpers/worker.mjs not found: ran against the fake API');
  try {
    const page = await browser.context.newPage();
    // Before login the page asks whether a session exists; that 401 is the expected answer.
    const errors = watchErrors(page, [[401, '/api/session']]);

    await t.test('login form, wrong token, right token', async () => {
      await page.goto(backend.url);
      await page.locator('#login-token').waitFor();
      assert.equal(await page.locator('#app-view').isHidden(), true);
      await screenshot(page, '01-login');
      await page.fill('#login-token', 'not-the-token');
      await page.click('#login-submit');
      await page.locator('#login-notice').waitFor();
      assert.match(await page.locator('#login-notice').innerText(), /not correct/);
      await page.fill('#login-token', ADMIN_TOKEN);
      await page.click('#login-submit');
      await page.locator('#app-view').waitFor();
      assert.equal(await page.locator('#login-token').inputValue(), '', 'token cleared after login');
      await page.locator('#keys-body .message-row').waitFor();
    });

    await t.test('bulk add: preview, result, rejected items, masked rows', async () => {
      await page.fill('#add-input', PASTE);
      await page.waitForFunction(() => document.querySelector('#add-preview').innerText.includes('9 keys found'));
      const preview = await page.locator('#add-preview').innerText();
      assert.match(preview, /2 repeated/);
      assert.match(preview, /2 look like broken keys/);
      assert.equal(await page.locator('#add-submit').innerText(), 'Add 9 keys');
      await page.click('#add-submit');
      await page.locator('#add-result').waitFor();
      const result = await page.locator('#add-result').innerText();
      assert.match(result, /9 added/);
      assert.match(result, /2 already in the pool or repeated/);
      assert.match(result, /2 rejected/);
      const rejected = await page.locator('#add-result .rejected li').allInnerTexts();
      assert.equal(rejected.length, 2);
      assert.ok(rejected.includes(`${mask(TOO_LONG)} (44 chars)`), `rejected items: ${rejected}`);
      assert.equal(await page.locator('#add-input').inputValue(), '', 'textarea cleared after adding');
      await waitForRows(page, 9);
      assert.equal(await statValue(page, 'stat-total'), '9');
      assert.equal(await statValue(page, 'stat-active'), '9');
      assert.deepEqual((await maskedRows(page)).sort(), ALL_KEYS.map(mask).sort());
      await assertNoFullKeys(page, 'bulk add');
      await screenshot(page, '02-added');
    });

    await t.test('adding the same keys again only reports duplicates', async () => {
      await page.fill('#add-input', KEYS.ok.join('\n'));
      await page.waitForFunction(() => document.querySelector('#add-submit').innerText === 'Add 4 keys');
      await page.click('#add-submit');
      await page.waitForFunction(() => document.querySelector('#add-result').innerText.includes('0 added'));
      assert.match(await page.locator('#add-result').innerText(), /4 already in the pool/);
      assert.equal(await statValue(page, 'stat-total'), '9');
    });

    await t.test('reload keeps the session and the keys', async () => {
      await page.reload();
      await waitForRows(page, 9);
      assert.equal(await page.locator('#login-view').isHidden(), true);
      assert.equal(await statValue(page, 'stat-total'), '9');
      await assertNoFullKeys(page, 'reload');
    });

    await t.test('filter, search and sort go through the server', async () => {
      const target = KEYS.ok[2];
      await page.fill('#key-search', target.slice(-4));
      await waitForRows(page, 1);
      assert.deepEqual(await maskedRows(page), [mask(target)]);
      await page.fill('#key-search', '');
      await waitForRows(page, 9);
      await page.click('#keys-head .sort-btn[data-sort="id"]');
      await page.waitForFunction(() => document.querySelector('#keys-head th[aria-sort]')?.getAttribute('aria-sort') === 'descending');
      await waitForRows(page, 9);
      const ids = await page.locator('#keys-body tr[data-id]').evaluateAll((rows) => rows.map((r) => Number(r.dataset.id)));
      assert.deepEqual(ids, [...ids].sort((a, b) => b - a));
    });

    await t.test('check all keys: progress reaches 100 %, dead keys offered for removal', async () => {
      assert.match(await page.locator('#check-state').innerText(), /No check has run yet/);
      await page.click('#check-all');
      await page.waitForFunction(() => document.querySelector('#check-state').textContent.startsWith('Last check finished'),
        undefined, { timeout: 60_000 });
      assert.equal(await page.locator('#check-progress').getAttribute('aria-valuenow'), '100');
      assert.match(await page.locator('#check-pct').innerText(), /100\s?%/);
      const tallies = Object.fromEntries(await page.locator('#check-summary .tally').evaluateAll((nodes) =>
        nodes.map((n) => [n.className.replace(/.*tally-/, ''), Number(n.querySelector('.tally-value').textContent)])));
      assert.deepEqual(tallies, { ok: 4, rate_limited: 2, dead: 3, error: 0 });
      await page.waitForFunction(() => document.querySelectorAll('#dead-list li').length === 3);
      const dead = await page.locator('#dead-list .mono').allInnerTexts();
      assert.deepEqual(dead.sort(), KEYS.dead.map(mask).sort(), 'exactly the dead keys, never a rate-limited one');
      assert.equal(await page.locator('#dead-remove').innerText(), 'Remove 3 dead keys');
      await page.waitForFunction(() => document.querySelector('#stat-disabled .stat-value').textContent === '3');
      await assertNoFullKeys(page, 'check');
      await page.waitForTimeout(400); // let the progress bar's width transition finish
      await screenshot(page, '03-checked');
    });

    await t.test('remove the dead keys in one click, after confirmation', async () => {
      await page.click('#dead-remove');
      await page.locator('#confirm-dialog[open]').waitFor();
      assert.match(await page.locator('#confirm-title').innerText(), /Remove 3 dead keys\?/);
      await page.click('#confirm-ok');
      await waitForRows(page, 6);
      await page.waitForFunction(() => document.querySelector('#stat-total .stat-value').textContent === '6');
      assert.deepEqual((await maskedRows(page)).sort(), [...KEYS.ok, ...KEYS.rate].map(mask).sort());
      // The button goes once the page has heard the check list is empty, which may come after the rows.
      await page.locator('#dead-remove').waitFor({ state: 'hidden', timeout: 10_000 });
    });

    await t.test('selection: disable, re-enable, copy the masked key, chart for one key', async () => {
      const row = page.locator('#keys-body tr[data-id]').first();
      const masked = await row.locator('.key-masked').innerText();
      await row.locator('.row-check').check();
      assert.match(await page.locator('#selection-count').innerText(), /1 key selected/);
      await page.click('#sel-disable');
      await page.click('#confirm-ok');
      await page.waitForFunction(() => document.querySelector('#keys-body tr[data-id] .badge')?.textContent === 'Disabled');
      assert.match(await row.locator('.col-status').innerText(), /Disabled by you/);
      await page.click('#sel-enable');
      await page.click('#confirm-ok');
      await page.waitForFunction(() => document.querySelector('#keys-body tr[data-id] .badge')?.textContent === 'Active');
      await page.click('#sel-clear');
      assert.equal(await page.locator('#selection-bar').isHidden(), true);
      await row.locator('button[data-action="copy"]').click();
      await page.locator('.toast', { hasText: `Copied ${masked}` }).waitFor();
      await row.locator('button[data-action="chart"]').click();
      const traffic = page.locator('#traffic');
      if (await traffic.isVisible()) {
        await page.waitForFunction((m) => document.querySelector('#chart-subject').textContent.includes(m), masked);
        await page.click('#chart-back');
      }
    });

    await t.test('switch to Chinese, remembered after reload', async () => {
      await page.click('#lang-switch');
      assert.equal(await page.locator('#keys-card h2').innerText(), '密钥列表');
      assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
      await page.reload();
      await waitForRows(page, 6);
      assert.equal(await page.locator('#add-card h2').innerText(), '添加密钥');
      assert.match(await page.locator('#pager-range').innerText(), /共 6 条/);
      await screenshot(page, '04-chinese');
      await page.emulateMedia({ colorScheme: 'dark' });
      await screenshot(page, '05-chinese-dark');
      await page.click('#lang-switch');
      await screenshot(page, '06-english-dark');
      await page.emulateMedia({ colorScheme: 'light' });
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, '07-phone');
      await page.setViewportSize({ width: 1360, height: 900 });
    });

    await t.test('log out returns to the login form', async () => {
      await page.click('#logout');
      await page.locator('#login-token').waitFor();
      await page.reload();
      await page.locator('#login-token').waitFor();
      assert.equal(await page.locator('#app-view').isHidden(), true);
      await assertNoFullKeys(page, 'logout');
    });

    assert.deepEqual(errors, [], 'console errors');
    t.diagnostic(`admin UI run took ${Date.now() - started} ms`);
  } finally {
    await browser.dispose();
    await backend.dispose();
  }
});

test('admin UI explains how to set ADMIN_TOKEN when it is missing, in the browser\'s language', { timeout: 60_000 }, async (t) => {
  const browser = await openBrowser({ locale: 'zh-CN' });
  if (browser.skip) return t.skip(browser.skip);
  const backend = await startBackend({ adminToken: undefined });
  try {
    const page = await browser.context.newPage();
    const errors = watchErrors(page, [[503, '/api/session']]);
    await page.goto(backend.url);
    await page.locator('#login-notice').waitFor();
    assert.equal(await page.locator('#login-view h1').innerText(), '登录', 'Chinese by default for a zh-CN browser');
    assert.equal(await page.locator('#login-notice-title').innerText(), '尚未配置管理令牌');
    assert.match(await page.locator('#login-notice-text').innerText(), /wrangler secret put ADMIN_TOKEN/);
    assert.equal(await page.locator('#app-view').isHidden(), true);
    assert.equal(await page.locator('#login-token').isHidden(), true, 'no token field while none is configured');
    assert.equal(await page.locator('#login-retry').isVisible(), true);
    await screenshot(page, '09-token-unset');
    assert.deepEqual(errors, [], 'console errors');
  } finally {
    await browser.dispose();
    await backend.dispose();
  }
});
