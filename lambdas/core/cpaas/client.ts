import { setTimeout as sleep } from 'node:timers/promises';
import type { Dispatcher } from 'undici';
import type { Logger } from '../telemetry/logger.js';
import { fieldIssues } from '../validation/field-issues.js';
import type * as z from '../validation/zod.js';
import {
  CpaasAbortError,
  CpaasAuthError,
  CpaasError,
  CpaasRequestValidationError,
  CpaasResponseError,
  CpaasTimeoutError,
} from './errors.js';
import { type HttpMethod, type HttpTimeouts, HttpTransport } from './http-transport.js';
import { iterateItems } from './pagination.js';
import { errorFromResponse, parseJson, requestIdOf } from './response-errors.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy, retryDelay } from './retry.js';
import {
  CpaasIdSchema,
  ImpersonateEnvelopeSchema,
  ImpersonateRequestSchema,
  type ListUsersParams,
  ListUsersParamsSchema,
  PAGE_SIZE_MAX,
  type User,
  UserEnvelopeSchema,
  type UserInput,
  UserInputSchema,
  type UserPage,
  UserPageEnvelopeSchema,
  type UserSummary,
} from './schemas.js';
import type { CallOptions, CpaasUsersApi } from './users-api.js';

/** The key itself, or a function that fetches it (e.g. from Secrets Manager) when a call needs it. */
export type ApiKeySource = string | (() => string | Promise<string>);

/** One HTTP attempt, as `onAttempt` and the logger see it: for metrics and tracing. */
export interface CpaasAttempt {
  readonly method: HttpMethod;
  /** Path without the query. */
  readonly path: string;
  /** 1 for the first attempt of a call. */
  readonly attempt: number;
  readonly durationMs: number;
  readonly status?: number;
  readonly requestId?: string;
  /** Class name of the error this attempt ended with. */
  readonly error?: string;
  /** Set when the client will try again after this many milliseconds. */
  readonly retryInMs?: number;
}

export interface CpaasClientOptions {
  /** e.g. `https://api.cpaaslabs.net`; a path prefix is kept. The API's paths start with `/v1`. */
  readonly baseUrl: string;
  /** 32 alphanumeric characters. */
  readonly accountId: string;
  readonly apiKey: ApiKeySource;
  /** Put before the key in `Authorization`; `''` sends the bare key. Default `Bearer`. */
  readonly authPrefix?: string;
  /** Allow `http://` (the local sandbox only): the key would otherwise cross the network in clear. */
  readonly allowInsecureHttp?: boolean;
  readonly timeouts?: Partial<HttpTimeouts>;
  readonly retry?: Partial<RetryPolicy>;
  /** Sockets kept open to the API at most (default 16). */
  readonly maxConnections?: number;
  readonly logger?: Logger;
  readonly onAttempt?: (attempt: CpaasAttempt) => void;
  /** A caller-owned undici dispatcher instead of the client's own pool; `close()` leaves it open. */
  readonly dispatcher?: Dispatcher;
}

interface ApiRequest<S extends z.ZodMiniType> {
  readonly method: HttpMethod;
  /** Below `/v1/account/{accountId}`. */
  readonly path: string;
  readonly query?: URLSearchParams;
  readonly body?: unknown;
  readonly responseSchema: S;
}

const HEADER_SAFE = /^[\x21-\x7e]+$/;
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Throws `CpaasRequestValidationError` naming every field that breaks the contract, so a bad
 * request is a clear error here instead of a vendor 400 (or a path built from a bad id).
 * Messages name fields and rules, never the values (which may be an email or a name).
 */
function validated<S extends z.ZodMiniType>(schema: S, value: unknown, what: string): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors = result.error.issues.map((issue) => ({
    path: [what, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
  const list = errors.map((error) => `${error.path}: ${error.message}`).join('; ');
  throw new CpaasRequestValidationError(`invalid CPaaS request, not sent: ${list}`, { errors });
}

function contractViolations(error: z.core.$ZodError): string {
  return fieldIssues(error)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
}

/**
 * Typed client for the White Label Communications CPaaS VoIP User API: validates every request
 * before it is sent, retries only what is safe to repeat, and keeps the API key out of every log
 * line and error. One instance per process: it holds the keep-alive pool.
 */
export class CpaasClient implements CpaasUsersApi {
  readonly accountId: string;
  readonly #apiKey: ApiKeySource;
  readonly #authPrefix: string;
  readonly #basePath: string;
  readonly #transport: HttpTransport;
  readonly #retry: RetryPolicy;
  readonly #logger: Logger | undefined;
  readonly #onAttempt: ((attempt: CpaasAttempt) => void) | undefined;

  constructor(options: CpaasClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new CpaasError('CpaasClient: baseUrl must be an absolute URL such as https://api.cpaaslabs.net');
    }
    const insecureAllowed = options.allowInsecureHttp === true && url.protocol === 'http:';
    if (url.protocol !== 'https:' && !insecureAllowed) {
      throw new CpaasError(
        `CpaasClient: baseUrl must use https:// (got ${url.protocol}//); pass allowInsecureHttp: true only for a local sandbox`,
      );
    }
    this.accountId = validated(CpaasIdSchema, options.accountId, 'accountId');
    this.#apiKey = options.apiKey;
    this.#authPrefix = options.authPrefix ?? 'Bearer';
    this.#basePath = `${url.pathname.replace(/\/+$/, '')}/v1/account/${this.accountId}`;
    this.#retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.#logger = options.logger;
    this.#onAttempt = options.onAttempt;
    this.#transport = new HttpTransport({
      origin: url.origin,
      timeouts: options.timeouts,
      maxConnections: options.maxConnections,
      dispatcher: options.dispatcher,
    });
  }

  async listUsers(params: ListUsersParams = {}, options: CallOptions = {}): Promise<UserPage> {
    const { startKey, pageSize } = validated(ListUsersParamsSchema, params, 'params');
    const query = new URLSearchParams();
    if (startKey !== undefined) query.set('start_key', startKey);
    if (pageSize !== undefined) query.set('page_size', String(pageSize));
    return this.#call(
      { method: 'GET', path: '/user', query, responseSchema: UserPageEnvelopeSchema },
      options,
    );
  }

  /** Every user, page after page (`iterateItems`: lazy, guarded against a listing that never ends). */
  iterateUsers(params: { pageSize?: number } = {}, options: CallOptions = {}): AsyncIterable<UserSummary> {
    const pageSize = params.pageSize ?? PAGE_SIZE_MAX;
    return iterateItems(
      (startKey) => this.listUsers({ pageSize, ...(startKey === undefined ? {} : { startKey }) }, options),
      { path: `${this.#basePath}/user` },
    );
  }

  /** Never retried: if the answer is lost, the user may exist; look it up before creating again. */
  async createUser(input: UserInput, options: CallOptions = {}): Promise<User> {
    const body = validated(UserInputSchema, input, 'user');
    const envelope = await this.#call(
      { method: 'POST', path: '/user', body, responseSchema: UserEnvelopeSchema },
      options,
    );
    return envelope.data;
  }

  async getUser(userId: string, options: CallOptions = {}): Promise<User> {
    const id = validated(CpaasIdSchema, userId, 'userId');
    const envelope = await this.#call(
      { method: 'GET', path: `/user/${id}`, responseSchema: UserEnvelopeSchema },
      options,
    );
    return envelope.data;
  }

  async updateUser(userId: string, input: UserInput, options: CallOptions = {}): Promise<User> {
    const id = validated(CpaasIdSchema, userId, 'userId');
    const body = validated(UserInputSchema, input, 'user');
    const envelope = await this.#call(
      { method: 'PUT', path: `/user/${id}`, body, responseSchema: UserEnvelopeSchema },
      options,
    );
    return envelope.data;
  }

  async deleteUser(userId: string, options: CallOptions = {}): Promise<User> {
    const id = validated(CpaasIdSchema, userId, 'userId');
    const envelope = await this.#call(
      { method: 'DELETE', path: `/user/${id}`, responseSchema: UserEnvelopeSchema },
      options,
    );
    return envelope.data;
  }

  async impersonateUser(
    userId: string,
    data?: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<{ authToken: string }> {
    const id = validated(CpaasIdSchema, userId, 'userId');
    const body = validated(
      ImpersonateRequestSchema,
      { action: 'impersonate_user', ...(data === undefined ? {} : { data }) },
      'body',
    );
    const envelope = await this.#call(
      { method: 'POST', path: `/user/${id}/userauth`, body, responseSchema: ImpersonateEnvelopeSchema },
      options,
    );
    return { authToken: envelope.data.auth_token };
  }

  /** Closes the keep-alive pool; in-flight calls finish first. */
  async close(): Promise<void> {
    await this.#transport.close();
  }

  async #authorization(): Promise<string> {
    const key = typeof this.#apiKey === 'function' ? await this.#apiKey() : this.#apiKey;
    if (typeof key !== 'string' || !HEADER_SAFE.test(key)) {
      throw new CpaasAuthError(
        'CPaaS API key is empty or has characters a header cannot carry (whitespace?)',
      );
    }
    return this.#authPrefix === '' ? key : `${this.#authPrefix} ${key}`;
  }

  async #call<S extends z.ZodMiniType>(request: ApiRequest<S>, options: CallOptions): Promise<z.output<S>> {
    const { method } = request;
    const path = `${this.#basePath}${request.path}`;
    const target = request.query?.size ? `${path}?${request.query}` : path;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    let attempt = 0;
    const scope = callScope(method, path, options, () => attempt);
    try {
      const authorization = await this.#authorization();
      const headers: Record<string, string> = {
        accept: 'application/json',
        authorization,
        'user-agent': 'cpaas-lifecycle',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      };
      for (;;) {
        attempt += 1;
        const started = performance.now();
        let answer: { status: number; json: unknown; requestId: string | undefined };
        try {
          scope.signal.throwIfAborted();
          const response = await this.#transport.send({
            method,
            path: target,
            headers,
            body,
            signal: scope.signal,
          });
          if (response.status < 200 || response.status > 299)
            throw errorFromResponse({ ...response, method, path });
          const json = parseJson(response.body);
          answer = { status: response.status, json, requestId: requestIdOf(json, response.headers) };
        } catch (error) {
          const retryInMs = retryDelay({
            error,
            method,
            attempt,
            policy: this.#retry,
            deadline: options.deadline,
          });
          const failure = error instanceof CpaasError ? error : undefined;
          this.#report({
            method,
            path,
            attempt,
            durationMs: performance.now() - started,
            status: failure?.status,
            requestId: failure?.requestId,
            error: (error as Error).name,
            retryInMs,
          });
          if (retryInMs === undefined) throw error;
          await sleep(retryInMs, undefined, { signal: scope.signal }).catch(() => {
            throw scope.signal.reason;
          });
          continue;
        }
        const { status, json, requestId } = answer;
        this.#report({ method, path, attempt, durationMs: performance.now() - started, status, requestId });
        const parsed = request.responseSchema.safeParse(json);
        if (!parsed.success) {
          throw new CpaasResponseError(
            `CPaaS API ${status} on ${method} ${path}: response does not match the contract (${contractViolations(parsed.error)})`,
            { status, method, path, requestId },
          );
        }
        return parsed.data;
      }
    } finally {
      scope.dispose();
    }
  }

  #report(attempt: CpaasAttempt): void {
    this.#onAttempt?.(attempt);
    if (!this.#logger) return;
    if (attempt.retryInMs !== undefined) this.#logger.warn('CPaaS API call failed, retrying', { ...attempt });
    else this.#logger.debug('CPaaS API call', { ...attempt });
  }
}

interface CallScope {
  /** Aborts with a `CpaasTimeoutError` at the deadline, or a `CpaasAbortError` when the caller aborts. */
  readonly signal: AbortSignal;
  dispose(): void;
}

/** Ties the caller's deadline and signal to one abort signal that every attempt and wait listens to. */
function callScope(method: string, path: string, options: CallOptions, attempts: () => number): CallScope {
  const controller = new AbortController();
  const expire = () =>
    controller.abort(
      new CpaasTimeoutError(
        `CPaaS API ${method} ${path} ran out of its deadline after ${attempts()} attempt(s)`,
        {
          method,
          path,
        },
      ),
    );
  const cancel = () =>
    controller.abort(
      new CpaasAbortError(`CPaaS API ${method} ${path} was aborted by the caller`, {
        method,
        path,
        cause: options.signal?.reason,
      }),
    );
  let timer: NodeJS.Timeout | undefined;
  if (options.signal?.aborted) cancel();
  else options.signal?.addEventListener('abort', cancel, { once: true });
  if (options.deadline !== undefined && !controller.signal.aborted) {
    const remaining = options.deadline - Date.now();
    if (remaining <= 0) expire();
    // setTimeout fires at once past 2^31-1 ms; such a deadline is no bound worth a timer.
    else if (remaining <= MAX_TIMER_MS) timer = setTimeout(expire, remaining);
  }
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', cancel);
    },
  };
}
