/**
 * The root of every error the project raises on purpose. Each area (config, cpaas, ingest, state,
 * converge) has one base class under it that callers can catch; subclasses add only what differs.
 * `permanent` is what the worker's failure decision reads: true when the same message would fail
 * the same way however often it is retried, so it goes to the DLQ at once instead of being retried.
 */
export abstract class LifecycleError extends Error {
  abstract readonly permanent: boolean;
}

/**
 * A setting (an environment variable, a context key) is missing or malformed. Raised where it is
 * read, naming the setting, so a bad deployment fails on its first call with the reason. Not
 * permanent: the message is fine, the deployment is not, and it succeeds once the setting is fixed.
 */
export class ConfigurationError extends LifecycleError {
  override readonly name: string = 'ConfigurationError';
  readonly permanent = false;
}
