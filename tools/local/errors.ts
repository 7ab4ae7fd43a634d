import { LifecycleError } from '../../lambdas/contract/errors.js';

/**
 * Failures of the local stand-ins for AWS: moto_server and the emulated SQS event source. None is
 * permanent: a batch that failed the way Lambda would fail it is redelivered, and a moto_server
 * that did not come up starts once it is installed.
 */
export abstract class LocalModeError extends LifecycleError {
  readonly permanent = false;
}

/** Raised when moto_server cannot be found or does not come up; says how to install it. */
export class MotoServerUnavailableError extends LocalModeError {
  override readonly name = 'MotoServerUnavailableError';
}

/** The handler ran past the function timeout: Lambda would have killed it, so the batch failed. */
export class HandlerTimeoutError extends LocalModeError {
  override readonly name = 'HandlerTimeoutError';
}

/** The handler reported an item identifier that is not in the batch: Lambda fails the whole batch. */
export class InvalidBatchResponseError extends LocalModeError {
  override readonly name = 'InvalidBatchResponseError';
}

/** A process local mode supervises (moto_server) exited while local mode was running. */
export class DependencyExitedError extends LocalModeError {
  override readonly name = 'DependencyExitedError';
}

/**
 * An option local mode cannot run with (`tenants` out of 1..100, tenants without a way to open
 * their CPaaS accounts): the caller's mistake, the same however often it is tried.
 */
export class InvalidLocalOptionError extends LifecycleError {
  override readonly name = 'InvalidLocalOptionError';
  readonly permanent = true;
}
