import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { workerSettingsFromEnv } from '../contract/environment.js';
import { DEFAULTS, SERVICE_NAMES, type TerminationPolicy } from '../contract/settings.js';
import type { AwsClientConfig } from '../core/config/aws-client-config.js';
import { stateTablePorts, tenantCpaas, upgradeTenantKeys } from '../core/config/environment.js';
import type { CpaasUsersApi } from '../core/cpaas/users-api.js';
import type { EmployeeDetailsFetchers } from '../core/hris/employee-details.js';
import { hrApiFetchers } from '../core/hris/hr-api-fetchers.js';
import type { DeletionBrake } from '../core/state/deletion-brake.js';
import type { HoldStore } from '../core/state/hold-store.js';
import {
  DynamoProvisioningStatusRecorder,
  noProvisioningStatus,
  type ProvisioningStatusRecorder,
} from '../core/state/provisioning-status.js';
import type { ScheduleStore } from '../core/state/schedule-store.js';
import type { StateStore } from '../core/state/state-store.js';
import { type Logger, powertoolsLogger, silentLogger } from '../core/telemetry/logger.js';
import { type TenantLookup, type TenantPorts, withDefaultTenant } from '../core/tenants/tenant-ports.js';
import { processFifoBatch } from './batch.js';
import { type DeadLetterSink, SqsDeadLetterSink } from './dead-letter.js';
import { noMetrics, powertoolsMetrics, type WorkerMetrics } from './metrics.js';
import { createRecordProcessor } from './process-record.js';

/**
 * Everything the worker needs; the Lambda builds it from the environment, tests and local mode
 * inject it. `api`, `brake`, `policy` and `deleteGraceDays` are the default tenant's (the
 * deployment's own account); `tenants` serves the registered ones.
 */
export interface WorkerDependencies {
  /** Should refresh the key on 401 (`withKeyRefresh`): converge does not. */
  readonly api: CpaasUsersApi;
  /** The registered tenants' ports; without it an event of any tenant but the default is dead-lettered. */
  readonly tenants?: TenantLookup<TenantPorts>;
  readonly store: StateStore;
  readonly deadLetters: DeadLetterSink;
  readonly brake: DeletionBrake;
  readonly holds: HoldStore;
  readonly schedules: ScheduleStore;
  /** Where the outcome of a SCIM event is reported for its GET (default: nowhere). */
  readonly provisioning?: ProvisioningStatusRecorder;
  readonly policy?: TerminationPolicy;
  readonly deleteGraceDays?: number;
  readonly dryRun?: boolean;
  readonly maxReceiveCount?: number;
  readonly clock?: () => Date;
  readonly logger?: Logger;
  readonly metrics?: WorkerMetrics;
  /** Message groups processed at once (default 10: every group of a FIFO batch). */
  readonly concurrency?: number;
  /** No record starts with less than this left of the invocation (default 10 s). */
  readonly timeMarginMs?: number;
  /** HR APIs that complete details-pending events (BambooHR...); see docs/ingest-sources.md. */
  readonly details?: EmployeeDetailsFetchers;
  /**
   * Awaited before each batch (cheap once done): the re-key of a pre-tenant deployment's items
   * (`upgradeTenantKeys`), so no event reads a key it has yet to move. A failure fails the batch.
   */
  readonly upgrade?: () => Promise<void>;
}

export type WorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

export const DEFAULT_CONCURRENCY = 10;
export const DEFAULT_TIME_MARGIN_MS = 10_000;

/**
 * The worker over injected dependencies: FIFO partial batch processing of lifecycle events, each
 * converged against the CPaaS API. API calls get the invocation's deadline (minus half the margin,
 * left for the state and DLQ writes), so none outlives the Lambda.
 */
export function createWorkerHandler(deps: WorkerDependencies): WorkerHandler {
  const metrics = deps.metrics ?? noMetrics;
  const margin = deps.timeMarginMs ?? DEFAULT_TIME_MARGIN_MS;
  const tenants = withDefaultTenant<TenantPorts>(
    {
      api: deps.api,
      brake: deps.brake,
      policy: deps.policy ?? DEFAULTS.terminationPolicy,
      deleteGraceDays: deps.deleteGraceDays ?? DEFAULTS.deleteGraceDays,
    },
    deps.tenants,
  );
  return async (event, context) => {
    await deps.upgrade?.();
    const deadline = Date.now() + context.getRemainingTimeInMillis() - margin / 2;
    const processRecord = createRecordProcessor({
      ports: {
        store: deps.store,
        clock: deps.clock ?? (() => new Date()),
        dryRun: deps.dryRun ?? false,
        // Also the employee lease's expiry: it outlives no record, as no record starts within the
        // margin of the invocation's end.
        callOptions: () => ({ deadline }),
        holds: deps.holds,
        schedules: deps.schedules,
      },
      tenants,
      deadLetters: deps.deadLetters,
      provisioning: deps.provisioning ?? noProvisioningStatus,
      maxReceiveCount: deps.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
      logger: deps.logger ?? silentLogger,
      metrics,
      ...(deps.details === undefined ? {} : { details: deps.details }),
      deadline,
    });
    try {
      return await processFifoBatch(event.Records, processRecord, {
        concurrency: deps.concurrency ?? DEFAULT_CONCURRENCY,
        mayStart: () => context.getRemainingTimeInMillis() >= margin,
      });
    } finally {
      metrics.publish();
    }
  };
}

/**
 * The production wiring from the environment as `workerSettingsFromEnv` reads it (a missing or
 * malformed variable throws `ConfigurationError` naming it), plus `AWS_ENDPOINT_URL` (optional).
 */
export function workerDependenciesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clientConfig: AwsClientConfig = env.AWS_ENDPOINT_URL ? { endpoint: env.AWS_ENDPOINT_URL } : {},
): WorkerDependencies {
  const settings = workerSettingsFromEnv(env);
  const metrics = powertoolsMetrics();
  const logger = powertoolsLogger(SERVICE_NAMES.worker);
  const { brake, ...deprovisioning } = settings.deprovisioning;
  const dynamodb = new DynamoDBClient(clientConfig);
  const tableName = settings.stateTableName;
  const onAttempt = (attempt: { durationMs: number }) => metrics.apiLatency(attempt.durationMs);
  const { api, tenants, linkedUsers, registry, secrets } = tenantCpaas(
    { settings: settings.cpaas, clientConfig, logger, onAttempt },
    dynamodb,
    tableName,
  );
  return {
    api,
    tenants,
    ...stateTablePorts(dynamodb, tableName, brake, linkedUsers),
    provisioning: new DynamoProvisioningStatusRecorder({ client: dynamodb, tableName }),
    // A dry run writes nothing, the re-key included.
    ...(settings.dryRun ? {} : { upgrade: upgradeTenantKeys(dynamodb, tableName, logger) }),
    deadLetters: new SqsDeadLetterSink(new SQSClient(clientConfig), settings.deadLetterQueueUrl),
    ...deprovisioning,
    dryRun: settings.dryRun,
    maxReceiveCount: settings.maxReceiveCount,
    logger,
    metrics,
    details: hrApiFetchers(settings.hrApis, {
      client: secrets,
      cacheSeconds: settings.cpaas.secretCacheSeconds,
      tenants: async (tenantId) => (await registry.get(tenantId))?.hrApis,
    }),
  };
}

let envHandler: WorkerHandler | undefined;

/**
 * Lambda entry point (SQS FIFO event source with `ReportBatchItemFailures`). Reads the environment
 * on the first invocation, not at import, so the local mode can set it after importing.
 */
export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  envHandler ??= createWorkerHandler(workerDependenciesFromEnv());
  return envHandler(event, context);
}
