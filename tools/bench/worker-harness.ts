import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PurgeQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { CpaasClient } from '../../lambdas/core/cpaas/client.js';
import {
  createLifecycleEvent,
  type EmployeeData,
  type LifecycleEvent,
  messageGroupIdFor,
} from '../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../lambdas/core/events/sqs-event-queue.js';
import { createIngestHandler, ingestDependenciesFromEnv } from '../../lambdas/ingest/handler.js';
import { generateStandardWebhookSecret } from '../../lambdas/ingest/sources/standard-webhooks.js';
import {
  createWorkerHandler,
  type WorkerHandler,
  workerDependenciesFromEnv,
} from '../../lambdas/worker/handler.js';
import { createLambdaContext, toSqsRecord } from '../local/event-source.js';
import { startIngestServer } from '../local/http-server.js';
import { type MotoServer, startMotoServer } from '../local/moto-server.js';
import { type AwsEndpointConfig, handlerEnvironment, provisionLocalResources } from '../local/provision.js';
import { type RunningSandbox, startSandbox } from '../sandbox/index.js';
import { BRAKE_OFF_ENV } from './brake-off.js';
import { MemoryScheduleStore, MemoryStateStore } from './memory-state-store.js';
import { uniqueSuffix } from './unique-suffix.js';

export interface WorkerHarness {
  readonly sandbox: RunningSandbox;
  /** The worker Lambda's handler, wired from its environment exactly as in production. */
  readonly worker: WorkerHandler;
  /** The same worker with its state in memory: isolates the worker from moto's DynamoDB. */
  readonly inMemoryWorker: WorkerHandler;
  /** The functions' environment as the stack would set it, and the endpoint: to wire another worker alike. */
  readonly env: Readonly<Record<string, string>>;
  readonly aws: AwsEndpointConfig;
  /** A bare CpaasClient on the same sandbox, for the raw call rate. */
  readonly client: CpaasClient;
  /** The ingest Lambda behind a local HTTP server, on the same queue and secrets. */
  readonly ingestUrl: string;
  /** The same ingest sending its batches one after the other (one lane): the figure before lanes. */
  readonly sequentialIngestUrl: string;
  readonly webhookSecret: string;
  /** Records the harness delivered again after the worker reported them failed. */
  readonly retriedRecords: number;
  /**
   * Runs one invocation with these events as its SQS batch (redelivering failures); resolves to
   * the ms from the first delivery to the last answer.
   */
  invoke(events: readonly LifecycleEvent[], handler?: WorkerHandler): Promise<number>;
  /**
   * Empties the lifecycle queue the ingest fills (nothing consumes it: the worker is invoked
   * directly). moto's SendMessageBatch slows with every message already queued, SQS's does not.
   */
  emptyQueue(): Promise<void>;
  close(): Promise<void>;
}

const REGION = 'us-east-1';
const FUNCTION_TIMEOUT_MS = 900_000;
const QUEUE_ARN = `arn:aws:sqs:${REGION}:000000000000:bench.fifo`;
const MAX_DELIVERIES = 10;
const REDELIVERY_PAUSE_MS = 200;

function toRecord(event: LifecycleEvent): SQSRecord {
  return toSqsRecord(
    {
      MessageId: randomUUID(),
      ReceiptHandle: randomUUID(),
      Body: JSON.stringify(event),
      Attributes: { MessageGroupId: messageGroupIdFor(event), ApproximateReceiveCount: '1' },
    },
    QUEUE_ARN,
    REGION,
  );
}

/**
 * Delivers the records as one batch and the reported failures again, as the event source would,
 * up to MAX_DELIVERIES; resolves to the number of redelivered records. moto_server now and then
 * answers a burst of DynamoDB calls with an HTML error page, which fails a record for no fault of
 * the worker.
 */
async function deliverUntilDone(handler: WorkerHandler, records: SQSRecord[]): Promise<number> {
  let redelivered = 0;
  let pending = records;
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    const response = await handler(
      { Records: pending },
      createLambdaContext('bench-worker', FUNCTION_TIMEOUT_MS, REGION),
    );
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    pending = pending.filter((record) => failed.has(record.messageId));
    redelivered += pending.length;
    if (pending.length > 0 && attempt >= MAX_DELIVERIES) {
      throw new Error(`${pending.length} record(s) still failing after ${attempt} deliveries`);
    }
    if (pending.length > 0) await sleep(REDELIVERY_PAUSE_MS);
  }
  return redelivered;
}

/**
 * moto_server + the CPaaS sandbox + the ingest and worker handlers built by `workerDependenciesFromEnv`, invoked
 * directly with SQS-shaped batches so the figures measure the worker, not a poller.
 */
export async function startWorkerHarness(): Promise<WorkerHarness> {
  const moto: MotoServer = await startMotoServer();
  const sandbox = await startSandbox({ seed: 1 });
  const aws: AwsEndpointConfig = {
    endpoint: moto.endpoint,
    region: REGION,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  };
  const suffix = uniqueSuffix();
  const webhookSecret = generateStandardWebhookSecret();
  const resources = await provisionLocalResources(aws, {
    apiKey: sandbox.apiKey,
    webhookSecrets: { standard: [webhookSecret] },
    visibilityTimeoutSeconds: 30,
    names: {
      queueName: `bench-${suffix}.fifo`,
      deadLetterQueueName: `bench-dlq-${suffix}.fifo`,
      priorityQueueName: `bench-priority-${suffix}.fifo`,
      bulkQueueName: `bench-bulk-${suffix}.fifo`,
      bulkDeadLetterQueueName: `bench-bulk-dlq-${suffix}.fifo`,
      priorityDeadLetterQueueName: `bench-priority-dlq-${suffix}.fifo`,
      stateTableName: `bench-state-${suffix}`,
      apiKeySecretName: `bench-key-${suffix}`,
      webhookSecretsSecretName: `bench-webhooks-${suffix}`,
      scimTokensSecretName: `bench-scim-tokens-${suffix}`,
    },
  });
  const env = {
    ...handlerEnvironment(aws, resources, { baseUrl: sandbox.url, accountId: sandbox.accountId }),
    ...BRAKE_OFF_ENV,
  };
  const dependencies = workerDependenciesFromEnv(env, aws);
  const worker = createWorkerHandler(dependencies);
  const inMemoryWorker = createWorkerHandler({
    ...dependencies,
    store: new MemoryStateStore(),
    schedules: new MemoryScheduleStore(),
  });
  const ingestDependencies = ingestDependenciesFromEnv(env, aws);
  const ingest = await startIngestServer({
    port: 0,
    host: '127.0.0.1',
    handler: createIngestHandler(ingestDependencies),
  });
  const sqs = new SQSClient(aws);
  const sequentialIngest = await startIngestServer({
    port: 0,
    host: '127.0.0.1',
    handler: createIngestHandler({
      ...ingestDependencies,
      queue: sqsEventQueue(sqs, resources.queueUrl, { lanes: 1 }),
    }),
  });
  const client = new CpaasClient({
    baseUrl: sandbox.url,
    accountId: sandbox.accountId,
    apiKey: sandbox.apiKey,
    allowInsecureHttp: true,
  });
  let retriedRecords = 0;
  return {
    sandbox,
    worker,
    inMemoryWorker,
    env,
    aws,
    client,
    ingestUrl: `${ingest.url}/webhooks/standard`,
    sequentialIngestUrl: `${sequentialIngest.url}/webhooks/standard`,
    webhookSecret,
    get retriedRecords() {
      return retriedRecords;
    },
    async invoke(events, handler = worker) {
      // The records are the event source's work, not the worker's: built before the clock starts.
      const records = events.map((event) => toRecord(event));
      const started = performance.now();
      retriedRecords += await deliverUntilDone(handler, records);
      return performance.now() - started;
    },
    async emptyQueue() {
      await sqs.send(new PurgeQueueCommand({ QueueUrl: resources.queueUrl }));
    },
    async close() {
      await sequentialIngest.close();
      await ingest.close();
      await sandbox.close();
      await moto.stop();
    },
  };
}

let employeeCounter = 0;

/** A new employee's data; every call a different person, so hires never collide. */
export function newEmployee(): EmployeeData {
  employeeCounter += 1;
  const employeeId = `B${employeeCounter}-${uniqueSuffix()}`;
  return {
    employeeId,
    workEmail: `${employeeId.toLowerCase()}@bench.example.com`,
    firstName: 'Bench',
    lastName: `Person${employeeCounter}`,
    extension: String(10_000 + employeeCounter),
    // As SCIM's and the HR sources' hires do: the event schema checks the zone on each of them.
    timezone: 'Europe/Paris',
  };
}

/** `count` hires of new employees: one message group each. */
export function hires(count: number): LifecycleEvent[] {
  return Array.from({ length: count }, () =>
    createLifecycleEvent({ type: 'employee.hired', data: newEmployee(), source: 'bench' }),
  );
}
