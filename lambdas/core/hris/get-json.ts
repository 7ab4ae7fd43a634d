import { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy, retryDelay } from '../cpaas/retry.js';
import { HrApiError, HrEmployeeNotFoundError } from './errors.js';

export interface GetJsonOptions {
  /** Epoch ms the whole call, retries and waits included, must end by (the invocation's deadline). */
  readonly deadline: number;
  readonly policy?: RetryPolicy;
  /** Longest one attempt may take. */
  readonly attemptTimeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /**
   * A JSON body for an API whose read selects its fields in the body (HiBob's `POST
   * /v1/people/{id}`): sent as a POST, and still repeated like a GET, because the call reads
   * and changes nothing however often it runs.
   */
  readonly body?: string;
}

const RETRYABLE_STATUSES = new Set([429, 500, 502, 503, 504]);
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function attempt(
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  body: string | undefined,
): Promise<unknown> {
  const method = body === undefined ? 'GET' : 'POST';
  const path = `${method} ${new URL(url).pathname}`;
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    throw new HrApiError(`${path} failed: ${(error as Error).name}`, true);
  }
  if (response.status === 404) {
    await response.body?.cancel();
    throw new HrEmployeeNotFoundError(`${path}: employee not found (404)`, false, 404);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new HrApiError(
      `${path} answered ${response.status}`,
      RETRYABLE_STATUSES.has(response.status),
      response.status,
      parseRetryAfter(response.headers.get('retry-after') ?? undefined),
    );
  }
  try {
    return await response.json();
  } catch {
    throw new HrApiError(`${path} answered a body that is not JSON`, true, response.status);
  }
}

/**
 * GET (or, with `body`, a field-selecting POST) of one JSON resource from an HR API, repeated with the CPaaS client's policy (full-jitter
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
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? defaultSleep;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    const remaining = options.deadline - Date.now();
    try {
      return await attempt(
        url,
        headers,
        Math.max(1, Math.min(options.attemptTimeoutMs ?? 10_000, remaining)),
        options.body,
      );
    } catch (error) {
      const delay = retryDelay({
        error,
        // A read either way: a field-selecting POST changes nothing, so it is repeated like a GET.
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
