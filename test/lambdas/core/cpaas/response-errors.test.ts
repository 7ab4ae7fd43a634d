import { describe, expect, it } from 'vitest';
import {
  CpaasAuthError,
  CpaasConflictError,
  CpaasError,
  CpaasNotFoundError,
  CpaasRateLimitError,
  CpaasServerError,
  CpaasValidationError,
  isDuplicateEmailError,
} from '../../../../lambdas/core/cpaas/errors.js';
import { errorFromResponse, redactEmails } from '../../../../lambdas/core/cpaas/response-errors.js';

const path = '/v1/account/a1/user';
const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  errorFromResponse({
    status,
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    method: 'POST',
    path,
  });

describe('errorFromResponse', () => {
  it.each([
    [400, CpaasValidationError, false],
    [401, CpaasAuthError, false],
    [403, CpaasAuthError, false],
    [404, CpaasNotFoundError, false],
    [409, CpaasConflictError, false],
    [429, CpaasRateLimitError, true],
    [500, CpaasServerError, true],
    [502, CpaasServerError, true],
    [503, CpaasServerError, true],
    [418, CpaasError, false],
  ])('maps %i to %o (retryable %s)', (status, ErrorClass, retryable) => {
    const error = answer(status, { message: 'nope' });
    expect(error.constructor).toBe(ErrorClass);
    expect(error).toMatchObject({ status, retryable, method: 'POST', path });
  });

  it('carries the vendor error_code, message, errors and request id in a readable one-line message', () => {
    const error = answer(400, {
      status_code: 400,
      error_code: 1001,
      message: 'email already exists',
      errors: [{ field: 'email' }],
      request_id: 'req-42',
    });
    expect(error.message).toBe(
      `CPaaS API 400 on POST ${path}: email already exists (error_code 1001, request_id req-42)`,
    );
    expect(error).toMatchObject({
      errorCode: 1001,
      vendorMessage: 'email already exists',
      requestId: 'req-42',
      errors: [{ field: 'email' }],
    });
    expect(isDuplicateEmailError(error)).toBe(true);
  });

  it('takes the request id from x-request-id when the body has none, and survives a non-JSON body', () => {
    const error = answer(502, '<html>Bad Gateway</html>', { 'x-request-id': 'edge-7' });
    expect(error).toBeInstanceOf(CpaasServerError);
    expect(error.requestId).toBe('edge-7');
    expect(error.message).toBe(`CPaaS API 502 on POST ${path}: HTTP 502 (request_id edge-7)`);
  });

  it('reads Retry-After in seconds or as an HTTP-date', () => {
    expect(answer(429, {}, { 'retry-after': '2' }).retryAfterMs).toBe(2_000);
    const inFiveSeconds = new Date(Date.now() + 5_000).toUTCString();
    const fromDate = answer(503, {}, { 'retry-after': inFiveSeconds }).retryAfterMs ?? -1;
    expect(fromDate).toBeGreaterThan(3_000);
    expect(fromDate).toBeLessThanOrEqual(5_000);
  });

  it('never carries an email address the vendor echoed back', () => {
    const error = answer(400, {
      error_code: 1001,
      message: 'email jane.doe+hr@example.com already exists',
      errors: [{ value: 'jane.doe+hr@example.com' }],
    });
    expect(JSON.stringify({ ...error, message: error.message })).not.toContain('example.com');
    expect(error.vendorMessage).toBe('email <email> already exists');
    expect(isDuplicateEmailError(error)).toBe(true);
  });
});

describe('redactEmails', () => {
  it('redacts in strings, arrays and objects, leaving the rest', () => {
    expect(redactEmails({ a: ['x a@b.co y', 3], b: { c: 'c@d.io' }, d: null })).toEqual({
      a: ['x <email> y', 3],
      b: { c: '<email>' },
      d: null,
    });
  });
});
