import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { LocalModeReady } from '../../tools/local/local-mode.js';

const BIN = new URL('../../tools/cli/bin.js', import.meta.url).pathname;

export interface LocalCli {
  readonly child: ChildProcess;
  readonly ready: LocalModeReady;
  readonly stderr: () => string;
  readonly closed: Promise<number | null>;
}

/**
 * `cpaas-lifecycle local` as a user starts it: its own moto_server (no `AWS_ENDPOINT_URL`), the
 * sandbox, a free port, and `flags`; resolves with the parsed ready line, so a test drives the real process.
 */
export async function startLocalCli(flags: readonly string[] = []): Promise<LocalCli> {
  const env = { ...process.env };
  delete env.AWS_ENDPOINT_URL;
  const child = spawn(process.execPath, [BIN, 'local', '--port', '0', ...flags], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const closed = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  const first = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once('line', resolve);
    child.once('exit', (code) =>
      reject(new Error(`local mode exited with ${code} before ready:\n${stderr}`)),
    );
  });
  return { child, ready: JSON.parse(first) as LocalModeReady, stderr: () => stderr, closed };
}
