import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { DEFAULTS, SERVICE_NAMES } from '../../lambdas/contract/settings.js';
import { HandlerTimeoutError, InvalidBatchResponseError } from './errors.js';

/** The worker's signature: an SQS-triggered Lambda handler with partial batch responses. */
export type SqsBatchHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | undefined>;

/** What happened to one batch, for the local mode's human-readable log. */
export interface BatchReport {
  readonly records: readonly SQSRecord[];
  /** Message ids left on the queue to come back after the visibility timeout. */
  readonly failedMessageIds: ReadonlySet<string>;
  /** Set when the whole batch failed: the handler threw, timed out or answered an unknown id. */
  readonly error?: Error;
  readonly durationMs: number;
}

export interface EventSourceOptions {
  readonly sqs: SQSClient;
  readonly queueUrl: string;
  readonly handler: SqsBatchHandler;
  /** Lambda allows at most 10 for FIFO queues. */
  readonly batchSize?: number;
  /** Long-poll wait per ReceiveMessage (0..20 s). */
  readonly waitTimeSeconds?: number;
  /** The Lambda timeout the handler's Context counts down from. */
  readonly functionTimeoutMs?: number;
  readonly functionName?: string;
  readonly region?: string;
  readonly onBatch?: (report: BatchReport) => void;
  /** Receive or delete failed (e.g. the endpoint went away); polling goes on after a pause. */
  readonly onPollError?: (error: Error) => void;
  /** A receive answered (with or without messages): the endpoint is reachable again. */
  readonly onPollOk?: () => void;
}

export interface RunningEventSource {
  /** Stops polling, waits for the batch in flight to finish, and resolves. */
  stop(): Promise<void>;
}

function toLambdaAttribute(value: MessageAttributeValue): SQSMessageAttributes[string] {
  return {
    dataType: value.DataType ?? 'String',
    ...(value.StringValue === undefined ? {} : { stringValue: value.StringValue }),
    ...(value.BinaryValue === undefined
      ? {}
      : { binaryValue: Buffer.from(value.BinaryValue).toString('base64') }),
    stringListValues: value.StringListValues ?? [],
    binaryListValues: (value.BinaryListValues ?? []).map((item) => Buffer.from(item).toString('base64')),
  };
}

/**
 * One SQS message as Lambda delivers it: the same field names, attribute casing and base64
 * binary values, so the handler cannot tell the local mode from the real event source mapping.
 */
export function toSqsRecord(message: Message, queueArn: string, region: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    messageAttributes[name] = toLambdaAttribute(value);
  }
  return {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      ...(attributes.SequenceNumber === undefined ? {} : { SequenceNumber: attributes.SequenceNumber }),
      ...(attributes.MessageGroupId === undefined ? {} : { MessageGroupId: attributes.MessageGroupId }),
      ...(attributes.MessageDeduplicationId === undefined
        ? {}
        : { MessageDeduplicationId: attributes.MessageDeduplicationId }),
    },
    messageAttributes,
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes === undefined
      ? {}
      : { md5OfMessageAttributes: message.MD5OfMessageAttributes }),
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
}

/** A Lambda Context whose remaining time counts down from the configured timeout, like the real one. */
export function createLambdaContext(functionName: string, timeoutMs: number, region: string): Context {
  const deadline = Date.now() + timeoutMs;
  const unsupported = () => {
    throw new Error('callback-style completion is not supported; return a promise');
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/${randomUUID()}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported,
    fail: unsupported,
    succeed: unsupported,
  };
}

/**
 * Which messages Lambda would delete after the handler answered: all of them for an empty
 * response, none when the response names an id that is not in the batch.
 */
export function failedIdsOf(
  records: readonly SQSRecord[],
  response: SQSBatchResponse | undefined,
): Set<string> {
  const failures = response?.batchItemFailures ?? [];
  const ids = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    if (!failure.itemIdentifier || !ids.has(failure.itemIdentifier)) {
      throw new InvalidBatchResponseError(
        `batchItemFailures names "${failure.itemIdentifier}", which is not in the batch`,
      );
    }
    failed.add(failure.itemIdentifier);
  }
  return failed;
}

async function invokeWithTimeout(
  handler: SqsBatchHandler,
  event: SQSEvent,
  context: Context,
  timeoutMs: number,
): Promise<SQSBatchResponse | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new HandlerTimeoutError(`handler did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([handler(event, context), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const POLL_ERROR_PAUSE_MS = 1_000;
const RELEASE_SLACK_SECONDS = 5;

/**
 * Emulates Lambda's SQS event source mapping, which moto cannot run: long-polls the queue,
 * hands each batch to the handler as a real-shaped `SQSEvent`, deletes what succeeded and leaves
 * the reported failures in flight, so they come back after the visibility timeout and the
 * queue's own RedrivePolicy moves them to the DLQ after `maxReceiveCount` receives. One batch
 * at a time per poller (start several for a mapping's concurrency): a FIFO group's next messages
 * are not delivered while it has messages in flight, as with Lambda.
 */
export async function startEventSource(options: EventSourceOptions): Promise<RunningEventSource> {
  const { sqs, queueUrl, handler } = options;
  const batchSize = Math.min(options.batchSize ?? DEFAULTS.batchSize, 10);
  const waitTimeSeconds = options.waitTimeSeconds ?? 2;
  const timeoutMs = options.functionTimeoutMs ?? DEFAULTS.workerTimeoutSeconds * 1000;
  const functionName = options.functionName ?? SERVICE_NAMES.worker;
  const region = options.region ?? (await sqs.config.region());
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn', 'VisibilityTimeout'] }),
  );
  const queueArn = Attributes?.QueueArn ?? queueUrl;
  const visibilityTimeoutMs = Number(Attributes?.VisibilityTimeout ?? 30) * 1000;
  const stopping = new AbortController();
  const held = new Map<NodeJS.Timeout, SQSRecord[]>();

  const setVisibility = async (records: readonly SQSRecord[], seconds: number) => {
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: queueUrl,
        Entries: records.map((record, index) => ({
          Id: String(index),
          ReceiptHandle: record.receiptHandle,
          VisibilityTimeout: seconds,
        })),
      }),
    );
  };
  /**
   * moto 5 gets FIFO order wrong when several in-flight messages of one group time out together:
   * it delivers the group's last message first. So failures are kept invisible a little longer
   * than the visibility timeout and released together (visibility 0) when it ends, which moto
   * handles in order. The timing users see is the same: a failure reappears after the timeout.
   */
  const holdFailures = async (records: readonly SQSRecord[]) => {
    await setVisibility(records, Math.ceil(visibilityTimeoutMs / 1000) + RELEASE_SLACK_SECONDS);
    const timer = setTimeout(() => {
      held.delete(timer);
      setVisibility(records, 0).catch((error: Error) => options.onPollError?.(error));
    }, visibilityTimeoutMs);
    held.set(timer, [...records]);
  };

  const pollOnce = async (): Promise<void> => {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: batchSize,
        WaitTimeSeconds: waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: stopping.signal },
    );
    if (Messages.length === 0) return;
    const records = Messages.map((message) => toSqsRecord(message, queueArn, region));
    const started = Date.now();
    // The stack's visibility timeout is 6x the function timeout, so a batch never reappears while
    // its invocation runs; locally it is short, for quick retries. A batch still running at half of
    // it is kept invisible for the function timeout, so no other poller takes the same messages
    // beside it (and moto never times out one group's in-flight messages together, see above).
    let extending: Promise<void> | undefined;
    const stayInFlight = setTimeout(() => {
      // Fails only when the batch ended meanwhile: nothing left in flight to keep.
      extending = setVisibility(records, Math.ceil(timeoutMs / 1000) + RELEASE_SLACK_SECONDS).catch(() => {});
    }, visibilityTimeoutMs / 2);
    let failed: Set<string>;
    let error: Error | undefined;
    try {
      const context = createLambdaContext(functionName, timeoutMs, region);
      const response = await invokeWithTimeout(handler, { Records: records }, context, timeoutMs);
      failed = failedIdsOf(records, response);
    } catch (caught) {
      error = caught instanceof Error ? caught : new Error(String(caught));
      failed = new Set(records.map((record) => record.messageId));
    } finally {
      clearTimeout(stayInFlight);
      // Settled before the deletes and the failures' hold, so it never overrides their visibility.
      await extending;
    }
    const succeeded = records.filter((record) => !failed.has(record.messageId));
    if (succeeded.length > 0) {
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: succeeded.map((record, index) => ({
            Id: String(index),
            ReceiptHandle: record.receiptHandle,
          })),
        }),
      );
    }
    if (failed.size > 0) await holdFailures(records.filter((record) => failed.has(record.messageId)));
    options.onBatch?.({
      records,
      failedMessageIds: failed,
      durationMs: Date.now() - started,
      ...(error === undefined ? {} : { error }),
    });
  };

  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        await pollOnce();
        options.onPollOk?.();
      } catch (error) {
        if (stopping.signal.aborted) return;
        options.onPollError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, POLL_ERROR_PAUSE_MS));
      }
    }
  })();

  return {
    async stop() {
      stopping.abort();
      await loop;
      // Held failures become visible at once for the next consumer instead of after the slack.
      const pending = [...held.entries()];
      held.clear();
      for (const [timer] of pending) clearTimeout(timer);
      await Promise.allSettled(pending.map(([, records]) => setVisibility(records, 0)));
    },
  };
}
