/**
 * Errors the worker itself raises. Each says whether repeating the work later may help, so the
 * failure classifier does not have to guess from a message.
 */

/** Create said the email is taken, yet no user with that email could be found to adopt. Retried. */
export class AdoptionError extends Error {
  override readonly name = 'AdoptionError';
}

/** A queue message whose `dataschema` (event version) this worker does not know. Never retried. */
export class UnsupportedEventVersionError extends Error {
  override readonly name = 'UnsupportedEventVersionError';
}

/** The worker's configuration (environment) is missing or wrong; raised on the first invocation. */
export class WorkerConfigurationError extends Error {
  override readonly name = 'WorkerConfigurationError';
}
