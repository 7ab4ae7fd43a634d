/** The CPaaS VoIP User API client and everything a caller needs to use it and handle its errors. */
export { type ApiKeySource, type CpaasAttempt, CpaasClient, type CpaasClientOptions } from './client.js';
export * from './errors.js';
export { DEFAULT_TIMEOUTS, type HttpTimeouts } from './http-transport.js';
export {
  type CursorPage,
  DEFAULT_MAX_PAGES,
  iterateItems,
  iteratePages,
  type PageFetcher,
  type PaginationOptions,
} from './pagination.js';
export { redactEmails } from './response-errors.js';
export { DEFAULT_RETRY_POLICY, parseRetryAfter, type RetryPolicy } from './retry.js';
export * from './schemas.js';
export { mergeUserFields, mergeUserUpdate } from './user-merge.js';
export type { CallOptions, CpaasUsersApi } from './users-api.js';
