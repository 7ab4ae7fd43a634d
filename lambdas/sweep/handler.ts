import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context } from 'aws-lambda';
import { sweepSettingsFromEnv } from '../contract/environment.js';
import { SERVICE_NAMES } from '../contract/settings.js';
import type { AwsClientConfig } from '../core/config/aws-client-config.js';
import { tenantCpaas, upgradeTenantKeys } from '../core/config/environment.js';
import { laneQueueUrlsOf } from '../core/events/lane.js';
import { DynamoScheduleStore } from '../core/state/schedule-store.js';
import { DynamoScimOutboxes } from '../core/state/scim-outbox.js';
import { DynamoStateStore } from '../core/state/state-store.js';
import { type Logger, powertoolsLogger } from '../core/telemetry/logger.js';
import { type SweepPorts, type SweepReport, sweep } from './sweep.js';

/** API calls stop this long before the invocation's end, leaving time for the state write. */
const TIME_MARGIN_MS = 5_000;

/**
 * The sweep's wiring from the environment as `sweepSettingsFromEnv` reads it (a missing or
 * malformed variable throws `ConfigurationError` naming it), plus `AWS_ENDPOINT_URL` (optional).
 * The deadline is per run, so it is left to the caller.
 */
export function sweepPortsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clientConfig: AwsClientConfig = env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {},
  logger: Logger = powertoolsLogger(SERVICE_NAMES.sweep),
): Omit<SweepPorts, 'callOptions'> {
  const settings = sweepSettingsFromEnv(env);
  const dynamodb = new DynamoDBClient(clientConfig);
  const { stateTableName: tableName } = settings;
  const queueUrls = laneQueueUrlsOf(settings);
  const sqs = new SQSClient(clientConfig);
  const { api, tenants } = tenantCpaas(
    { settings: settings.cpaas, clientConfig, logger },
    dynamodb,
    tableName,
  );
  return {
    api,
    tenants: async (tenantId) => (await tenants(tenantId)).api,
    schedules: new DynamoScheduleStore({ client: dynamodb, tableName }),
    deletions: new DynamoStateStore({ client: dynamodb, tableName }),
    outboxes: new DynamoScimOutboxes({ client: dynamodb, tableName }),
    enqueue: async (message, lane) => {
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrls[lane], ...message }));
    },
    clock: () => new Date(),
    logger,
    dryRun: settings.dryRun,
    // A dry run writes nothing, the re-key included.
    ...(settings.dryRun ? {} : { upgrade: upgradeTenantKeys(dynamodb, tableName, logger) }),
  };
}

let envPorts: Omit<SweepPorts, 'callOptions'> | undefined;

/** Lambda entry point, invoked every minute by an EventBridge schedule (the event carries nothing we need). */
export async function handler(_event: unknown, context: Context): Promise<SweepReport> {
  envPorts ??= sweepPortsFromEnv();
  const deadline = Date.now() + context.getRemainingTimeInMillis() - TIME_MARGIN_MS;
  return sweep({ ...envPorts, callOptions: () => ({ deadline }) });
}
