import { TENANT_ID_PATTERN, TENANT_ROUTE_SEGMENT } from '../../contract/tenants.js';
import { TenantError, TenantNotFoundError, TenantRegistryUnavailableError } from './errors.js';
import type { Tenant } from './tenant.js';
import type { TenantRegistry } from './tenant-registry.js';

/** A registry read whose failure is `TenantRegistryUnavailableError` (retry), never taken for "no such tenant". */
async function registryRead<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof TenantError) throw error;
    throw new TenantRegistryUnavailableError(`tenant registry cannot be read: ${(error as Error).name}`);
  }
}

/**
 * The registered tenant a request's route names (`/t/{tenant}/...`), for the functions that answer
 * requests from outside (ingest, SCIM). A segment that cannot be a tenant id is refused without a
 * read and without being echoed; an unknown id is `TenantNotFoundError` before any of its secrets
 * is read, so ids probed from outside cost one registry read and leave nothing cached.
 */
export async function routedTenant(registry: TenantRegistry, segment: string): Promise<Tenant> {
  if (!TENANT_ID_PATTERN.test(segment)) throw new TenantNotFoundError('the path does not name a tenant id');
  const tenant = await registryRead(() => registry.get(segment));
  if (tenant === undefined) throw new TenantNotFoundError(`no tenant ${segment} is registered`);
  return tenant;
}

/**
 * The tenant a provider's own account id is mapped to, for a provider that posts every account to
 * one shared URL (Merge's `linked_account.id`); undefined when it is mapped to none.
 */
export function tenantOfAccount(
  registry: TenantRegistry,
  source: string,
  accountId: string,
): Promise<Tenant | undefined> {
  return registryRead(() => registry.findByAccountId(source, accountId));
}

/**
 * The tenant the path segments before a function's own routes name: none (the default tenant), or
 * the `{tenant}` of a trailing `t/{tenant}`. Other segments before them (an API stage) are
 * allowed, but not a `t` segment anywhere else: a mistyped tenant URL is then refused (undefined)
 * rather than served as the default tenant.
 */
export function tenantOfPrefix(segments: readonly string[]): { readonly tenant?: string } | undefined {
  const named = segments.length >= 2 && segments[segments.length - 2] === TENANT_ROUTE_SEGMENT;
  const rest = named ? segments.slice(0, -2) : segments;
  if (rest.includes(TENANT_ROUTE_SEGMENT)) return undefined;
  const tenant = named ? segments[segments.length - 1] : undefined;
  return tenant === undefined ? {} : { tenant };
}
