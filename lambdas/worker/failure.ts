import { UnsupportedEventVersionError, UserLinkedElsewhereError } from '../core/converge/errors.js';
import { CpaasRequestValidationError, CpaasValidationError } from '../core/cpaas/errors.js';
import { redactEmails } from '../core/cpaas/response-errors.js';
import { InvalidLifecycleEventError } from '../core/events/lifecycle-event.js';

/**
 * `permanent`: the same message will fail the same way however often it is retried (bad event,
 * the API rejects the body), so it goes to the DLQ at once. `transient`: it may succeed later
 * (throttling, 5xx, network, a key being rotated), so SQS redelivers it.
 */
export type FailureKind = 'permanent' | 'transient';

export interface ClassifiedFailure {
  readonly kind: FailureKind;
  readonly errorClass: string;
  /** Safe to log and to put in a DLQ attribute: emails redacted, bounded length. */
  readonly message: string;
}

const PERMANENT_ERRORS = [
  InvalidLifecycleEventError,
  UnsupportedEventVersionError,
  UserLinkedElsewhereError,
  CpaasValidationError,
  CpaasRequestValidationError,
] as const;

const MAX_MESSAGE_LENGTH = 1000;

/**
 * Decides whether a failed message is worth retrying. Anything not known to be permanent is
 * transient: a wrongly retried message still reaches the DLQ with its reason on its last attempt,
 * while a wrongly dead-lettered one would need an operator. So 429, 5xx, timeouts, network errors,
 * AWS throttling and AWS server faults are all transient without a list of their names to keep. A `CpaasAuthError` reaching here has
 * already survived one key refresh, so it is a rotation still in progress: transient.
 */
export function classifyFailure(error: unknown): ClassifiedFailure {
  const errorClass = error instanceof Error ? error.name : typeof error;
  const raw = error instanceof Error ? error.message : String(error);
  const message = redactEmails(raw).slice(0, MAX_MESSAGE_LENGTH);
  const permanent = PERMANENT_ERRORS.some((type) => error instanceof type);
  return { kind: permanent ? 'permanent' : 'transient', errorClass, message };
}
