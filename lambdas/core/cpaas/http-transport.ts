import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import dispatcherRequest from 'undici/lib/api/api-request.js';
import Pool from 'undici/lib/dispatcher/pool.js';
import { CpaasError, CpaasNetworkError, CpaasTimeoutError } from './errors.js';

/** Per-attempt limits; the caller's deadline bounds the whole call on top of these. */
export interface HttpTimeouts {
  /** TCP + TLS handshake. */
  readonly connectMs: number;
  /** From the request being sent to the response headers arriving. */
  readonly headersMs: number;
  /** Longest silence between two chunks of the response body. */
  readonly bodyMs: number;
}

/** Short enough that a hung API leaves a Lambda time to retry, long enough for a slow page of 50. */
export const DEFAULT_TIMEOUTS: HttpTimeouts = { connectMs: 3_000, headersMs: 10_000, bodyMs: 10_000 };

export interface HttpTransportOptions {
  /** `scheme://host:port` every request goes to. */
  readonly origin: string;
  readonly timeouts?: Partial<HttpTimeouts>;
  /** Sockets kept open to the origin at most. */
  readonly maxConnections?: number;
  /**
   * Idle sockets are closed after this. Kept below common server and load balancer idle timeouts
   * so a socket reused after a Lambda thaw is rarely one the server already dropped.
   */
  readonly keepAliveMs?: number;
  /** A caller-owned undici dispatcher (Agent, Pool, MockAgent...). Not closed by `close()`. */
  readonly dispatcher?: Dispatcher;
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface TransportRequest {
  readonly method: HttpMethod;
  /** Path and query, starting with `/`. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Aborting rejects the request with `signal.reason`, which the transport passes through. */
  readonly signal: AbortSignal;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const PROGRAMMING_ERROR_CODES = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

/**
 * The keep-alive pool a transport makes for itself, for a caller to make once and share: the
 * worker's tenants all call one origin, so their clients (one per account) share one pool and a
 * warm function keeps one set of TLS connections, not one per tenant.
 */
export function apiPool(
  options: Pick<HttpTransportOptions, 'origin' | 'timeouts' | 'maxConnections' | 'keepAliveMs'>,
): Dispatcher {
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  return new Pool(options.origin, {
    connections: options.maxConnections ?? 16,
    keepAliveTimeout: options.keepAliveMs ?? 10_000,
    connect: { timeout: timeouts.connectMs },
    headersTimeout: timeouts.headersMs,
    bodyTimeout: timeouts.bodyMs,
  });
}

/**
 * One keep-alive pool for the API's origin, so a warm Lambda reuses its TLS connections across
 * invocations. Turns undici's failures into the client's error hierarchy (timeout vs network) so
 * the retry policy and the worker branch on classes, not on undici error codes. Only undici's pool
 * and request modules are imported, not its entry point (see `undici-modules.d.ts`).
 */
export class HttpTransport {
  readonly #origin: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #timeouts: HttpTimeouts;

  constructor(options: HttpTransportOptions) {
    this.#origin = options.origin;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? apiPool(options);
  }

  /** Sends one request and reads the whole body; never retries (that is the client's policy). */
  async send(request: TransportRequest): Promise<TransportResponse> {
    try {
      const response = await dispatcherRequest.call(this.#dispatcher, {
        origin: this.#origin,
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: request.signal,
        headersTimeout: this.#timeouts.headersMs,
        bodyTimeout: this.#timeouts.bodyMs,
      });
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      throw transportFailure(error, request);
    }
  }

  /** Closes the pool's sockets once in-flight requests finish (only a pool the transport created). */
  async close(): Promise<void> {
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }
}

function transportFailure(error: unknown, request: TransportRequest): unknown {
  if (error instanceof CpaasError) return error;
  const method = request.method;
  const path = request.path.split('?')[0];
  const code = (error as { code?: unknown }).code;
  const reason = (error as Error).message;
  if (typeof code === 'string' && TIMEOUT_CODES.has(code)) {
    return new CpaasTimeoutError(`CPaaS API ${method} ${path} timed out: ${reason}`, {
      method,
      path,
      cause: error,
    });
  }
  if (typeof code === 'string' && PROGRAMMING_ERROR_CODES.has(code)) {
    return new CpaasError(`CPaaS API ${method} ${path} could not be sent: ${reason}`, {
      method,
      path,
      cause: error,
    });
  }
  return new CpaasNetworkError(`CPaaS API ${method} ${path} failed on the network: ${reason}`, {
    method,
    path,
    cause: error,
  });
}
