import { afterEach, describe, expect, it, vi } from 'vitest';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { main } from '../../../tools/cli/main.js';

async function run(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  const code = await main(['node', 'cpaas-lifecycle', 'local', ...args]);
  vi.restoreAllMocks();
  return { code, stderr };
}

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
  vi.restoreAllMocks();
});

describe('cpaas-lifecycle local', () => {
  it('says how to install moto_server when it is missing, and exits 1', async () => {
    delete process.env.AWS_ENDPOINT_URL;
    process.env.PATH = '/nonexistent';
    const result = await run('--port', '0');
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toContain('moto_server is not on PATH');
    expect(result.stderr).toContain("pip install 'moto[server]'");
  });

  it('wants --cpaas-url, --api-key and --account together', async () => {
    const result = await run('--cpaas-url', 'http://127.0.0.1:1');
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain('go together');
  });

  it('rejects a port out of range', async () => {
    expect((await run('--port', '70000')).code).toBe(EXIT.usage);
  });

  it('wants credentials for a source pointed at another API, from a file or the environment', async () => {
    delete process.env.CPAAS_LIFECYCLE_BAMBOOHR_CREDENTIALS;
    const result = await run('--hris-url', 'bamboohr=https://sandbox.bamboohr.example/api/gateway.php/acme');
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(
      '--hris-credentials bamboohr=<file> or CPAAS_LIFECYCLE_BAMBOOHR_CREDENTIALS',
    );
    const unknown = await run('--hris-url', 'workday=https://x.example');
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain('workday is not one of');
  });
});
