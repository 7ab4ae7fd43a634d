import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type IngestServer, startIngestServer } from '../../../tools/local/http-server.js';

describe('startIngestServer', () => {
  const seen: APIGatewayProxyEventV2[] = [];
  let server: IngestServer;
  beforeAll(async () => {
    server = await startIngestServer({
      port: 0,
      maxRequestBytes: 1024,
      handler: async (event) => {
        seen.push(event);
        if (event.rawPath === '/boom') throw new Error('handler failed');
        return {
          statusCode: 201,
          headers: { 'x-echo': event.headers['x-custom'] ?? '' },
          body: Buffer.from([0xff, 0x00, 0x7f]).toString('base64'),
          isBase64Encoded: true,
        };
      },
    });
  });
  afterAll(() => server.close());

  it('listens on loopback and hands the handler a payload 2.0 event with the exact body bytes', async () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const bytes = Buffer.from([0xc3, 0x28, 0x7b, 0x7d]); // not valid UTF-8: must survive untouched
    const response = await fetch(`${server.url}/webhooks/x?a=1&b=2`, {
      method: 'POST',
      body: bytes,
      headers: { 'X-Custom': 'hello' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('hello');
    expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from([0xff, 0x00, 0x7f]));
    const event = seen.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      rawPath: '/webhooks/x',
      rawQueryString: 'a=1&b=2',
      queryStringParameters: { a: '1', b: '2' },
      isBase64Encoded: true,
      requestContext: { http: { method: 'POST', path: '/webhooks/x' }, stage: '$default' },
    });
    expect(Buffer.from(event?.body ?? '', 'base64')).toEqual(bytes);
  });

  it('sends no body for a bodiless request', async () => {
    await fetch(`${server.url}/healthz`);
    expect(seen.at(-1)).toMatchObject({ isBase64Encoded: false });
    expect(seen.at(-1)?.body).toBeUndefined();
  });

  it('answers 413 itself beyond its own limit and 500 when the handler throws', async () => {
    const count = seen.length;
    const tooBig = await fetch(`${server.url}/webhooks/x`, { method: 'POST', body: 'x'.repeat(1025) });
    expect(tooBig.status).toBe(413);
    expect(seen.length).toBe(count);
    const failed = await fetch(`${server.url}/boom`, { method: 'POST', body: '{}' });
    expect(failed.status).toBe(500);
    expect(await failed.json()).toEqual({ error: 'internal error' });
  });
});
