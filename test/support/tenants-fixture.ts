import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULTS } from '../../lambdas/contract/settings.js';
import { type TenantSecretKind, tenantSecretName } from '../../lambdas/contract/tenants.js';
import type { TenantSettings } from '../../lambdas/core/tenants/tenant.js';
import { motoClientConfig } from './aws.js';

/**
 * A tenant id no other test uses (tenant secrets have fixed names, `cpaas-lifecycle/tenants/<id>/...`,
 * and every test file shares one moto_server): lower-case, within the 32 characters an id may have.
 */
export function uniqueTenantId(prefix: string): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Registrable settings for `id`, using `sources`, with the default deprovisioning limits. */
export function tenantSettings(id: string, overrides: Partial<TenantSettings> = {}): TenantSettings {
  return {
    id,
    cpaasAccountId: `acct-${id}`,
    sources: ['standard'],
    accountIds: [],
    deprovisioning: {
      policy: DEFAULTS.terminationPolicy,
      deleteGraceDays: DEFAULTS.deleteGraceDays,
      brake: { ...DEFAULTS.deletionBrake },
    },
    ...overrides,
  };
}

/** Creates one of a tenant's secrets under its conventional name, as `tenants add` does. */
export async function createTenantSecret(
  secrets: SecretsManagerClient,
  tenantId: string,
  kind: TenantSecretKind,
  value: string,
): Promise<void> {
  await secrets.send(
    new CreateSecretCommand({ Name: tenantSecretName(tenantId, kind), SecretString: value }),
  );
}

/** A Secrets Manager client on moto that counts its GetSecretValue calls per secret id. */
export function countingSecretsClient(): {
  readonly client: SecretsManagerClient;
  readonly reads: (secretId?: string) => number;
} {
  const client = new SecretsManagerClient(motoClientConfig());
  const counts = new Map<string, number>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') {
        const id = String((args.input as { SecretId?: string }).SecretId);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      }
      return next(args);
    },
    { step: 'initialize', name: 'countGetSecretValue' },
  );
  return {
    client,
    reads: (secretId) =>
      secretId === undefined
        ? [...counts.values()].reduce((sum, count) => sum + count, 0)
        : (counts.get(secretId) ?? 0),
  };
}
