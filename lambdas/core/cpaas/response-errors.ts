import type { IncomingHttpHeaders } from 'node:http';
import {
  CpaasAuthError,
  CpaasConflictError,
  CpaasError,
  type CpaasErrorDetails,
  CpaasNotFoundError,
  CpaasRateLimitError,
  CpaasServerError,
  CpaasValidationError,
} from './errors.js';
import { parseRetryAfter } from './retry.js';
import { CpaasErrorBodySchema } from './schemas.js';

const EMAIL_PATTERN = /[^\s@"'<>(),;:]+@[^\s@"'<>(),;:]+/g;

/**
 * Vendor messages may echo what was sent ("jane@example.com already exists"); errors end up in
 * logs and dead-letter attributes, which must never hold an email address.
 */
export function redactEmails<T>(value: T): T {
  if (typeof value === 'string') return value.replace(EMAIL_PATTERN, '<email>') as T;
  if (Array.isArray(value)) return value.map(redactEmails) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactEmails(item)])) as T;
  }
  return value;
}

/** The request id the API gave this response: the body's `request_id`, else the `x-request-id` header. */
export function requestIdOf(body: unknown, headers: IncomingHttpHeaders): string | undefined {
  const fromBody = (body as { request_id?: unknown } | null)?.request_id;
  if (typeof fromBody === 'string' && fromBody !== '') return fromBody;
  const header = headers['x-request-id'];
  return Array.isArray(header) ? header[0] : header;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorClassFor(status: number): new (message: string, details: CpaasErrorDetails) => CpaasError {
  if (status === 400) return CpaasValidationError;
  if (status === 401 || status === 403) return CpaasAuthError;
  if (status === 404) return CpaasNotFoundError;
  if (status === 409) return CpaasConflictError;
  if (status === 429) return CpaasRateLimitError;
  if (status >= 500) return CpaasServerError;
  return CpaasError;
}

export interface ErrorResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
  readonly method: string;
  /** Path without the query. */
  readonly path: string;
}

/**
 * The error class for a non-2xx answer, with the vendor's `error_code`, message and request id, and
 * a one-line message an operator can act on:
 * `CPaaS API 400 on POST /v1/account/…/user: email already exists (error_code 1001, request_id r-1)`.
 */
export function errorFromResponse(response: ErrorResponse): CpaasError {
  const { status, method, path } = response;
  const json = parseJson(response.body);
  const parsed = CpaasErrorBodySchema.safeParse(json);
  const body = parsed.success ? parsed.data : {};
  const vendorMessage = body.message === undefined ? undefined : redactEmails(body.message);
  const requestId = requestIdOf(json, response.headers);
  const retryAfterHeader = response.headers['retry-after'];
  const retryAfterMs = parseRetryAfter(
    Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader,
  );
  const facts = [
    body.error_code === undefined ? undefined : `error_code ${body.error_code}`,
    requestId === undefined ? undefined : `request_id ${requestId}`,
    retryAfterMs === undefined ? undefined : `retry after ${retryAfterMs} ms`,
  ].filter((fact) => fact !== undefined);
  const summary = vendorMessage ?? (body.errors ? 'request rejected' : `HTTP ${status}`);
  const message = `CPaaS API ${status} on ${method} ${path}: ${summary}${facts.length ? ` (${facts.join(', ')})` : ''}`;
  const ErrorClass = errorClassFor(status);
  return new ErrorClass(message, {
    status,
    method,
    path,
    errorCode: body.error_code,
    vendorMessage,
    requestId,
    errors: body.errors === undefined ? undefined : redactEmails(body.errors),
    retryAfterMs,
  });
}
