import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

const ACCOUNT = 'A'.repeat(16) + 'b'.repeat(16);
let child: ChildProcess | undefined;

afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
});

describe('cpaas-lifecycle sandbox', () => {
  it('prints one JSON ready line, serves the API with the given account and key, and stops on SIGTERM', async () => {
    const proc = spawn(
      process.execPath,
      [
        'tools/cli/bin.js',
        'sandbox',
        '--port',
        '0',
        '--account',
        ACCOUNT,
        '--api-key',
        'k-test',
        '--seed',
        '7',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    const [line] = (await once(createInterface({ input: proc.stdout }), 'line')) as [string];
    const ready = JSON.parse(line) as { url: string; accountId: string; apiKey: string };
    expect(ready).toMatchObject({ accountId: ACCOUNT, apiKey: 'k-test' });
    expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await fetch(`${ready.url}/_sandbox/seed`, { method: 'POST', body: '{"count":3}' });
    const list = await fetch(`${ready.url}/v1/account/${ACCOUNT}/user`, {
      headers: { authorization: 'Bearer k-test' },
    });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { data: unknown[] }).data).toHaveLength(3);

    proc.kill('SIGTERM');
    const [code] = await once(proc, 'exit');
    expect(code).toBe(0);
  });

  it('exits 2 for an account id that is not 32 alphanumeric characters', async () => {
    child = spawn(process.execPath, ['tools/cli/bin.js', 'sandbox', '--port', '0', '--account', 'short'], {
      stdio: 'ignore',
    });
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
  });
});
