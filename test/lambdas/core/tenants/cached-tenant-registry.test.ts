import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../../lambdas/contract/settings.js';
import { cachedTenantRegistry } from '../../../../lambdas/core/tenants/cached-tenant-registry.js';
import type { Tenant } from '../../../../lambdas/core/tenants/tenant.js';
import type { TenantRegistry } from '../../../../lambdas/core/tenants/tenant-registry.js';

const tenant = (id: string): Tenant => ({
  id,
  cpaasAccountId: `acct-${id}`,
  sources: ['standard'],
  accountIds: [],
  deprovisioning: { policy: 'delete', deleteGraceDays: 30, brake: { ...DEFAULTS.deletionBrake } },
  version: 1,
  createdAt: '2026-12-01T00:00:00.000Z',
  updatedAt: '2026-12-01T00:00:00.000Z',
});

/** A registry that counts its reads, holding what `known` holds at the time of each read. */
function countingRegistry(known: Map<string, Tenant>) {
  const reads: string[] = [];
  const registry: TenantRegistry = {
    async get(id) {
      reads.push(id);
      return known.get(id);
    },
    async findByAccountId(source, accountId) {
      reads.push(`${source}:${accountId}`);
      return known.get(accountId);
    },
  };
  return { registry, reads };
}

describe('cachedTenantRegistry', () => {
  it('reads a tenant once per period, however many calls arrive together or after', async () => {
    let clock = 0;
    const { registry, reads } = countingRegistry(new Map([['acme', tenant('acme')]]));
    const cached = cachedTenantRegistry(registry, { maxAgeSeconds: 300, now: () => clock });
    await Promise.all([cached.get('acme'), cached.get('acme'), cached.get('acme')]);
    clock = 299_999;
    expect((await cached.get('acme'))?.id).toBe('acme');
    expect(reads).toEqual(['acme']);
    clock = 300_000;
    await cached.get('acme');
    expect(reads).toEqual(['acme', 'acme']);
  });

  it('keeps no negative answer: a tenant added a moment later is served on the next call', async () => {
    const known = new Map<string, Tenant>();
    const { registry, reads } = countingRegistry(known);
    const cached = cachedTenantRegistry(registry, { maxAgeSeconds: 300, now: () => 0 });
    expect(await cached.get('acme')).toBeUndefined();
    known.set('acme', tenant('acme'));
    expect((await cached.get('acme'))?.id).toBe('acme');
    expect(reads).toEqual(['acme', 'acme']);
  });

  it('caches account-id lookups apart from ids, and does not cache a failed read', async () => {
    let fail = true;
    const registry: TenantRegistry = {
      get: async () => undefined,
      async findByAccountId() {
        if (fail) throw new Error('throttled');
        return tenant('acme');
      },
    };
    const cached = cachedTenantRegistry(registry, { maxAgeSeconds: 300, now: () => 0 });
    await expect(cached.findByAccountId('merge', 'la_1')).rejects.toThrow('throttled');
    fail = false;
    expect((await cached.findByAccountId('merge', 'la_1'))?.id).toBe('acme');
    expect(await cached.get('la_1')).toBeUndefined();
  });
});
