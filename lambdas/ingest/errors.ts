/**
 * Typed failures of the ingest path. Each maps to exactly one HTTP status in the handler, so a
 * source adapter says *what* went wrong and never has to know about HTTP.
 */

/** The request is not provably from the source: missing/bad signature or stale timestamp (401). */
export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

/**
 * Signing secrets could not be loaded or are not configured for a source (503): the sender should
 * retry once an operator has fixed the secret, rather than have its events rejected for good.
 */
export class WebhookSecretsUnavailableError extends Error {
  override readonly name = 'WebhookSecretsUnavailableError';
}

/** SQS did not take every event of a request (503): the sender retries, so nothing is dropped. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
}
