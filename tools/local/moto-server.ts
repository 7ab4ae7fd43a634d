import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { MotoServerUnavailableError } from './errors.js';
import { motoPatchesPath } from './moto-patches.js';

/** A running moto_server child process and the endpoint AWS SDK clients should use. */
export interface MotoServer {
  readonly endpoint: string;
  /**
   * Settles when moto_server exits for any reason other than `stop()`, saying how it ended. Its
   * queues and tables live in its memory, so whoever relies on it must stop relying at once.
   */
  readonly exited: Promise<string>;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "install it with: pip install 'moto[server]' (moto 5.x provides the moto_server command)";

/** The first executable `name` on PATH, as a shell would find it. */
function findOnPath(name: string): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(folder, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * moto_server's command line, under util-linux `setpriv --pdeathsig` where it exists (Linux): the
 * kernel sends moto_server SIGTERM when this process dies, even by SIGKILL, so no server is left
 * behind holding a port and the state of a run nobody can reach any more.
 */
function motoCommand(moto: string, port: number): [string, string[]] {
  const args = ['-H', '127.0.0.1', '-p', String(port)];
  const setpriv = findOnPath('setpriv');
  return setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', moto, ...args]] : [moto, args];
}

async function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new MotoServerUnavailableError(`moto_server exited with code ${child.exitCode}; ${INSTALL_HINT}`);
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/`);
      await response.body?.cancel();
      if (response.status < 500) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new MotoServerUnavailableError(`moto_server did not answer at ${endpoint} within ${timeoutMs} ms`);
}

/**
 * Starts moto_server on a free loopback port and waits until it answers, so SQS, DynamoDB and
 * Secrets Manager can be used for real without Docker or an AWS account.
 */
export async function startMotoServer(
  options: { port?: number; timeoutMs?: number } = {},
): Promise<MotoServer> {
  const moto = findOnPath('moto_server');
  if (!moto) throw new MotoServerUnavailableError(`moto_server is not on PATH; ${INSTALL_HINT}`);
  const port = options.port ?? (await freeLoopbackPort());
  const endpoint = `http://127.0.0.1:${port}`;
  const [command, args] = motoCommand(moto, port);
  // DynamoDB's atomic conditional writes, which moto lacks, and faster copies of moto's helpers
  // that cost more CPU than the services behind a queue of some hundred messages (moto-patches.ts).
  const pythonPath = [motoPatchesPath(), process.env.PYTHONPATH].filter(Boolean).join(delimiter);
  const child = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PYTHONPATH: pythonPath },
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new MotoServerUnavailableError(error.message)));
  });
  let stopping = false;
  const exited = new Promise<string>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) resolve(signal ? `killed by ${signal}` : `exited with code ${code}`);
    });
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000);
  });
  try {
    await Promise.race([waitUntilReady(endpoint, child, options.timeoutMs ?? 20_000), spawnError]);
  } catch (error) {
    child.kill('SIGKILL');
    if (error instanceof MotoServerUnavailableError && stderr) {
      error.message += `\nmoto_server stderr:\n${stderr}`;
    }
    throw error;
  }
  return {
    endpoint,
    exited,
    stop: () =>
      new Promise<void>((resolve) => {
        stopping = true;
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
