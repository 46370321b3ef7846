// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core.
// When either is missing, openBrowser() says why instead of throwing, so tests can skip.

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENSHOTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../screenshots');

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Returns {skip: reason} or {context, dispose}; each call gets a fresh profile directory.
export async function openBrowser(options = {}) {
  if (!existsSync(CHROMIUM)) return { skip: `${CHROMIUM} not found (apt-get install -y chromium)` };
  let chromium;
  try {
    ({ chromium } = await import('playwright-core'));
  } catch {
    return { skip: 'playwright-core is not installed (npm install)' };
  }
  const profile = mkdtempSync(path.join(os.tmpdir(), 'balancer-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: FLAGS,
    viewport: { width: 1360, height: 900 },
    ...options,
  });
  return {
    context,
    async dispose() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// Collects what the page reports as errors. `allowed` lists [status, urlPart] pairs for
// responses the page expects (a 401 from the session probe before login is normal).
export function watchErrors(page, allowed = []) {
  const errors = [];
  page.on('pageerror', (err) => errors.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location()?.url ?? '';
    const expected = allowed.some(([status, part]) => msg.text().includes(`status of ${status}`) && where.includes(part));
    if (!expected) errors.push(`console: ${msg.text()} (${where})`);
  });
  return errors;
}

export async function screenshot(page, name, { fullPage = true } = {}) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  // From the top, or the sticky header is painted part-way down the full-page image.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: file, fullPage });
  return file;
}
