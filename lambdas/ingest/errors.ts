import { LifecycleError } from '../contract/errors.js';

/**
 * Typed failures of the ingest path. Each maps to exactly one HTTP status in the handler, so a
 * source adapter says *what* went wrong and never has to know about HTTP. `permanent` says whether
 * the sender resending the same request could ever succeed: a 401 never, a 503 once the cause is
 * fixed.
 */
export abstract class IngestError extends LifecycleError {}

/**
 * Why a signature did not verify, as the 401 tells the sender: enough to tell clock skew from a
 * wrong secret, nothing about the secret or the expected signature.
 */
export const VERIFICATION_FAILURES = {
  missingHeader: 'missing signature header',
  malformedHeader: 'malformed signature header',
  timestampOutsideTolerance: 'timestamp outside tolerance',
  noValidSignature: 'no valid signature',
} as const;
export type VerificationFailure = (typeof VERIFICATION_FAILURES)[keyof typeof VERIFICATION_FAILURES];

/** The request is not provably from the source: missing/bad signature or stale timestamp (401). */
export class WebhookVerificationError extends IngestError {
  override readonly name = 'WebhookVerificationError';
  readonly permanent = true;
  constructor(
    readonly failure: VerificationFailure,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The deployment has no signing secret for this source, so nothing from it can ever verify (404):
 * a sender told "retry later" would retry forever. Logged as "not configured" for the operator.
 */
export class SourceNotConfiguredError extends IngestError {
  override readonly name = 'SourceNotConfiguredError';
  readonly permanent = true;
}

/**
 * Signing secrets could not be loaded (503): the sender should retry once an operator has fixed
 * the secret, rather than have its events rejected for good.
 */
export class WebhookSecretsUnavailableError extends IngestError {
  override readonly name = 'WebhookSecretsUnavailableError';
  readonly permanent = false;
}

/**
 * A provider's set-up handshake could not be stored for the operator (503): the provider, or the
 * operator asking it to send the token again, retries; nothing was half-done.
 */
export class HandshakeNotStoredError extends IngestError {
  override readonly name = 'HandshakeNotStoredError';
  readonly permanent = false;
}
