import { spawn } from 'node:child_process';

export interface CliProcessRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `cpaas-lifecycle` binary in a child process, as an operator does: the
 * environment is exactly `env` (pass PATH yourself), and `stdin`, when given, is written and closed.
 */
export function runCliProcess(
  args: readonly string[],
  options: { env: Record<string, string | undefined>; stdin?: string },
): Promise<CliProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['tools/cli/bin.js', ...args], {
      env: options.env,
      stdio: [options.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (options.stdin !== undefined) child.stdin?.end(options.stdin);
  });
}
