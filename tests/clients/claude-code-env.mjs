// How to run Claude Code (@anthropic-ai/claude-code, a native binary) fully offline against a
// local base URL: non-interactive, its config and home in a temp dir, and everything it
// would fetch from elsewhere (updates, telemetry, error reports, feature flags, non-essential
// model calls) turned off.
import { runCli } from './cli.mjs';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLAUDE = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));

/** The environment for one run: only what Claude Code needs, nothing from this shell. */
export function claudeEnv({ home, baseUrl, authToken, apiKey }) {
  mkdirSync(path.join(home, '.claude'), { recursive: true });
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    CLAUDE_CONFIG_DIR: path.join(home, '.claude'),
    TMPDIR: home,
    ANTHROPIC_BASE_URL: baseUrl,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_BUG_COMMAND: '1',
    DISABLE_NON_ESSENTIAL_MODEL_CALLS: '1',
    CLAUDE_CODE_DISABLE_TERMINAL_TITLE: '1',
  };
  // ANTHROPIC_AUTH_TOKEN travels as "Authorization: Bearer", ANTHROPIC_API_KEY as x-api-key.
  if (authToken) env.ANTHROPIC_AUTH_TOKEN = authToken;
  if (apiKey) env.ANTHROPIC_API_KEY = apiKey;
  return env;
}

/**
 * Runs `claude -p PROMPT --output-format json` in `cwd`, allowing the listing tools only.
 * Resolves { code, stdout, stderr, result (parsed stdout or null) }; killed after timeoutMs.
 */
export async function runClaude({ prompt, cwd, env, timeoutMs = 120000, args = [] }) {
  const run = await runCli(
    CLAUDE,
    ['-p', prompt, '--output-format', 'json', '--allowedTools', 'Bash(ls:*)', 'Glob', 'LS', ...args],
    { cwd, env, timeoutMs },
  );
  let result = null;
  try {
    result = JSON.parse(run.stdout);
  } catch {
    // left null: the caller shows stdout and stderr
  }
  return { ...run, result };
}
