import { LifecycleError } from '../contract/errors.js';

/**
 * Typed failures of the SCIM service provider. Each carries the HTTP status and, where RFC 7644
 * (section 3.12) defines one, the `scimType` the identity provider reads, so the code that finds
 * the problem says what it is and one place turns it into the SCIM Error response. `permanent`
 * says whether the identity provider resending the same request could ever succeed.
 */
export abstract class ScimError extends LifecycleError {
  abstract readonly status: number;
  readonly scimType?: ScimType;
}

/** The `scimType` values of RFC 7644 table 9 this service provider answers with. */
export type ScimType =
  | 'invalidFilter'
  | 'invalidSyntax'
  | 'invalidValue'
  | 'invalidPath'
  | 'noTarget'
  | 'mutability'
  | 'uniqueness'
  | 'tooMany';

/** The request is wrong as sent (400): a filter, a body, a value, a PATCH path. */
export class ScimBadRequestError extends ScimError {
  override readonly name = 'ScimBadRequestError';
  readonly status = 400;
  readonly permanent = true;
  constructor(
    override readonly scimType: ScimType,
    message: string,
  ) {
    super(message);
  }
}

/** Another user of the tenant already has this `userName` (409, `uniqueness`). */
export class ScimUniquenessError extends ScimError {
  override readonly name = 'ScimUniquenessError';
  readonly status = 409;
  readonly permanent = true;
  override readonly scimType = 'uniqueness' as const;
}

/** No such user, route or resource type (404). */
export class ScimNotFoundError extends ScimError {
  override readonly name = 'ScimNotFoundError';
  readonly status = 404;
  readonly permanent = true;
}

/** The route exists, the method does not (405); `allow` lists the methods that do. */
export class ScimMethodNotAllowedError extends ScimError {
  override readonly name = 'ScimMethodNotAllowedError';
  readonly status = 405;
  readonly permanent = true;
  constructor(readonly allow: readonly string[]) {
    super(`method not allowed; allowed: ${allow.join(', ')}`);
  }
}

/** No bearer token, or not one of the current ones (401). Never says which token was sent. */
export class ScimUnauthorizedError extends ScimError {
  override readonly name = 'ScimUnauthorizedError';
  readonly status = 401;
  readonly permanent = true;
}

/** `If-Match` names a version the user no longer has (412): the client read it before a change. */
export class ScimPreconditionFailedError extends ScimError {
  override readonly name = 'ScimPreconditionFailedError';
  readonly status = 412;
  readonly permanent = true;
}

/** The body is larger than this service provider reads (413), refused before any work. */
export class ScimPayloadTooLargeError extends ScimError {
  override readonly name = 'ScimPayloadTooLargeError';
  readonly status = 413;
  readonly permanent = true;
}

/** The body is not JSON at all (415): neither `application/scim+json` nor `application/json`. */
export class ScimUnsupportedMediaTypeError extends ScimError {
  override readonly name = 'ScimUnsupportedMediaTypeError';
  readonly status = 415;
  readonly permanent = true;
}

/**
 * A dependency failed (503): the tokens could not be read, the queue did not take an event, or a
 * user stayed contended. The identity provider retries, and the retry finishes what was stored.
 */
export class ScimUnavailableError extends ScimError {
  override readonly name = 'ScimUnavailableError';
  readonly status = 503;
  readonly permanent = false;
}

/**
 * The user changed between this request's read and its write (a conditional write failed). The
 * operation reads again and retries; only an `If-Match` request turns it into a 412.
 */
export class ScimVersionConflictError extends ScimError {
  override readonly name = 'ScimVersionConflictError';
  readonly status = 412;
  readonly permanent = false;
}
