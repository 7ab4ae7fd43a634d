import { LifecycleError } from '../../contract/errors.js';

/**
 * One error hierarchy for everything the CPaaS client can throw. Callers branch on the class (or on
 * `retryable` / `permanent`) instead of parsing messages; every error carries the HTTP status, the
 * vendor's `error_code` and `message`, and the request id when the API sent them. No error ever
 * holds the API key: requests are described by method and path only.
 */

export interface CpaasErrorDetails {
  readonly status?: number;
  readonly errorCode?: number;
  readonly vendorMessage?: string;
  readonly requestId?: string;
  readonly method?: string;
  readonly path?: string;
  readonly errors?: readonly unknown[];
  /** How long the API asked the caller to wait (`Retry-After`), on 429 and sometimes 503. */
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/** Vendor error codes the sandbox emits and the worker recognises. */
export const CPAAS_ERROR_CODES = {
  validation: 1000,
  duplicateEmail: 1001,
  unauthorized: 1401,
  forbidden: 1403,
  notFound: 1404,
  rateLimited: 1429,
  internal: 1500,
} as const;

/**
 * Two questions, two properties. `retryable` is about the call: the client may repeat the same
 * HTTP request (429, 5xx, timeouts, network). `permanent` is about the message the worker is
 * processing: the API rejected what the event asks for, so repeating the message fails the same
 * way and it is dead-lettered at once. Neither implies the other: a 401 is neither (the key may be
 * mid-rotation), a 429 is retryable and, once the client gives up, still not permanent.
 */
export class CpaasError extends LifecycleError {
  override name = 'CpaasError';
  readonly status: number | undefined;
  readonly errorCode: number | undefined;
  readonly vendorMessage: string | undefined;
  readonly requestId: string | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly errors: readonly unknown[] | undefined;
  readonly retryAfterMs: number | undefined;
  /** True when the same call may succeed if repeated later (429, 5xx, timeouts, network). */
  readonly retryable: boolean = false;
  /** True when the request itself is wrong, so the message that asked for it never succeeds. */
  readonly permanent: boolean = false;

  constructor(message: string, details: CpaasErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.status = details.status;
    this.errorCode = details.errorCode;
    this.vendorMessage = details.vendorMessage;
    this.requestId = details.requestId;
    this.method = details.method;
    this.path = details.path;
    this.errors = details.errors;
    this.retryAfterMs = details.retryAfterMs;
  }
}

/** The request broke the contract before it was sent (bad id, email, name...). Never reached the network. */
export class CpaasRequestValidationError extends CpaasError {
  override name = 'CpaasRequestValidationError';
  override readonly permanent = true;
}

/** 400: the API rejected the request body or parameters. */
export class CpaasValidationError extends CpaasError {
  override name = 'CpaasValidationError';
  override readonly permanent = true;
}

/** 401/403: missing, wrong or rotated API key, or no permission. */
export class CpaasAuthError extends CpaasError {
  override name = 'CpaasAuthError';
}

/** 404: the user (or account) does not exist. */
export class CpaasNotFoundError extends CpaasError {
  override name = 'CpaasNotFoundError';
}

/** 409: the request conflicts with the current state. */
export class CpaasConflictError extends CpaasError {
  override name = 'CpaasConflictError';
}

/** 429: rate limited. `retryAfterMs` comes from the `Retry-After` header when present. */
export class CpaasRateLimitError extends CpaasError {
  override name = 'CpaasRateLimitError';
  override readonly retryable = true;
}

/** 5xx from the API. */
export class CpaasServerError extends CpaasError {
  override name = 'CpaasServerError';
  override readonly retryable = true;
}

/** The call ran out of its time budget (connect, headers, body or overall deadline). */
export class CpaasTimeoutError extends CpaasError {
  override name = 'CpaasTimeoutError';
  override readonly retryable = true;
}

/** The connection failed or was reset before a complete response arrived. */
export class CpaasNetworkError extends CpaasError {
  override name = 'CpaasNetworkError';
  override readonly retryable = true;
}

/** The caller's `AbortSignal` cancelled the call; not retryable, the caller chose to stop. */
export class CpaasAbortError extends CpaasError {
  override name = 'CpaasAbortError';
}

/** The API answered 2xx with a body that does not match the contract. */
export class CpaasResponseError extends CpaasError {
  override name = 'CpaasResponseError';
}

/** True when the API refused a create or update because another user already has the email. */
export function isDuplicateEmailError(error: unknown): error is CpaasValidationError {
  if (!(error instanceof CpaasValidationError)) return false;
  if (error.errorCode === CPAAS_ERROR_CODES.duplicateEmail) return true;
  return (
    /email/i.test(error.vendorMessage ?? '') &&
    /(exist|taken|in use|duplicate)/i.test(error.vendorMessage ?? '')
  );
}
