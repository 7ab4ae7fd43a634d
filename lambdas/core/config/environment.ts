import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Dispatcher } from 'undici';
import { type CpaasSettings, type DeprovisioningSettings, ENV } from '../../contract/environment.js';
import { ConfigurationError } from '../../contract/errors.js';
import { SecretsManagerApiKey, withKeyRefresh } from '../cpaas/api-key.js';
import { type CpaasAttempt, CpaasClient } from '../cpaas/client.js';
import { apiPool } from '../cpaas/http-transport.js';
import type { CpaasUsersApi } from '../cpaas/users-api.js';
import { DynamoDeletionBrake, LinkedUserCounts } from '../state/deletion-brake.js';
import { DynamoHoldStore } from '../state/hold-store.js';
import { tenantKeysUpgrade } from '../state/legacy-tenant-keys.js';
import { DynamoScheduleStore } from '../state/schedule-store.js';
import { DynamoStateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
import { cachedTenantRegistry } from '../tenants/cached-tenant-registry.js';
import { registeredTenantPorts, type TenantLookup, type TenantPorts } from '../tenants/tenant-ports.js';
import { DynamoTenantRegistry, type TenantRegistry } from '../tenants/tenant-registry.js';
import type { AwsClientConfig } from './aws-client-config.js';

/**
 * Wiring the worker and the sweep share, from settings already read and checked by
 * `lambdas/contract/environment.ts`: nothing here reads the environment.
 */

/** The worker's ports over one state table: links (and the employee lease), schedules, holds, the deletion brake. */
export function stateTablePorts(
  client: DynamoDBClient,
  tableName: string,
  brake: DeprovisioningSettings['brake'],
  linkedUsers?: LinkedUserCounts,
): {
  readonly store: DynamoStateStore;
  readonly schedules: DynamoScheduleStore;
  readonly holds: DynamoHoldStore;
  readonly brake: DynamoDeletionBrake;
} {
  return {
    store: new DynamoStateStore({ client, tableName }),
    schedules: new DynamoScheduleStore({ client, tableName }),
    holds: new DynamoHoldStore({ client, tableName }),
    brake: new DynamoDeletionBrake({ client, tableName, ...brake, ...(linkedUsers ? { linkedUsers } : {}) }),
  };
}

function originOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin;
  } catch {
    throw new ConfigurationError(`environment variable ${ENV.cpaasBaseUrl} must be an absolute URL`);
  }
}

/** How a function reaches the CPaaS API, whichever tenant it calls for. */
export interface CpaasWiring {
  readonly settings: CpaasSettings;
  readonly clientConfig: AwsClientConfig;
  readonly logger: Logger;
  readonly onAttempt?: (attempt: CpaasAttempt) => void;
}

/** The default tenant's CPaaS client with its key from Secrets Manager (cached, refreshed once on a 401). */
function defaultTenantApi(
  wiring: CpaasWiring,
  shared: { readonly secrets: SecretsManagerClient; readonly dispatcher: Dispatcher },
): CpaasUsersApi {
  const { settings, logger, onAttempt } = wiring;
  const keys = new SecretsManagerApiKey({
    client: shared.secrets,
    secretId: settings.apiKeySecretId,
    cacheSeconds: settings.secretCacheSeconds,
  });
  const client = new CpaasClient({
    baseUrl: settings.baseUrl,
    accountId: settings.accountId,
    apiKey: () => keys.get(),
    allowInsecureHttp: settings.allowInsecureHttp,
    dispatcher: shared.dispatcher,
    ...(onAttempt === undefined ? {} : { onAttempt }),
    logger,
  });
  return withKeyRefresh(client, keys);
}

/**
 * Every tenant's CPaaS access for the worker and the sweep: the default tenant's client from the
 * environment, the registered tenants' from the registry in the state table (read once per key
 * cache period), all over one keep-alive pool and one Secrets Manager client, and every brake
 * counting linked users from one shared Scan.
 */
export function tenantCpaas(
  wiring: CpaasWiring,
  dynamodb: DynamoDBClient,
  tableName: string,
): {
  readonly api: CpaasUsersApi;
  readonly tenants: TenantLookup<TenantPorts>;
  readonly linkedUsers: LinkedUserCounts;
  /** The cached registry the ports read, for the worker's other per-tenant settings (HR APIs). */
  readonly registry: TenantRegistry;
  readonly secrets: SecretsManagerClient;
} {
  const { settings } = wiring;
  const secrets = new SecretsManagerClient(wiring.clientConfig);
  const dispatcher = apiPool({ origin: originOf(settings.baseUrl) });
  const linkedUsers = new LinkedUserCounts({ client: dynamodb, tableName });
  const registry = cachedTenantRegistry(new DynamoTenantRegistry({ client: dynamodb, tableName }), {
    maxAgeSeconds: settings.secretCacheSeconds,
  });
  return {
    api: defaultTenantApi(wiring, { secrets, dispatcher }),
    linkedUsers,
    registry,
    secrets,
    tenants: registeredTenantPorts({
      registry,
      cpaas: settings,
      secrets,
      dynamodb,
      tableName,
      linkedUsers,
      dispatcher,
      logger: wiring.logger,
      ...(wiring.onAttempt === undefined ? {} : { onAttempt: wiring.onAttempt }),
    }),
  };
}

/**
 * The one-time re-key of items a pre-tenant deployment wrote under its events' own tenant values
 * (`docs/tenants.md#upgrading-from-one-account`), against the registry itself (uncached): a
 * tenant registered a moment ago keeps its items. The worker and the sweep both await it before
 * their first work, so neither reads a key the upgrade has yet to move.
 */
export function upgradeTenantKeys(dynamodb: DynamoDBClient, tableName: string, logger: Logger) {
  const registry = new DynamoTenantRegistry({ client: dynamodb, tableName });
  return tenantKeysUpgrade({
    client: dynamodb,
    tableName,
    logger,
    isRegistered: async (tenantId) => (await registry.get(tenantId)) !== undefined,
  });
}
