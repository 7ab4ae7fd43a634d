import { LifecycleError } from '../../contract/errors.js';

/**
 * Failures of the state stores (links, schedules, holds, the deletion brake) that are not the
 * AWS SDK's own: those reach the worker as they are and are transient like any unknown error.
 */
export abstract class StateError extends LifecycleError {}

/**
 * The brake's window stayed contended through every attempt: the worker lets the message fail
 * (transient) so SQS redelivers it, rather than execute a termination nobody counted.
 */
export class DeletionBrakeContentionError extends StateError {
  override readonly name = 'DeletionBrakeContentionError';
  readonly permanent = false;
}

/**
 * Another delivery (the other lane's worker, or a redelivery of the same group) held the
 * employee's lease until this invocation ran out of time: the message fails as transient and SQS
 * redelivers it, so the two are applied one after the other, never at once.
 */
export class EmployeeBusyError extends StateError {
  override readonly name = 'EmployeeBusyError';
  readonly permanent = false;
}
