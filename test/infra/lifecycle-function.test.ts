import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UNDICI_FALLBACK_PARSER } from '../../infra/lifecycle-function.js';
import type { HttpTransport } from '../../lambdas/core/cpaas/http-transport.js';
import { bundleAsDeployed } from '../../tools/bench/cold-start.js';

const TRANSPORT = new URL('../../lambdas/core/cpaas/http-transport.ts', import.meta.url).pathname;

describe('LAMBDA_BUNDLING without undici fallback parser', () => {
  let dir: string;
  let server: Server;
  let inputs: string[];
  let transportModule: { HttpTransport: typeof HttpTransport };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lambda-bundling-'));
    const entry = join(dir, 'entry.ts');
    await writeFile(entry, `export { HttpTransport } from ${JSON.stringify(TRANSPORT)};\n`);
    const outfile = join(dir, 'entry.bundle.mjs');
    inputs = Object.keys((await bundleAsDeployed(entry, outfile)).inputs);
    transportModule = await import(pathToFileURL(outfile).href);
    server = createServer((_request, response) => response.end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('bundles the SIMD parser and leaves the fallback out', () => {
    expect(UNDICI_FALLBACK_PARSER).toBe('*/llhttp-wasm.js');
    expect(inputs.some((path) => path.endsWith('/llhttp_simd-wasm.js'))).toBe(true);
    expect(inputs.some((path) => path.endsWith('/llhttp-wasm.js'))).toBe(false);
  });

  it('makes a real request from the bundle: this Node compiles the SIMD parser', async () => {
    const { port } = server.address() as AddressInfo;
    const transport = new transportModule.HttpTransport({ origin: `http://127.0.0.1:${port}` });
    try {
      const response = await transport.send({
        method: 'GET',
        path: '/probe',
        headers: {},
        signal: AbortSignal.timeout(10_000),
      });
      expect(response).toMatchObject({ status: 200, body: '{"ok":true}' });
    } finally {
      await transport.close();
    }
  });
});
