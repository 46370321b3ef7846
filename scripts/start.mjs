// start.mjs — `npm start`: runs the balancer locally on http://127.0.0.1:8787 with
// `wrangler dev`; keys persist under .wrangler/state across restarts. On first run it
// creates a git-ignored .dev.vars with random ADMIN_TOKEN and AUTH_TOKENS and prints them.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const varsFile = join(root, '.dev.vars');
const port = process.env.PORT || '8787';

const token = (prefix) => `${prefix}-${randomBytes(24).toString('base64url')}`;

function readVars(text) {
  const out = {};
  for (const line of text.split(/\r?\n/)) {
    const m = line.match(/^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"?(.*?)"?\s*$/);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

let vars;
if (existsSync(varsFile)) {
  vars = readVars(readFileSync(varsFile, 'utf8'));
  console.log('Using the tokens in .dev.vars.');
} else {
  vars = { ADMIN_TOKEN: token('admin'), AUTH_TOKENS: token('sk') };
  const text =
    '# Local secrets for `npm start` (wrangler dev). Not committed: see .gitignore.\n' +
    `ADMIN_TOKEN="${vars.ADMIN_TOKEN}"\nAUTH_TOKENS="${vars.AUTH_TOKENS}"\n` +
    '# Point the balancer at another upstream (a mock, a regional gateway):\n' +
    '# GEMINI_API_BASE="https://generativelanguage.googleapis.com"\n';
  writeFileSync(varsFile, text, { mode: 0o600 });
  console.log('Created .dev.vars with new random tokens.');
}
console.log(`
  Admin UI      http://127.0.0.1:${port}/
  ADMIN_TOKEN   ${vars.ADMIN_TOKEN ?? '(not set: the admin UI and API stay closed)'}
  AUTH_TOKENS   ${vars.AUTH_TOKENS ?? '(not set: the proxy routes stay closed)'}
  OpenAI base   http://127.0.0.1:${port}/v1
  Gemini base   http://127.0.0.1:${port}
`);

const wrangler = join(root, 'node_modules', '.bin', 'wrangler');
if (!existsSync(wrangler)) {
  console.error('wrangler is not installed: run `npm install` first.');
  process.exit(1);
}
const child = spawn(wrangler, ['dev', '--ip', '127.0.0.1', '--port', port, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
  env: { WRANGLER_SEND_METRICS: 'false', ...process.env },
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
