import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BUILTIN_ALIASES,
  UNDICI_FALLBACK_PARSER,
  UNDICI_FORM_DATA_BODY,
} from '../../infra/lifecycle-function.js';
import type { HttpTransport } from '../../lambdas/core/cpaas/http-transport.js';
import { bundleAsDeployed } from '../../tools/bench/cold-start.js';

const TRANSPORT = new URL('../../lambdas/core/cpaas/http-transport.ts', import.meta.url).pathname;

describe('LAMBDA_BUNDLING without undici fallback parser and fetch body code', () => {
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
    server = createServer(async (request, response) => {
      let body = '';
      for await (const chunk of request) body += chunk;
      response.end(JSON.stringify({ method: request.method, body }));
    });
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

  it('leaves out the fetch body code, required only for a FormData body', () => {
    expect(UNDICI_FORM_DATA_BODY).toBe('*/web/fetch/body.js');
    expect(inputs.some((path) => path.includes('/undici/lib/web/'))).toBe(false);
  });

  it('makes real requests from the bundle: this Node compiles the SIMD parser, JSON bodies need no fetch code', async () => {
    const { port } = server.address() as AddressInfo;
    const transport = new transportModule.HttpTransport({ origin: `http://127.0.0.1:${port}` });
    const send = (method: 'GET' | 'POST', body?: string) =>
      transport.send({ method, path: '/probe', headers: {}, body, signal: AbortSignal.timeout(10_000) });
    try {
      expect(await send('GET')).toMatchObject({ status: 200, body: '{"method":"GET","body":""}' });
      const posted = await send('POST', '{"first_name":"Ada"}');
      expect(JSON.parse(posted.body)).toEqual({ method: 'POST', body: '{"first_name":"Ada"}' });
    } finally {
      await transport.close();
    }
  });
});

describe('LAMBDA_BUNDLING with node:http and node:https as CommonJS', () => {
  it('leaves no ES module import of either in the bundle, and hands code the same module objects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lambda-bundling-'));
    try {
      const entry = join(dir, 'entry.mjs');
      // As the AWS SDK's ES builds import them: a default import and a named one.
      await writeFile(
        entry,
        "import http from 'node:http';\nimport { Agent } from 'node:https';\nexport { http, Agent };\n",
      );
      const outfile = join(dir, 'entry.bundle.mjs');
      const inputs = Object.keys((await bundleAsDeployed(entry, outfile)).inputs);
      expect(Object.keys(BUILTIN_ALIASES)).toEqual(['node:http', 'node:https']);
      expect(inputs.filter((path) => path.endsWith('.cjs')).map((path) => path.split('/').pop())).toEqual([
        'node-http.cjs',
        'node-https.cjs',
      ]);
      expect(await readFile(outfile, 'utf8')).not.toMatch(/from\s*["']node:https?["']/);
      const bundled = await import(pathToFileURL(outfile).href);
      expect(bundled.http).toBe(process.getBuiltinModule('node:http'));
      expect(bundled.Agent).toBe(process.getBuiltinModule('node:https').Agent);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
