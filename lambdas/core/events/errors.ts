import { LifecycleError } from '../../contract/errors.js';

/**
 * The lifecycle queue did not take every event of a call. Not permanent: a producer answers its
 * caller "retry" (the ingest and SCIM a 503) and the retry's deduplication ids keep the entries
 * that did get in from doubling, so nothing is lost or applied twice.
 */
export class QueueUnavailableError extends LifecycleError {
  override readonly name = 'QueueUnavailableError';
  readonly permanent = false;
}
