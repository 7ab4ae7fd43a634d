import type { ListUsersParams, User, UserInput, UserPage, UserSummary } from './schemas.js';

/** Per-call options: a caller (a Lambda) passes its own deadline so no call outlives the invocation. */
export interface CallOptions {
  /** Absolute deadline (epoch milliseconds) for the whole call, retries and backoff included. */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

/**
 * The VoIP User API as the rest of the project sees it: the port the worker's converge logic,
 * the CLI and reconcile depend on. `CpaasClient` implements it over HTTP.
 */
export interface CpaasUsersApi {
  /** One page of users (pageSize 1..50); `next_start_key` is absent on the last page. */
  listUsers(params?: ListUsersParams, options?: CallOptions): Promise<UserPage>;
  /** Every user of the account, page after page, fetched lazily. */
  iterateUsers(params?: { pageSize?: number }, options?: CallOptions): AsyncIterable<UserSummary>;
  /** POST: never retried by the client, because a retried create can make a second user. */
  createUser(input: UserInput, options?: CallOptions): Promise<User>;
  getUser(userId: string, options?: CallOptions): Promise<User>;
  /** PUT replaces the whole user document: send everything that must survive. */
  updateUser(userId: string, input: UserInput, options?: CallOptions): Promise<User>;
  deleteUser(userId: string, options?: CallOptions): Promise<User>;
  /** The `userauth` endpoint with action `impersonate_user`: a token for presence calls. */
  impersonateUser(
    userId: string,
    data?: Record<string, unknown>,
    options?: CallOptions,
  ): Promise<{ authToken: string }>;
  /**
   * Starts loading what the next call will wait for (the API key, when none fresh is cached) and
   * returns at once; never fails, since the call itself reports what went wrong. Called as an
   * event starts, so a cold or expired key loads beside the round trips before the first call.
   */
  preload?(): void;
}
