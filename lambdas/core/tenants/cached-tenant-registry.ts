import type { Tenant } from './tenant.js';
import type { TenantRegistry } from './tenant-registry.js';

export interface CachedTenantRegistryOptions {
  /** How long a tenant read is reused: a `tenants update` reaches a warm function within this. */
  readonly maxAgeSeconds: number;
  readonly now?: () => number;
}

interface Entry {
  readonly tenant: Promise<Tenant | undefined>;
  readonly at: number;
}

/**
 * The registry as a warm function reads it: one GetItem per tenant per `maxAgeSeconds`, shared by
 * concurrent first calls. Only tenants found are kept: an unknown id is read again next time, so a
 * tenant just added is served at once, and ids probed from outside cannot fill the memory.
 */
export function cachedTenantRegistry(
  registry: TenantRegistry,
  options: CachedTenantRegistryOptions,
): TenantRegistry {
  const now = options.now ?? Date.now;
  const maxAgeMs = options.maxAgeSeconds * 1000;
  const entries = new Map<string, Entry>();

  function cached(key: string, read: () => Promise<Tenant | undefined>): Promise<Tenant | undefined> {
    const time = now();
    const entry = entries.get(key);
    if (entry !== undefined && time - entry.at < maxAgeMs) return entry.tenant;
    const tenant = read();
    const fresh = { tenant, at: time };
    entries.set(key, fresh);
    const forget = () => {
      if (entries.get(key) === fresh) entries.delete(key);
    };
    tenant.then((found) => found ?? forget(), forget);
    return tenant;
  }

  return {
    get: (tenantId) => cached(`id\n${tenantId}`, () => registry.get(tenantId)),
    findByAccountId: (source, accountId) =>
      cached(`account\n${source}\n${accountId}`, () => registry.findByAccountId(source, accountId)),
  };
}
