import { randomUUID } from 'node:crypto';
import type { DeprovisioningSettings } from '../../lambdas/contract/environment.js';
import { DEFAULTS } from '../../lambdas/contract/settings.js';
import {
  type CreateLifecycleEventInput,
  createLifecycleEvent,
  type LifecycleEvent,
} from '../../lambdas/core/events/lifecycle-event.js';
import type { Tenant } from '../../lambdas/core/tenants/tenant.js';
import {
  addTenant,
  type TenantAdminPorts as TenantAdministrationPorts,
} from '../../tools/operations/tenants.js';

/** A registered tenant with its own sandbox account and its own API key secret. */
export interface TestTenant {
  readonly tenant: Tenant;
  readonly accountId: string;
  readonly apiKey: string;
}

/** A tenant id no other test uses (lower-case, as `TENANT_ID_PATTERN` wants). */
export function uniqueTenantId(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export const DEFAULT_DEPROVISIONING: DeprovisioningSettings = {
  policy: 'delete',
  deleteGraceDays: DEFAULTS.deleteGraceDays,
  brake: { ...DEFAULTS.deletionBrake },
};

/** Where a test tenant's pieces go: a new sandbox account (in process or over HTTP), then `tenants add`'s ports. */
export interface TenantOnboarding {
  addAccount(): { accountId: string; apiKey: string } | Promise<{ accountId: string; apiKey: string }>;
  readonly tenants: TenantAdministrationPorts;
}

/** A sandbox in another process (the local mode's): its accounts are added through its HTTP control. */
export function accountsOverHttp(sandboxUrl: string): TenantOnboarding['addAccount'] {
  return async () => {
    const response = await fetch(`${sandboxUrl}/_sandbox/accounts`, { method: 'POST', body: '{}' });
    return (await response.json()) as { accountId: string; apiKey: string };
  };
}

/**
 * Onboards a tenant with `tenants add`'s own operation (its secrets by name, then its registry
 * item), on an account of its own in the sandbox.
 */
export async function addTestTenant(
  env: TenantOnboarding,
  id: string,
  deprovisioning: Partial<DeprovisioningSettings> = {},
): Promise<TestTenant> {
  const { accountId, apiKey } = await env.addAccount();
  const { tenant } = await addTenant(
    env.tenants,
    {
      id,
      cpaasAccountId: accountId,
      sources: ['standard'],
      accountIds: [],
      deprovisioning: { ...DEFAULT_DEPROVISIONING, ...deprovisioning },
    },
    apiKey,
  );
  return { tenant, accountId, apiKey };
}

let clock = Date.parse('2027-03-01T00:00:00Z');

/** A canonical event of one tenant, each later than the one before. */
export function tenantEvent(
  tenant: string,
  type: CreateLifecycleEventInput['type'],
  data: CreateLifecycleEventInput['data'],
): LifecycleEvent {
  clock += 60_000;
  return createLifecycleEvent({
    type,
    data,
    source: 'test',
    tenant,
    time: new Date(clock).toISOString(),
  } as CreateLifecycleEventInput);
}
