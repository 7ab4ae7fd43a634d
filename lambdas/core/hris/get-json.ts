import { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy, retryDelay } from '../cpaas/retry.js';
import { HrApiError, HrEmployeeNotFoundError } from './errors.js';

export interface GetJsonOptions {
  /** Epoch ms the whole call, retries and waits included, must end by (the invocation's deadline). */
  readonly deadline: number;
  readonly policy?: RetryPolicy;
  /** Longest one attempt may take. */
  readonly attemptTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * One HTTP request of the retry loop: a read of an employee (a GET, or a field-selecting POST
 * like HiBob's), or a token request (a POST of a form). Every kind is safe to repeat.
 */
interface JsonRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  /** A read of one employee: its 404 means the employee does not exist (for a token request, a wrong API root). */
  readonly readsEmployee: boolean;
}

async function attempt(url: string, request: JsonRequest, timeoutMs: number): Promise<unknown> {
  const label = `${request.method} ${new URL(url).pathname}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new HrApiError(`${label} failed: ${(error as Error).name}`, true);
  }
  if (response.status === 404 && request.readsEmployee) {
    await response.body?.cancel();
    throw new HrEmployeeNotFoundError(`${label}: employee not found (404)`, false, 404);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new HrApiError(
      `${label} answered ${response.status}`,
      RETRYABLE_STATUSES.has(response.status),
      response.status,
      parseRetryAfter(response.headers.get('retry-after') ?? undefined),
    );
  }
  try {
    return await response.json();
  } catch {
    throw new HrApiError(`${label} answered a body that is not JSON`, true, response.status);
  }
}

async function requestJsonWithRetry(
  url: string,
  request: JsonRequest,
  options: GetJsonOptions,
): Promise<unknown> {
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? defaultSleep;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    const remaining = options.deadline - Date.now();
    try {
      return await attempt(
        url,
        request,
        Math.max(1, Math.min(options.attemptTimeoutMs ?? 10_000, remaining)),
      );
    } catch (error) {
      const delay = retryDelay({
        error,
        // Every kind is safe to repeat: a read (GET or field-selecting POST) changes nothing, and a
        // client-credentials token request only hands out a token (the same one while it lives).
        method: 'GET',
        attempt: attemptNumber,
        policy,
        deadline: options.deadline,
      });
      if (delay === undefined) throw error;
      await sleep(delay);
    }
  }
}

/**
 * GET of one JSON resource from an HR API, repeated with the CPaaS client's policy (full-jitter
 * backoff, `Retry-After` honoured, nothing started that would end past the deadline): the same
 * pure `retryDelay`, so every outbound API backs off alike. Node's own `fetch`, not the CPaaS
 * transport: one GET per event needs no pool tuning, and its errors are the CPaaS client's.
 * Credentials are in `headers` and never in an error: errors name the path only.
 */
export async function getJsonWithRetry(
  url: string,
  headers: Record<string, string>,
  options: GetJsonOptions,
): Promise<unknown> {
  return requestJsonWithRetry(url, { method: 'GET', headers, readsEmployee: true }, options);
}

/**
 * A read of one employee as a POST whose JSON body selects the fields (HiBob's `POST
 * /v1/people/{id}`), retried like a GET: it changes nothing however often it runs.
 */
export async function postJsonReadWithRetry(
  url: string,
  body: unknown,
  headers: Record<string, string>,
  options: GetJsonOptions,
): Promise<unknown> {
  return requestJsonWithRetry(
    url,
    {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      readsEmployee: true,
    },
    options,
  );
}

/**
 * POST of an `application/x-www-form-urlencoded` form answered with JSON, retried like a GET: an
 * OAuth 2.0 token request (client credentials), which is as safe to repeat as a read. Form values
 * (the client secret) are in the body and never in an error.
 */
export async function postFormWithRetry(
  url: string,
  form: Readonly<Record<string, string>>,
  headers: Record<string, string>,
  options: GetJsonOptions,
): Promise<unknown> {
  return requestJsonWithRetry(
    url,
    {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      readsEmployee: false,
    },
    options,
  );
}
