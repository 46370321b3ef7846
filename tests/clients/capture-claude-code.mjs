// Records what Claude Code really sends: runs it against the capture server
// (anthropic-capture.mjs) with a prompt that makes it list a directory with a tool and
// finish, scrubs what is machine-specific, and writes each /v1/messages body as a request
// fixture input under tests/fixtures/anthropic/captures/.
//
//   node tests/clients/capture-claude-code.mjs
//
// The request fixtures (tests/fixtures/anthropic/requests/claude_code_*.json) hold these
// bodies with the Gemini body each one must become.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCapture } from './anthropic-capture.mjs';
import { claudeEnv, runClaude } from './claude-code-env.mjs';
import { tmpdir } from 'node:os';

const OUT = fileURLToPath(new URL('../fixtures/anthropic/captures/', import.meta.url));
const PROMPT = 'List the files in the current directory.';

/** Replaces what differs from one machine or run to the next with fixed stand-ins. */
export function scrub(body, { home, work }) {
  let text = JSON.stringify(body);
  const swap = (from, to) => {
    text = text.split(from).join(to);
  };
  swap(work, '/home/user/project');
  swap(home, '/home/user');
  text = text.replace(/(OS Version: )[^"\\]*/g, '$1Linux 6.1.0');
  text = text.replace(/(device_id\\":\\")[0-9a-f]+/g, '$1' + '0'.repeat(64));
  text = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '00000000-0000-4000-8000-000000000000');
  text = text.replace(/(Today's date is )[0-9-]+/g, '$12026-01-01');
  return JSON.parse(text);
}

async function main() {
  const server = await startCapture();
  // Outside any git checkout: Claude Code puts the git status of its directory in the prompt.
  const home = mkdtempSync(path.join(tmpdir(), 'claude-capture-'));
  const work = path.join(home, 'project');
  mkdirSync(work);
  writeFileSync(path.join(work, 'alpha.txt'), 'a\n');
  writeFileSync(path.join(work, 'beta.md'), '# b\n');
  try {
    const env = claudeEnv({ home, baseUrl: server.url, authToken: 'capture-token' });
    const run = await runClaude({ prompt: PROMPT, cwd: work, env });
    if (run.code !== 0 || run.result?.is_error) throw new Error(`claude failed: ${run.stdout}\n${run.stderr}`);
    mkdirSync(OUT, { recursive: true });
    const messages = server.requests.filter((r) => r.path === '/v1/messages');
    messages.forEach((r, i) => {
      const file = path.join(OUT, `claude_code_turn_${i + 1}.json`);
      const capture = {
        description: `Claude Code ${run.result?.modelUsage ? Object.keys(run.result.modelUsage)[0] : ''} request ${i + 1} of "${PROMPT}", as captured (scrubbed).`,
        method: r.method,
        path: r.path,
        query: r.query,
        headers: Object.fromEntries(
          Object.entries(r.headers).filter(([k]) => ['anthropic-version', 'anthropic-beta', 'content-type', 'x-app'].includes(k)),
        ),
        user_agent: r.headers['user-agent'],
        auth: r.headers.authorization ? 'bearer' : r.headers['x-api-key'] ? 'x-api-key' : 'none',
        body: scrub(r.body, { home, work }),
      };
      writeFileSync(file, `${JSON.stringify(capture, null, 2)}\n`);
      console.log(`wrote ${path.relative(process.cwd(), file)}`);
    });
    const others = server.requests.filter((r) => r.path !== '/v1/messages').map((r) => `${r.method} ${r.path}`);
    console.log(`other requests: ${others.join(', ') || 'none'}`);
  } finally {
    await server.close();
    rmSync(home, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
