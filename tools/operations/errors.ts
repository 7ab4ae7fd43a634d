import { LifecycleError } from '../../lambdas/contract/errors.js';

/**
 * An operator's request that cannot be carried out as given (an unknown id, a bad roster, a
 * threshold it would cross). Permanent: running the same command unchanged fails the same way,
 * so the CLI reports it as a usage error instead of suggesting a retry.
 */
export abstract class OperationError extends LifecycleError {
  readonly permanent = true;
}

/** A requested id matches no hold (already released or discarded, or mistyped). */
export class UnknownHoldError extends OperationError {
  override readonly name = 'UnknownHoldError';
}

/** An event id held for more than one employee; the operator names it `employeeKey/eventId`. */
export class AmbiguousHoldIdError extends OperationError {
  override readonly name = 'AmbiguousHoldIdError';
}

/** A roster that cannot be used; `problems` name rows and fields, never their values. */
export class InvalidRosterError extends OperationError {
  override readonly name = 'InvalidRosterError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid roster: ${problems.slice(0, 10).join('; ')}${problems.length > 10 ? '; ...' : ''}`);
  }
}

/** Too many deprovisions for one run: HRIS export glitches look exactly like mass terminations. */
export class DeletionThresholdError extends OperationError {
  override readonly name = 'DeletionThresholdError';
}

/** The DLQ has no single source queue to send messages back to; the operator must name one. */
export class SourceQueueUnknownError extends OperationError {
  override readonly name = 'SourceQueueUnknownError';
}

/**
 * A preview tried to change the CPaaS account or the state table. Converge's dry run never
 * should; the read-only ports refuse it anyway, so a bug there shows up as this error instead of
 * a changed user.
 */
export class PreviewWriteError extends OperationError {
  override readonly name = 'PreviewWriteError';
  constructor(readonly operation: string) {
    super(`a preview changes nothing, but the worker logic attempted ${operation}; nothing was sent`);
  }
}
