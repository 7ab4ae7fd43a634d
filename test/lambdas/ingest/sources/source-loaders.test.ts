import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SOURCE_NAMES, type SourceName } from '../../../../lambdas/contract/settings.js';
// Types only: a value import would load the modules before the tests can watch them load.
import type * as Handler from '../../../../lambdas/ingest/handler.js';
import type * as Loaders from '../../../../lambdas/ingest/sources/source-loaders.js';

const HANDLER = '../../../../lambdas/ingest/handler.js';
const LOADERS = '../../../../lambdas/ingest/sources/source-loaders.js';

/** Each source's module, as `source-loaders.ts` imports it. */
const MODULES: { readonly [Name in SourceName]: string } = {
  standard: '../../../../lambdas/ingest/sources/standard-webhooks.js',
  merge: '../../../../lambdas/ingest/sources/merge.js',
  bamboohr: '../../../../lambdas/ingest/sources/bamboohr.js',
  hibob: '../../../../lambdas/ingest/sources/hibob.js',
  personio: '../../../../lambdas/ingest/sources/personio.js',
  gusto: '../../../../lambdas/ingest/sources/gusto.js',
};

function post(path: string, contentType: string): APIGatewayProxyEventV2 {
  return {
    rawPath: path,
    headers: { 'content-type': contentType },
    body: 'not json',
    isBase64Encoded: false,
    requestContext: { http: { method: 'POST', path } },
  } as unknown as APIGatewayProxyEventV2;
}

/** A fresh handler whose source modules record when they are first imported. */
async function handlerRecordingLoads(): Promise<{ handler: Handler.IngestHandler; loaded: SourceName[] }> {
  vi.resetModules();
  const loaded: SourceName[] = [];
  for (const name of SOURCE_NAMES) {
    vi.doMock(MODULES[name], async (importOriginal) => {
      loaded.push(name);
      return importOriginal();
    });
  }
  const { createIngestHandler } = (await import(HANDLER)) as typeof Handler;
  const handler = createIngestHandler({
    secrets: { secretsFor: () => Promise.reject(new Error('no request here reaches the signature')) },
    queue: { enqueue: () => Promise.reject(new Error('no request here is queued')) },
  });
  return { handler, loaded };
}

afterEach(() => {
  for (const name of SOURCE_NAMES) vi.doUnmock(MODULES[name]);
  vi.resetModules();
});

describe('SOURCE_LOADERS', () => {
  it('loads, for every source name of the contract, the adapter of that name', async () => {
    const { SOURCE_LOADERS } = (await import(LOADERS)) as typeof Loaders;
    for (const name of SOURCE_NAMES) expect((await SOURCE_LOADERS[name]()).name).toBe(name);
  });
});

describe('the ingest handler loads a source on its first request', () => {
  it('imports no source with the handler, then only the source a request is for', async () => {
    const { handler, loaded } = await handlerRecordingLoads();
    expect(loaded).toEqual([]);

    // 415 comes after the source is loaded (its handshake check is first) and before any secret.
    expect((await handler(post('/webhooks/merge', 'text/plain'))).statusCode).toBe(415);
    expect(loaded).toEqual(['merge']);
    expect((await handler(post('/webhooks/gusto', 'text/plain'))).statusCode).toBe(415);
    expect(loaded).toEqual(['merge', 'gusto']);
  });

  it('loads nothing for a path segment that only names a property of every object', async () => {
    const { handler, loaded } = await handlerRecordingLoads();
    for (const segment of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const response = await handler(post(`/webhooks/${segment}`, 'application/json'));
      expect(response.statusCode, segment).toBe(404);
      expect(JSON.parse(response.body ?? '{}'), segment).toEqual({ error: 'unknown source' });
    }
    expect(loaded).toEqual([]);
  });
});
