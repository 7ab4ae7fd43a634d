import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Dispatcher } from 'undici';
import type { CpaasSettings } from '../../contract/environment.js';
import type { TerminationPolicy } from '../../contract/settings.js';
import { DEFAULT_TENANT_ID, tenantSecretName } from '../../contract/tenants.js';
import { SecretsManagerApiKey, withKeyRefresh } from '../cpaas/api-key.js';
import { type CpaasAttempt, CpaasClient } from '../cpaas/client.js';
import type { CpaasUsersApi } from '../cpaas/users-api.js';
import { type DeletionBrake, DynamoDeletionBrake, type LinkedUserCounts } from '../state/deletion-brake.js';
import type { Logger } from '../telemetry/logger.js';
import { TenantNotFoundError } from './errors.js';
import type { Tenant } from './tenant.js';
import type { TenantRegistry } from './tenant-registry.js';

/**
 * What one tenant's events are applied with: its own CPaaS account and key (`api`), its
 * termination policy and grace days, and its own deletion brake. The worker lays these over the
 * ports every tenant shares (the state table, the clock), so converge itself knows no tenants.
 */
export interface TenantPorts {
  readonly api: CpaasUsersApi;
  readonly policy: TerminationPolicy;
  readonly deleteGraceDays: number;
  readonly brake: DeletionBrake;
}

/** A tenant's value by id; rejects with `TenantNotFoundError` (permanent) for a tenant not registered. */
export type TenantLookup<T> = (tenantId: string) => Promise<T>;

function notRegistered(tenantId: string): TenantNotFoundError {
  return new TenantNotFoundError(
    `tenant ${tenantId} is not registered, so its events can never apply here; ` +
      'register it (cpaas-lifecycle tenants add) and redrive, or discard the message',
  );
}

/**
 * The default tenant (the deployment's own environment) and the registered ones behind one
 * lookup. Without `registered`, only the default tenant exists: a single-account deployment, or a
 * test or tool that serves no others.
 */
export function withDefaultTenant<T>(defaultTenant: T, registered?: TenantLookup<T>): TenantLookup<T> {
  return async (tenantId) => {
    if (tenantId === DEFAULT_TENANT_ID) return defaultTenant;
    if (registered === undefined) throw notRegistered(tenantId);
    return registered(tenantId);
  };
}

export interface RegisteredTenantPortsOptions {
  /** Read on every lookup (cache it: `cachedTenantRegistry`), so a removed tenant is refused at once. */
  readonly registry: TenantRegistry;
  /** The API's base URL, the http switch and the key cache period; account and key are each tenant's. */
  readonly cpaas: Pick<CpaasSettings, 'baseUrl' | 'allowInsecureHttp' | 'secretCacheSeconds'>;
  readonly secrets: SecretsManagerClient;
  readonly dynamodb: DynamoDBClient;
  readonly tableName: string;
  /** Every tenant's brake counts its linked users from this one Scan. */
  readonly linkedUsers: LinkedUserCounts;
  /** One pool for every tenant's client: they all call the same origin (`apiPool`). */
  readonly dispatcher?: Dispatcher;
  readonly logger?: Logger;
  readonly onAttempt?: (attempt: CpaasAttempt) => void;
  /** The brakes' and the key caches' clock. */
  readonly now?: () => Date;
}

interface Entry {
  /** Kept across a tenant's updates: a `tenants update` must not cost a GetSecretValue. */
  readonly keys: SecretsManagerApiKey;
  readonly version: number;
  readonly ports: TenantPorts;
}

/**
 * The registered tenants' ports, built the first time a tenant's event arrives and kept for the
 * process: one `SecretsManagerApiKey` per tenant (its secret found by name, `tenantSecretName`),
 * cached for the deployment's key cache period and refreshed once on a 401, so with 100 tenants a
 * warm worker reads at most one key per tenant seen per period. The client and brake are rebuilt
 * when the tenant's registry version changes (a new account id, policy or brake limits); the
 * entry is dropped when the tenant is removed, so memory is bounded by the tenants registered.
 */
export function registeredTenantPorts(options: RegisteredTenantPortsOptions): TenantLookup<TenantPorts> {
  const entries = new Map<string, Entry>();
  const { now } = options;

  function build(tenant: Tenant, keys: SecretsManagerApiKey): TenantPorts {
    const client = new CpaasClient({
      baseUrl: options.cpaas.baseUrl,
      accountId: tenant.cpaasAccountId,
      apiKey: () => keys.get(),
      allowInsecureHttp: options.cpaas.allowInsecureHttp,
      ...(options.dispatcher === undefined ? {} : { dispatcher: options.dispatcher }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
      ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }),
    });
    const { policy, deleteGraceDays, brake } = tenant.deprovisioning;
    return {
      api: withKeyRefresh(client, keys),
      policy,
      deleteGraceDays,
      brake: new DynamoDeletionBrake({
        client: options.dynamodb,
        tableName: options.tableName,
        tenantId: tenant.id,
        linkedUsers: options.linkedUsers,
        ...brake,
        ...(now === undefined ? {} : { now }),
      }),
    };
  }

  return async (tenantId) => {
    const tenant = await options.registry.get(tenantId);
    if (tenant === undefined) {
      entries.delete(tenantId);
      throw notRegistered(tenantId);
    }
    const entry = entries.get(tenantId);
    if (entry?.version === tenant.version) return entry.ports;
    const keys =
      entry?.keys ??
      new SecretsManagerApiKey({
        client: options.secrets,
        secretId: tenantSecretName(tenantId, 'cpaasApiKey'),
        cacheSeconds: options.cpaas.secretCacheSeconds,
        ...(now === undefined ? {} : { now: () => now().getTime() }),
      });
    const fresh = { keys, version: tenant.version, ports: build(tenant, keys) };
    entries.set(tenantId, fresh);
    return fresh.ports;
  };
}
