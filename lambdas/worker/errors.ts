import { LifecycleError } from '../contract/errors.js';

/** A queue message whose `dataschema` (event version) this worker does not know. Never retried. */
export class UnsupportedEventVersionError extends LifecycleError {
  override readonly name = 'UnsupportedEventVersionError';
  readonly permanent = true;
}
