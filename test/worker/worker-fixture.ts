import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import type { TerminationPolicy } from '../../lambdas/config/settings.js';
import { CpaasClient } from '../../lambdas/cpaas/client.js';
import type { User } from '../../lambdas/cpaas/schemas.js';
import {
  type CreateLifecycleEventInput,
  createLifecycleEvent,
  type EmployeeData,
  type LifecycleEvent,
} from '../../lambdas/events/lifecycle-event.js';
import { type RunningSandbox, startSandbox } from '../../lambdas/sandbox/index.js';
import { SecretsManagerApiKey, withKeyRefresh } from '../../lambdas/worker/api-key.js';
import { SqsDeadLetterSink } from '../../lambdas/worker/dead-letter.js';
import { createWorkerHandler, type WorkerDependencies } from '../../lambdas/worker/handler.js';
import { DynamoStateStore } from '../../lambdas/worker/state-store.js';
import type { WorkerLogger } from '../../lambdas/worker/telemetry.js';
import { type AwsFixture, awsFixture } from './aws-fixture.js';
import { eventRecord, lambdaContext } from './records.js';

export interface LogLine {
  readonly level: 'info' | 'warn' | 'error';
  readonly message: string;
  readonly attributes: Record<string, unknown>;
}

/** The sandbox and moto resources one test file's worker runs against, over real sockets. */
export interface WorkerFixture {
  readonly sandbox: RunningSandbox;
  /** A client with the sandbox's key, for arranging users as an administrator would. */
  readonly admin: CpaasClient;
  readonly aws: AwsFixture;
  readonly store: DynamoStateStore;
  readonly keys: SecretsManagerApiKey;
  readonly logs: LogLine[];
  /** The sandbox's users with this email (case-insensitive): how tests count duplicates. */
  usersWithEmail(email: string): User[];
  /** A handler over the fixture's resources; options override the defaults per test. */
  handler(
    overrides?: Partial<WorkerDependencies> & { policy?: TerminationPolicy },
  ): (records: SQSRecord[], remainingMs?: () => number) => Promise<SQSBatchResponse>;
  /** Runs one event through a default handler and returns the outcome line it logged. */
  apply(event: LifecycleEvent, overrides?: Partial<WorkerDependencies>): Promise<LogLine>;
  close(): Promise<void>;
}

let sequence = 0;

/** A valid employee with unique id and email, so tests in one file never collide. */
export function employee(overrides: Partial<EmployeeData> = {}): EmployeeData {
  sequence += 1;
  const id = `E${Date.now().toString(36)}${sequence}`;
  return {
    employeeId: id,
    workEmail: `${id.toLowerCase()}@example.com`,
    firstName: 'Grace',
    lastName: 'Hopper',
    timezone: 'America/New_York',
    extension: String(1000 + sequence),
    ...overrides,
  };
}

let clock = Date.parse('2026-06-01T00:00:00Z');

/** A canonical event whose time is later than every earlier one of the run, unless `time` is given. */
export function lifecycleEvent(
  type: CreateLifecycleEventInput['type'],
  data: EmployeeData | { employeeId: string },
  extra: { id?: string; time?: string } = {},
): LifecycleEvent {
  clock += 60_000;
  return createLifecycleEvent({
    type,
    data,
    source: 'test',
    time: extra.time ?? new Date(clock).toISOString(),
    ...(extra.id === undefined ? {} : { id: extra.id }),
  } as CreateLifecycleEventInput);
}

export async function workerFixture(maxReceiveCount = 3): Promise<WorkerFixture> {
  const sandbox = await startSandbox();
  const aws = await awsFixture(sandbox.apiKey, maxReceiveCount);
  const keys = new SecretsManagerApiKey({ client: aws.secrets, secretId: aws.resources.apiKeySecretId });
  const client = new CpaasClient({
    baseUrl: sandbox.url,
    accountId: sandbox.accountId,
    apiKey: () => keys.get(),
    allowInsecureHttp: true,
    retry: { maxAttempts: 1 },
  });
  const store = new DynamoStateStore({ client: aws.dynamodb, tableName: aws.resources.stateTableName });
  const logs: LogLine[] = [];
  const logger: WorkerLogger = {
    info: (message, attributes) => logs.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => logs.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => logs.push({ level: 'error', message, attributes }),
  };
  const handler: WorkerFixture['handler'] = (overrides = {}) => {
    const run = createWorkerHandler({
      api: withKeyRefresh(client, keys),
      store,
      deadLetters: new SqsDeadLetterSink(aws.sqs, aws.resources.deadLetterQueueUrl),
      maxReceiveCount,
      logger,
      ...overrides,
    });
    return (records, remainingMs) => run({ Records: records }, lambdaContext(remainingMs));
  };
  const admin = new CpaasClient({
    baseUrl: sandbox.url,
    accountId: sandbox.accountId,
    apiKey: sandbox.apiKey,
    allowInsecureHttp: true,
  });
  return {
    sandbox,
    admin,
    aws,
    store,
    keys,
    logs,
    handler,
    usersWithEmail: (email) =>
      sandbox.control.users().filter((user) => user.email?.toLowerCase() === email.toLowerCase()),
    async apply(event, overrides) {
      const before = logs.length;
      const response = await handler(overrides)([eventRecord(event)]);
      const line = logs.slice(before).find((entry) => entry.attributes.eventId === event.id);
      if (line === undefined) throw new Error(`no outcome logged (${JSON.stringify(response)})`);
      return line;
    },
    async close() {
      await client.close();
      await admin.close();
      aws.destroy();
      await sandbox.close();
    },
  };
}
