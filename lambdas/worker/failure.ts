import { LifecycleError } from '../contract/errors.js';
import { redactEmails } from '../core/cpaas/response-errors.js';

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

const MAX_MESSAGE_LENGTH = 1000;

/**
 * Decides whether a failed message is worth retrying. The error says so itself: a
 * `LifecycleError` carries `permanent`, so a new error class is classified where it is defined,
 * with no list to keep here. Anything else is transient: a wrongly retried message still reaches
 * the DLQ with its reason on its last attempt, while a wrongly dead-lettered one would need an
 * operator. So AWS throttling and AWS server faults are transient without a list of their names
 * to keep. A `CpaasAuthError` reaching here has already survived one key refresh, so it is a
 * rotation still in progress: transient.
 */
export function classifyFailure(error: unknown): ClassifiedFailure {
  const errorClass = error instanceof Error ? error.name : typeof error;
  const raw = error instanceof Error ? error.message : String(error);
  const message = redactEmails(raw).slice(0, MAX_MESSAGE_LENGTH);
  const permanent = error instanceof LifecycleError && error.permanent;
  return { kind: permanent ? 'permanent' : 'transient', errorClass, message };
}
