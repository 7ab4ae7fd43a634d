import { describe, expect, it } from 'vitest';
import {
  CpaasNetworkError,
  CpaasNotFoundError,
  CpaasRateLimitError,
  CpaasServerError,
  CpaasTimeoutError,
} from '../../../../lambdas/core/cpaas/errors.js';
import {
  backoffDelay,
  isIdempotentMethod,
  parseRetryAfter,
  type RetryPolicy,
  retryDelay,
} from '../../../../lambdas/core/cpaas/retry.js';

const policy: RetryPolicy = { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1_000, maxRetryAfterMs: 30_000 };
const almostOne = () => 0.999_999;

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-11-22T12:00:00Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('1', now)).toBe(1_000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('0', now)).toBe(0);
  });

  it('reads an HTTP-date as the time left until then, never negative', () => {
    expect(parseRetryAfter('Sun, 22 Nov 2026 12:00:05 GMT', now)).toBe(5_000);
    expect(parseRetryAfter('Sun, 22 Nov 2026 11:59:00 GMT', now)).toBe(0);
  });

  it('ignores what it cannot read, so the client falls back to its own backoff', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
    expect(parseRetryAfter('1.5', now)).toBeUndefined();
  });
});

describe('backoffDelay (full jitter)', () => {
  it('draws between 0 and an exponential ceiling capped by maxDelayMs', () => {
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffDelay(attempt, policy, almostOne))).toEqual([
      99, 199, 399, 799, 999, 999,
    ]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
  });

  it('spreads clients that failed together (not all the same wait)', () => {
    const waits = new Set(Array.from({ length: 50 }, () => backoffDelay(4, policy)));
    expect(waits.size).toBeGreaterThan(10);
    for (const wait of waits) expect(wait).toBeLessThan(800);
  });
});

describe('retryDelay', () => {
  const server = new CpaasServerError('503');

  it('retries GET, PUT and DELETE, never POST', () => {
    expect(isIdempotentMethod('GET')).toBe(true);
    expect(isIdempotentMethod('put')).toBe(true);
    expect(isIdempotentMethod('DELETE')).toBe(true);
    expect(isIdempotentMethod('POST')).toBe(false);
    for (const method of ['GET', 'PUT', 'DELETE']) {
      expect(retryDelay({ error: server, method, attempt: 1, policy, random: almostOne })).toBe(99);
    }
    expect(retryDelay({ error: server, method: 'POST', attempt: 1, policy })).toBeUndefined();
    expect(
      retryDelay({ error: new CpaasNetworkError('reset'), method: 'POST', attempt: 1, policy }),
    ).toBeUndefined();
  });

  it('retries 429, 5xx, timeouts and network errors; not 4xx or foreign errors', () => {
    for (const error of [
      new CpaasRateLimitError('429'),
      server,
      new CpaasTimeoutError('t'),
      new CpaasNetworkError('n'),
    ]) {
      expect(retryDelay({ error, method: 'GET', attempt: 1, policy, random: () => 0.5 })).toBe(50);
    }
    expect(
      retryDelay({ error: new CpaasNotFoundError('404'), method: 'GET', attempt: 1, policy }),
    ).toBeUndefined();
    expect(retryDelay({ error: new Error('bug'), method: 'GET', attempt: 1, policy })).toBeUndefined();
  });

  it('stops after maxAttempts', () => {
    expect(retryDelay({ error: server, method: 'GET', attempt: 3, policy })).toBeDefined();
    expect(retryDelay({ error: server, method: 'GET', attempt: 4, policy })).toBeUndefined();
  });

  it('waits what Retry-After says instead of its own backoff, up to maxRetryAfterMs', () => {
    const limited = new CpaasRateLimitError('429', { retryAfterMs: 2_000 });
    expect(retryDelay({ error: limited, method: 'GET', attempt: 1, policy, random: () => 0 })).toBe(2_000);
    const tooLong = new CpaasRateLimitError('429', { retryAfterMs: 31_000 });
    expect(retryDelay({ error: tooLong, method: 'GET', attempt: 1, policy })).toBeUndefined();
  });

  it('does not start a wait that ends past the deadline', () => {
    const limited = new CpaasRateLimitError('429', { retryAfterMs: 2_000 });
    const now = 1_000_000;
    expect(
      retryDelay({ error: limited, method: 'GET', attempt: 1, policy, now, deadline: now + 2_500 }),
    ).toBe(2_000);
    expect(
      retryDelay({ error: limited, method: 'GET', attempt: 1, policy, now, deadline: now + 1_500 }),
    ).toBeUndefined();
  });
});
