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

async function attempt(url: string, headers: Record<string, string>, timeoutMs: number): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    throw new HrApiError(`GET ${new URL(url).pathname} failed: ${(error as Error).name}`, true);
  }
  const path = new URL(url).pathname;
  if (response.status === 404) {
    await response.body?.cancel();
    throw new HrEmployeeNotFoundError(`GET ${path}: employee not found (404)`, false, 404);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new HrApiError(
      `GET ${path} answered ${response.status}`,
      RETRYABLE_STATUSES.has(response.status),
      response.status,
      parseRetryAfter(response.headers.get('retry-after') ?? undefined),
    );
  }
  try {
    return await response.json();
  } catch {
    throw new HrApiError(`GET ${path} answered a body that is not JSON`, true, response.status);
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
  const policy = options.policy ?? DEFAULT_RETRY_POLICY;
  const sleep = options.sleep ?? defaultSleep;
  for (let attemptNumber = 1; ; attemptNumber += 1) {
    const remaining = options.deadline - Date.now();
    try {
      return await attempt(
        url,
        headers,
        Math.max(1, Math.min(options.attemptTimeoutMs ?? 10_000, remaining)),
      );
    } catch (error) {
      const delay = retryDelay({
        error,
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
