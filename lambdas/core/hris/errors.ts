import { ConfigurationError, LifecycleError } from '../../contract/errors.js';

/**
 * The HR system's API failed to answer for a person. `retryable` (429, 5xx, timeouts, network):
 * the fetcher repeats the call within the invocation, and once it gives up the message is
 * redelivered by SQS (not permanent: an HR API outage delays events, never loses them).
 */
export class HrApiError extends LifecycleError {
  override readonly name: string = 'HrApiError';
  readonly permanent: boolean = false;
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/**
 * The HR API says the employee does not exist (404) for an event that is not a deletion.
 * Permanent, so the event goes to the DLQ with this reason: never guessed into a termination,
 * which would remove a working person's phone because of an id the API does not know.
 */
export class HrEmployeeNotFoundError extends HrApiError {
  override readonly name = 'HrEmployeeNotFoundError';
  override readonly permanent = true;
}

/** An event names a source this worker has no fetcher for: a deployment fault, redelivered until fixed. */
export class MissingFetcherError extends ConfigurationError {
  override readonly name = 'MissingFetcherError';
}
