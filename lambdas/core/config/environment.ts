import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DEFAULTS, ENV, TERMINATION_POLICIES, type TerminationPolicy } from '../../contract/settings.js';
import { WorkerConfigurationError } from '../converge/errors.js';
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
 * Readers of the Lambda environment shared by the worker and the sweep: a missing or malformed
 * setting fails the first invocation with the variable's name, not a confusing error later.
 */
export function requiredEnv(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new WorkerConfigurationError(`environment variable ${name} is not set`);
  return value;
}

function numberEnv(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  valid: (value: number) => boolean,
  expected: string,
): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!valid(value)) throw new WorkerConfigurationError(`environment variable ${name} must be ${expected}`);
  return value;
}

export function positiveIntegerEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return numberEnv(
    env,
    name,
    fallback,
    (value) => Number.isInteger(value) && value >= 1,
    'a positive integer',
  );
}

function nonNegativeNumberEnv(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return numberEnv(env, name, fallback, (value) => Number.isFinite(value) && value >= 0, 'a number >= 0');
}

function terminationPolicyFromEnv(env: NodeJS.ProcessEnv): TerminationPolicy {
  const value = env[ENV.terminationPolicy] || DEFAULTS.terminationPolicy;
  if (!(TERMINATION_POLICIES as readonly string[]).includes(value)) {
    throw new WorkerConfigurationError(
      `environment variable ${ENV.terminationPolicy} must be one of ${TERMINATION_POLICIES.join(', ')}`,
    );
  }
  return value as TerminationPolicy;
}

/** The worker's settings that change what a termination does, as the worker reads them. */
export interface DeprovisioningSettings {
  readonly policy: TerminationPolicy;
  readonly deleteGraceDays: number;
  readonly brake: { readonly windowMinutes: number; readonly minimum: number; readonly percent: number };
}

/**
 * `TERMINATION_POLICY`, `DELETE_GRACE_DAYS` and `DELETION_BRAKE_*`, defaulting to `DEFAULTS`:
 * one reader, so the worker and `plan` cannot read them differently.
 */
export function deprovisioningSettingsFromEnv(env: NodeJS.ProcessEnv): DeprovisioningSettings {
  const brake = DEFAULTS.deletionBrake;
  return {
    policy: terminationPolicyFromEnv(env),
    deleteGraceDays: positiveIntegerEnv(env, ENV.deleteGraceDays, DEFAULTS.deleteGraceDays),
    brake: {
      windowMinutes: positiveIntegerEnv(env, ENV.deletionBrakeWindowMinutes, brake.windowMinutes),
      minimum: positiveIntegerEnv(env, ENV.deletionBrakeMinimum, brake.minimum),
      percent: nonNegativeNumberEnv(env, ENV.deletionBrakePercent, brake.percent),
    },
  };
}

/** The worker's ports over one state table: links, schedules, holds and the deletion brake. */
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

/**
 * The CPaaS client with its key from Secrets Manager (cached, refreshed once on a 401), from
 * `CPAAS_BASE_URL`, `CPAAS_ACCOUNT_ID`, `CPAAS_API_KEY_SECRET_ID`, `CPAAS_ALLOW_INSECURE_HTTP`
 * and `SECRET_CACHE_SECONDS`.
 */
export function cpaasApiFromEnv(
  env: NodeJS.ProcessEnv,
  clientConfig: AwsClientConfig,
  logger: Logger,
  onAttempt?: (attempt: CpaasAttempt) => void,
): CpaasUsersApi {
  const keys = new SecretsManagerApiKey({
    client: new SecretsManagerClient(clientConfig),
    secretId: requiredEnv(env, ENV.cpaasApiKeySecretId),
    cacheSeconds: positiveIntegerEnv(env, ENV.secretCacheSeconds, DEFAULTS.secretCacheSeconds),
  });
  const client = new CpaasClient({
    baseUrl: requiredEnv(env, ENV.cpaasBaseUrl),
    accountId: requiredEnv(env, ENV.cpaasAccountId),
    apiKey: () => keys.get(),
    allowInsecureHttp: env[ENV.cpaasAllowInsecureHttp] === 'true',
    ...(onAttempt === undefined ? {} : { onAttempt }),
    logger,
  });
  return withKeyRefresh(client, keys);
}
