import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { MotoServerUnavailableError } from './errors.js';

/** A running moto_server child process and the endpoint AWS SDK clients should use. */
export interface MotoServer {
  readonly endpoint: string;
  stop(): Promise<void>;
}

const INSTALL_HINT =
  "install it with: pip install 'moto[server]' (moto 5.x provides the moto_server command)";

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
  const port = options.port ?? (await freeLoopbackPort());
  const endpoint = `http://127.0.0.1:${port}`;
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const spawnError = new Promise<never>((_, reject) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      const reason = error.code === 'ENOENT' ? `moto_server is not on PATH; ${INSTALL_HINT}` : error.message;
      reject(new MotoServerUnavailableError(reason));
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
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
