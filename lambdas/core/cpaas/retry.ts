/**
 * What the retry decision reads from an error: the CPaaS client's errors and the HR API fetchers'
 * errors both have this shape, so one policy serves every outbound API.
 */
export interface RetryableFailure {
  readonly retryable: boolean;
  readonly retryAfterMs?: number | undefined;
}

function isRetryableFailure(error: unknown): error is RetryableFailure {
  return error instanceof Error && (error as Partial<RetryableFailure>).retryable === true;
}

/**
 * When the client repeats a failed call. Only idempotent methods are repeated: a repeated POST
 * (create) can make a second user, so the caller (the worker) decides how to recover from those.
 */
export interface RetryPolicy {
  /** Attempts in total, the first one included (1 = never retry). */
  readonly maxAttempts: number;
  /** Ceiling of the first backoff; doubles every attempt. */
  readonly baseDelayMs: number;
  /** Ceiling of any backoff the client picks itself. */
  readonly maxDelayMs: number;
  /** A `Retry-After` longer than this is not waited for: the error goes to the caller instead. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 250,
  maxDelayMs: 8_000,
  maxRetryAfterMs: 60_000,
};

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** GET, PUT and DELETE leave the same state however often they run; POST does not. */
export function isIdempotentMethod(method: string): boolean {
  return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

/**
 * `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 10.2.3).
 * Undefined when absent or unreadable, so the caller falls back to its own backoff.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse reads "-3" or "1.5" as years; an HTTP-date always names its day or month.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * "Full jitter" backoff: a uniform random wait between 0 and the exponential ceiling, so clients
 * that failed together do not retry together (AWS Architecture Blog, "Exponential Backoff And Jitter").
 */
export function backoffDelay(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * ceiling);
}

export interface RetryDecisionInput {
  readonly error: unknown;
  readonly method: string;
  /** The attempt that just failed, starting at 1. */
  readonly attempt: number;
  readonly policy: RetryPolicy;
  /** Epoch ms by which the whole call must be over, retries and waits included. */
  readonly deadline?: number;
  readonly now?: number;
  readonly random?: () => number;
}

/**
 * How long to wait before the next attempt, or undefined to give up and throw `error`. The API's
 * `Retry-After` wins over the client's own backoff; a wait that would end past the deadline is not
 * started, since the attempt after it could not finish in time anyway.
 */
export function retryDelay(input: RetryDecisionInput): number | undefined {
  const { error, method, attempt, policy } = input;
  if (!isRetryableFailure(error)) return undefined;
  if (!isIdempotentMethod(method) || attempt >= policy.maxAttempts) return undefined;
  let delay: number;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) return undefined;
    delay = error.retryAfterMs;
  } else {
    delay = backoffDelay(attempt, policy, input.random);
  }
  if (input.deadline !== undefined && (input.now ?? Date.now()) + delay >= input.deadline) return undefined;
  return delay;
}
