// Runs a client's command line to its end with stdin closed: resolves { code, stdout, stderr }.
// A run still going after `timeoutMs` is killed (SIGKILL), so a hung client fails its test.
import { spawn } from 'node:child_process';

export function runCli(command, args, { cwd, env, timeoutMs = 120000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
