import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpApiHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface IngestServerOptions {
  handler: HttpApiHandler;
  /** 0 picks a free port. */
  port?: number;
  /** Loopback unless told otherwise. */
  host?: string;
  /**
   * What the server buffers before answering 413 itself, like the platform's own payload limit
   * (6 MB for Lambda). Larger than the handler's limit, so the handler's 413 is what callers see.
   */
  maxRequestBytes?: number;
  /**
   * What is down that the handler needs (local mode's moto_server, sandbox...). While it lists
   * anything, every request gets 503 without reaching the handler: `/healthz` says unhealthy and
   * a webhook is not acknowledged for a pipeline that cannot queue or apply it.
   */
  unavailable?: () => readonly string[];
  /**
   * The 503 in the protocol a path speaks (SCIM's Error schema for `/scim/v2`), when the default
   * JSON body is not it; undefined keeps the default.
   */
  unavailableReply?: (
    path: string,
    problems: readonly string[],
  ) => APIGatewayProxyStructuredResultV2 | undefined;
}

export interface IngestServer {
  /** e.g. `http://127.0.0.1:41234` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const LAMBDA_PAYLOAD_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * The API Gateway payload 2.0 event for a node:http request. The body always travels base64
 * encoded, so the handler sees the exact bytes the client signed.
 */
export function toHttpApiEvent(request: IncomingMessage, body: Buffer): APIGatewayProxyEventV2 {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const query = Object.fromEntries(url.searchParams);
  const method = request.method ?? 'GET';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: new Date().toISOString(),
      timeEpoch: Date.now(),
    },
    ...(body.length > 0 ? { body: body.toString('base64') } : {}),
    isBase64Encoded: body.length > 0,
  };
}

function writeResult(response: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  response.statusCode = result.statusCode ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) response.setHeader(name, String(value));
  if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
  const body = result.body ?? '';
  response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
}

function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  writeResult(response, {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** Seconds a sender is asked to wait while a dependency is down. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

function sendUnavailable(response: ServerResponse, path: string, problems: readonly string[]): void {
  const retryAfter = { 'retry-after': String(UNAVAILABLE_RETRY_AFTER_SECONDS) };
  const body = /\/healthz\/?$/.test(path)
    ? { status: 'unavailable', problems }
    : { error: 'temporarily unavailable, retry later', problems };
  sendJson(response, 503, body, retryAfter);
}

/**
 * Serves a payload-2.0 Lambda handler over plain HTTP: the local mode's webhook endpoint and the
 * tests' real socket in front of exactly the code that runs in Lambda.
 */
export async function startIngestServer(options: IngestServerOptions): Promise<IngestServer> {
  const limit = options.maxRequestBytes ?? LAMBDA_PAYLOAD_LIMIT_BYTES;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining past the limit (so the client can read our answer) but stop buffering.
      if (size <= limit) chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > limit) return sendJson(response, 413, { error: 'request too large' });
      const problems = options.unavailable?.() ?? [];
      if (problems.length > 0) {
        const path = new URL(request.url ?? '/', 'http://localhost').pathname;
        const reply = options.unavailableReply?.(path, problems);
        return reply === undefined ? sendUnavailable(response, path, problems) : writeResult(response, reply);
      }
      options.handler(toHttpApiEvent(request, Buffer.concat(chunks))).then(
        (result) => writeResult(response, result),
        () => sendJson(response, 500, { error: 'internal error' }),
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
