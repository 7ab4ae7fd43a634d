import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { CpaasSettings, DeprovisioningSettings } from '../../contract/environment.js';
import { SecretsManagerApiKey, withKeyRefresh } from '../cpaas/api-key.js';
import { type CpaasAttempt, CpaasClient } from '../cpaas/client.js';
import type { CpaasUsersApi } from '../cpaas/users-api.js';
import { DynamoDeletionBrake } from '../state/deletion-brake.js';
import { DynamoHoldStore } from '../state/hold-store.js';
import { DynamoScheduleStore } from '../state/schedule-store.js';
import { DynamoStateStore } from '../state/state-store.js';
import type { Logger } from '../telemetry/logger.js';
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
    brake: new DynamoDeletionBrake({ client, tableName, ...brake }),
  };
}

/** The CPaaS client with its key from Secrets Manager (cached, refreshed once on a 401). */
export function cpaasApi(
  settings: CpaasSettings,
  clientConfig: AwsClientConfig,
  logger: Logger,
  onAttempt?: (attempt: CpaasAttempt) => void,
): CpaasUsersApi {
  const keys = new SecretsManagerApiKey({
    client: new SecretsManagerClient(clientConfig),
    secretId: settings.apiKeySecretId,
    cacheSeconds: settings.secretCacheSeconds,
  });
  const client = new CpaasClient({
    baseUrl: settings.baseUrl,
    accountId: settings.accountId,
    apiKey: () => keys.get(),
    allowInsecureHttp: settings.allowInsecureHttp,
    ...(onAttempt === undefined ? {} : { onAttempt }),
    logger,
  });
  return withKeyRefresh(client, keys);
}
