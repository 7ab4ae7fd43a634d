import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { CpaasError, CpaasNetworkError, CpaasTimeoutError } from '../../../../lambdas/core/cpaas/errors.js';
import { HttpTransport } from '../../../../lambdas/core/cpaas/http-transport.js';

type Handler = (request: IncomingMessage, response: ServerResponse) => void;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real HTTP server on loopback whose behaviour each test scripts. */
async function serve(
  handler: Handler,
): Promise<{ origin: string; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer(handler);
  server.on('connection', () => {
    connections += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, server, connections: () => connections };
}

function transportFor(origin: string, options: Partial<ConstructorParameters<typeof HttpTransport>[0]> = {}) {
  const transport = new HttpTransport({ origin, ...options });
  cleanups.push(() => transport.close());
  return transport;
}

const get = (path = '/v1/x') => ({
  method: 'GET' as const,
  path,
  headers: { accept: 'application/json' },
  signal: new AbortController().signal,
});

describe('HttpTransport', () => {
  it('sends method, path, headers and body, and returns status, headers and the whole body', async () => {
    const seen: Array<{ method?: string; url?: string; type?: string; body: string }> = [];
    const { origin } = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        seen.push({ method: request.method, url: request.url, type: request.headers['content-type'], body });
        response.writeHead(201, { 'x-request-id': 'req-1' }).end('{"ok":true}');
      });
    });
    const response = await transportFor(origin).send({
      method: 'PUT',
      path: '/v1/a?b=c',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
      signal: new AbortController().signal,
    });
    expect(response).toMatchObject({
      status: 201,
      body: '{"ok":true}',
      headers: { 'x-request-id': 'req-1' },
    });
    expect(seen).toEqual([{ method: 'PUT', url: '/v1/a?b=c', type: 'application/json', body: '{"a":1}' }]);
  });

  it('keeps connections alive across calls (20 sequential calls, not 20 sockets)', async () => {
    const api = await serve((_request, response) => response.end('{}'));
    const transport = transportFor(api.origin);
    for (let call = 0; call < 20; call += 1) await transport.send(get());
    // undici may open a second socket while the first one finishes its response; never one per call.
    expect(api.connections()).toBeLessThanOrEqual(2);
  });

  it('turns a response that never comes into CpaasTimeoutError after headersMs', async () => {
    const { origin } = await serve(() => {});
    const error = await transportFor(origin, { timeouts: { headersMs: 150 } })
      .send(get('/v1/hang?q=1'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CpaasTimeoutError);
    expect(error).toMatchObject({ method: 'GET', path: '/v1/hang', retryable: true });
  });

  it('turns a body that stalls into CpaasTimeoutError after bodyMs', async () => {
    const { origin } = await serve((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.write('{"data":');
    });
    const error = await transportFor(origin, { timeouts: { bodyMs: 150 } })
      .send(get())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CpaasTimeoutError);
  });

  it('turns a reset connection into CpaasNetworkError', async () => {
    const { origin } = await serve((request) => request.socket.destroy());
    const error = await transportFor(origin)
      .send(get())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CpaasNetworkError);
    expect((error as CpaasNetworkError).message).toMatch(/^CPaaS API GET \/v1\/x failed on the network/);
  });

  it('turns a refused connection into CpaasNetworkError', async () => {
    const { origin, server } = await serve(() => {});
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const error = await transportFor(origin)
      .send(get())
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CpaasNetworkError);
  });

  it('rejects with the abort reason when the signal fires, so the client decides what it means', async () => {
    const { origin } = await serve(() => {});
    const controller = new AbortController();
    const reason = new CpaasTimeoutError('deadline');
    setTimeout(() => controller.abort(reason), 50);
    const error = await transportFor(origin)
      .send({ ...get(), signal: controller.signal })
      .catch((e: unknown) => e);
    expect(error).toBe(reason);
  });

  it('uses a caller-owned dispatcher and leaves it open on close()', async () => {
    const api = await serve((_request, response) => response.end('{"via":"agent"}'));
    const agent = new Agent();
    cleanups.push(() => agent.close());
    const transport = new HttpTransport({ origin: api.origin, dispatcher: agent });
    await transport.close();
    expect((await transport.send(get())).body).toBe('{"via":"agent"}');
  });

  it('refuses to send after close() of its own pool', async () => {
    const { origin } = await serve((_request, response) => response.end('{}'));
    const transport = new HttpTransport({ origin });
    await transport.send(get());
    await transport.close();
    const error = await transport.send(get()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CpaasError);
  });
});
