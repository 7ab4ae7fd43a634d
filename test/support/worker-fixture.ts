import { DeleteMessageCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import type { TerminationPolicy } from '../../lambdas/contract/settings.js';
import { SecretsManagerApiKey, withKeyRefresh } from '../../lambdas/core/cpaas/api-key.js';
import { CpaasClient } from '../../lambdas/core/cpaas/client.js';
import type { User } from '../../lambdas/core/cpaas/schemas.js';
import type { QueuedEvent } from '../../lambdas/core/events/details-pending-event.js';
import type { EventLane } from '../../lambdas/core/events/lane.js';
import {
  type CreateLifecycleEventInput,
  createLifecycleEvent,
  type EmployeeData,
  type LifecycleEvent,
} from '../../lambdas/core/events/lifecycle-event.js';
import { DynamoDeletionBrake } from '../../lambdas/core/state/deletion-brake.js';
import { DynamoHoldStore } from '../../lambdas/core/state/hold-store.js';
import { DynamoScheduleStore } from '../../lambdas/core/state/schedule-store.js';
import { DynamoStateStore } from '../../lambdas/core/state/state-store.js';
import type { Logger } from '../../lambdas/core/telemetry/logger.js';
import { SqsDeadLetterSink } from '../../lambdas/worker/dead-letter.js';
import { createWorkerHandler, type WorkerDependencies } from '../../lambdas/worker/handler.js';
import { toSqsRecord } from '../../tools/local/event-source.js';
import { type RunningSandbox, type SandboxOptions, startSandbox } from '../../tools/sandbox/index.js';
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
  readonly schedules: DynamoScheduleStore;
  readonly holds: DynamoHoldStore;
  /** The worker's and the brake's clock: real time unless a test sets it. */
  now: Date | undefined;
  readonly keys: SecretsManagerApiKey;
  readonly logs: LogLine[];
  /** The sandbox's users with this email (case-insensitive): how tests count duplicates. */
  usersWithEmail(email: string): User[];
  /** A handler over the fixture's resources; options override the defaults per test. */
  handler(
    overrides?: Partial<WorkerDependencies> & { policy?: TerminationPolicy },
  ): (records: SQSRecord[], remainingMs?: () => number) => Promise<SQSBatchResponse>;
  /**
   * Receives what is on the lifecycle queues of both lanes (a swept schedule, a released hold), runs it through a
   * handler with `overrides` as the event source mapping would, deletes what succeeded, and
   * returns the outcome lines.
   */
  deliverQueued(overrides?: Partial<WorkerDependencies>): Promise<LogLine[]>;
  /** As `deliverQueued`, for one lane's queue only: how a test makes one lane overtake the other. */
  deliverLane(lane: EventLane, overrides?: Partial<WorkerDependencies>): Promise<LogLine[]>;
  /** Runs one event through a default handler and returns the outcome line it logged. */
  apply(event: QueuedEvent, overrides?: Partial<WorkerDependencies>): Promise<LogLine>;
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

export async function workerFixture(
  maxReceiveCount = 3,
  sandboxOptions: SandboxOptions = {},
  /** Terminations the deletion brake admits per window (the default's when unset). */
  brakeMinimum?: number,
): Promise<WorkerFixture> {
  const sandbox = await startSandbox(sandboxOptions);
  const aws = await awsFixture(sandbox.apiKey, maxReceiveCount);
  const keys = new SecretsManagerApiKey({ client: aws.secrets, secretId: aws.resources.apiKeySecretId });
  const client = new CpaasClient({
    baseUrl: sandbox.url,
    accountId: sandbox.accountId,
    apiKey: () => keys.get(),
    allowInsecureHttp: true,
    retry: { maxAttempts: 1 },
  });
  const tableName = aws.resources.stateTableName;
  const store = new DynamoStateStore({ client: aws.dynamodb, tableName });
  const schedules = new DynamoScheduleStore({ client: aws.dynamodb, tableName });
  const holds = new DynamoHoldStore({ client: aws.dynamodb, tableName });
  let fixture: WorkerFixture | undefined;
  const clock = () => fixture?.now ?? new Date();
  const logs: LogLine[] = [];
  const logger: Logger = {
    debug() {},
    info: (message, attributes) => logs.push({ level: 'info', message, attributes }),
    warn: (message, attributes) => logs.push({ level: 'warn', message, attributes }),
    error: (message, attributes) => logs.push({ level: 'error', message, attributes }),
  };
  const handler: WorkerFixture['handler'] = (overrides = {}) => {
    const run = createWorkerHandler({
      api: withKeyRefresh(client, keys),
      store,
      deadLetters: new SqsDeadLetterSink(aws.sqs, aws.resources.deadLetterQueueUrl),
      brake: new DynamoDeletionBrake({
        client: aws.dynamodb,
        tableName,
        now: clock,
        ...(brakeMinimum === undefined ? {} : { minimum: brakeMinimum }),
      }),
      holds,
      schedules,
      clock,
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
  fixture = {
    sandbox,
    admin,
    aws,
    store,
    schedules,
    holds,
    now: undefined,
    keys,
    logs,
    handler,
    usersWithEmail: (email) =>
      sandbox.control.users().filter((user) => user.email?.toLowerCase() === email.toLowerCase()),
    async deliverLane(lane, overrides) {
      const before = logs.length;
      const { queueUrl, queueArn } = lane === 'priority' ? aws.resources.priority : aws.resources;
      for (;;) {
        const { Messages = [] } = await aws.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['All'],
          }),
        );
        if (Messages.length === 0) break;
        const records = Messages.map((message) => toSqsRecord(message, queueArn, 'us-east-1'));
        const { batchItemFailures } = await handler(overrides)(records);
        const failed = new Set(batchItemFailures.map((failure) => failure.itemIdentifier));
        for (const record of records.filter((each) => !failed.has(each.messageId))) {
          await aws.sqs.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
          );
        }
      }
      return logs.slice(before);
    },
    async deliverQueued(overrides) {
      const before = logs.length;
      // Both lanes, until a pass over the two finds nothing: as their event source mappings would.
      for (let delivered = true; delivered; ) {
        delivered = false;
        for (const lane of ['standard', 'priority'] as const) {
          if ((await this.deliverLane(lane, overrides)).length > 0) delivered = true;
        }
      }
      return logs.slice(before);
    },
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
  return fixture;
}

export const DAY_MS = 86_400_000;

/** The employee key the worker uses for a test employee (default tenant). */
export const keyOf = (data: { employeeId: string }): string => `default:${data.employeeId}`;

/** A file's worker fixture whose clock jumps ahead before each test: see `datedWorkerFixture`. */
export interface DatedWorkerFixture {
  readonly fx: WorkerFixture;
  /** The current test's start time. */
  readonly start: Date;
  /** Moves the fixture's clock to `offsetMs` after the test's start. */
  at(offsetMs: number): void;
  userOf(data: EmployeeData): User | undefined;
  /** Hires the employee and returns the CPaaS user id. */
  hire(data: EmployeeData): Promise<string | undefined>;
}

/**
 * Registers the hooks of a worker fixture whose clock starts `stepDays` later before each test,
 * so no test shares another's brake window or sees its items fall due. Call at describe level.
 */
export function datedWorkerFixture(firstDay: string, stepDays: number): DatedWorkerFixture {
  let fixture: WorkerFixture | undefined;
  let day = 0;
  let start = new Date(firstDay);
  const fx = () => {
    if (fixture === undefined) throw new Error('the fixture is only ready inside tests');
    return fixture;
  };
  beforeAll(async () => {
    fixture = await workerFixture();
  });
  afterAll(() => fixture?.close());
  beforeEach(() => {
    day += stepDays;
    start = new Date(Date.parse(firstDay) + day * DAY_MS);
    fx().now = start;
  });
  const userOf = (data: EmployeeData) => fx().usersWithEmail(data.workEmail)[0];
  return {
    get fx() {
      return fx();
    },
    get start() {
      return start;
    },
    at(offsetMs) {
      fx().now = new Date(start.getTime() + offsetMs);
    },
    userOf,
    async hire(data) {
      await fx().apply(lifecycleEvent('employee.hired', data));
      return userOf(data)?.id;
    },
  };
}
