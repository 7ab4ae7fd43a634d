import { LifecycleError } from '../../contract/errors.js';

/** Failures of the tenant registry that callers tell apart (the CLI names them; ingest answers 404). */
export abstract class TenantError extends LifecycleError {}

/** No tenant with this id is registered: a webhook for it is refused, never queued. */
export class TenantNotFoundError extends TenantError {
  override readonly name = 'TenantNotFoundError';
  readonly permanent = true;
}

/** `tenants add` for an id already registered: adding never overwrites a tenant's settings. */
export class TenantExistsError extends TenantError {
  override readonly name = 'TenantExistsError';
  readonly permanent = true;
}

/**
 * The tenant changed between read and write (another operator's `tenants update`): the change is
 * refused rather than silently undoing theirs; read again and retry.
 */
export class TenantVersionConflictError extends TenantError {
  override readonly name = 'TenantVersionConflictError';
  readonly permanent = false;
}

/**
 * A provider account id (Merge `linked_account.id`, an HR system's company id) is already mapped
 * to another tenant: one account's webhooks must reach exactly one tenant.
 */
export class TenantAccountIdClaimedError extends TenantError {
  override readonly name = 'TenantAccountIdClaimedError';
  readonly permanent = true;
}

/** The settings given for a tenant (or a stored tenant item) break the tenant schema; names the fields. */
export class InvalidTenantError extends TenantError {
  override readonly name = 'InvalidTenantError';
  readonly permanent = true;
}

/**
 * The registry could not be read (the table throttled or unreachable): a request naming a tenant
 * is answered 503, so the sender retries instead of taking a 404 as final.
 */
export class TenantRegistryUnavailableError extends TenantError {
  override readonly name = 'TenantRegistryUnavailableError';
  readonly permanent = false;
}
