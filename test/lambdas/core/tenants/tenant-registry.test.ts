import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../../lambdas/contract/settings.js';
import {
  InvalidTenantError,
  TenantAccountIdClaimedError,
  TenantExistsError,
  TenantNotFoundError,
  TenantVersionConflictError,
} from '../../../../lambdas/core/tenants/errors.js';
import type { TenantSettings } from '../../../../lambdas/core/tenants/tenant.js';
import { DynamoTenantRegistry } from '../../../../lambdas/core/tenants/tenant-registry.js';
import { motoClientConfig } from '../../../support/aws.js';
import { createStateTable } from '../../../support/holds-fixture.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
afterAll(() => dynamodb.destroy());

async function freshRegistry(): Promise<DynamoTenantRegistry> {
  return new DynamoTenantRegistry({ client: dynamodb, tableName: await createStateTable(dynamodb) });
}

function settings(id: string, overrides: Partial<TenantSettings> = {}): TenantSettings {
  return {
    id,
    cpaasAccountId: `acct-${id}`,
    sources: ['standard', 'merge'],
    accountIds: [],
    deprovisioning: {
      policy: 'disable',
      deleteGraceDays: 30,
      brake: { ...DEFAULTS.deletionBrake },
    },
    ...overrides,
  };
}

async function listed(registry: DynamoTenantRegistry): Promise<string[]> {
  const ids: string[] = [];
  for await (const tenant of registry.list()) ids.push(tenant.id);
  return ids.sort();
}

describe('DynamoTenantRegistry (moto)', () => {
  it('adds tenants that read back whole, and lists them', async () => {
    const registry = await freshRegistry();
    const added = await registry.add(settings('acme'));
    await registry.add(settings('globex'));
    expect(added).toMatchObject({ ...settings('acme'), version: 1 });
    expect(await registry.get('acme')).toEqual(added);
    expect(await registry.get('initech')).toBeUndefined();
    expect(await listed(registry)).toEqual(['acme', 'globex']);
  });

  it('never overwrites a tenant on a second add', async () => {
    const registry = await freshRegistry();
    await registry.add(settings('acme'));
    await expect(registry.add(settings('acme', { cpaasAccountId: 'other' }))).rejects.toThrow(
      TenantExistsError,
    );
    expect((await registry.get('acme'))?.cpaasAccountId).toBe('acct-acme');
  });

  it('refuses bad settings naming each field, and the reserved default tenant', async () => {
    const registry = await freshRegistry();
    const bad = settings('Acme Corp', { cpaasAccountId: '' });
    await expect(registry.add(bad)).rejects.toThrow(/id: .*cpaasAccountId: /);
    await expect(registry.add(settings('default'))).rejects.toThrow(InvalidTenantError);
    // An account id routes the shared URL's webhooks of its source: only for a source the tenant uses.
    const stray = settings('acme', {
      sources: ['standard'],
      accountIds: [{ source: 'merge', accountId: 'la_1' }],
    });
    await expect(registry.add(stray)).rejects.toThrow(
      "accountIds.0.source: source merge is not one of the tenant's sources",
    );
    // An HR API only for a source the tenant uses, and never over plain http to another machine.
    const api = { apiBaseUrl: 'https://api.bamboohr.com/api/gateway.php/acme' };
    await expect(registry.add(settings('acme', { hrApis: { bamboohr: api } }))).rejects.toThrow(
      "hrApis.bamboohr: source bamboohr is not one of the tenant's sources",
    );
    const plain = { apiBaseUrl: 'http://api.bamboohr.com/api/gateway.php/acme' };
    await expect(
      registry.add(settings('acme', { sources: ['bamboohr'], hrApis: { bamboohr: plain } })),
    ).rejects.toThrow('hrApis.bamboohr.apiBaseUrl: must be an https:// URL (http only to this machine)');
    expect(await listed(registry)).toEqual([]);
    const local = { apiBaseUrl: 'http://127.0.0.1:4000/api/gateway.php/acme' };
    await registry.add(settings('acme', { sources: ['bamboohr'], hrApis: { bamboohr: local } }));
    expect((await registry.get('acme'))?.hrApis).toEqual({ bamboohr: local });
  });

  it('maps a provider account id to exactly one tenant', async () => {
    const registry = await freshRegistry();
    const linked = [{ source: 'merge', accountId: 'la_123' }];
    await registry.add(settings('acme', { accountIds: linked }));
    expect((await registry.findByAccountId('merge', 'la_123'))?.id).toBe('acme');
    expect(await registry.findByAccountId('merge', 'la_999')).toBeUndefined();
    await expect(registry.add(settings('globex', { accountIds: linked }))).rejects.toThrow(
      TenantAccountIdClaimedError,
    );
    // The refused add wrote nothing: the transaction is all or nothing.
    expect(await registry.get('globex')).toBeUndefined();
  });

  it('updates with optimistic locking and moves account mappings with the tenant', async () => {
    const registry = await freshRegistry();
    const first = await registry.add(
      settings('acme', { accountIds: [{ source: 'merge', accountId: 'la_1' }] }),
    );
    const next = settings('acme', {
      accountIds: [{ source: 'merge', accountId: 'la_2' }],
      sources: ['merge'],
    });
    const updated = await registry.update(next, first.version);
    expect(updated).toMatchObject({ version: 2, sources: ['merge'], createdAt: first.createdAt });
    expect(await registry.findByAccountId('merge', 'la_1')).toBeUndefined();
    expect((await registry.findByAccountId('merge', 'la_2'))?.id).toBe('acme');
    // A writer still holding version 1 lost the race: refused, the newer settings stay.
    await expect(registry.update(settings('acme'), first.version)).rejects.toThrow(
      TenantVersionConflictError,
    );
    expect((await registry.get('acme'))?.sources).toEqual(['merge']);
    await expect(registry.update(settings('nobody'), 1)).rejects.toThrow(TenantNotFoundError);
  });

  it('removes a tenant with its mappings, freeing its account ids', async () => {
    const registry = await freshRegistry();
    const linked = [{ source: 'merge', accountId: 'la_7' }];
    await registry.add(settings('acme', { accountIds: linked }));
    await registry.remove('acme');
    expect(await registry.get('acme')).toBeUndefined();
    expect(await registry.findByAccountId('merge', 'la_7')).toBeUndefined();
    await registry.add(settings('globex', { accountIds: linked }));
    expect((await registry.findByAccountId('merge', 'la_7'))?.id).toBe('globex');
    await expect(registry.remove('acme')).rejects.toThrow(TenantNotFoundError);
  });
});
