import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { queuedCount } from '../../../tools/bench/queued-count.js';
import { InvalidBatchResponseError } from '../../../tools/local/errors.js';
import {
  createLambdaContext,
  failedIdsOf,
  type RunningEventSource,
  startEventSource,
} from '../../../tools/local/event-source.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { until } from '../../support/until.js';

const sqs = new SQSClient(motoClientConfig());
const running: RunningEventSource[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((source) => source.stop()));
});

async function fifoQueuePair(maxReceiveCount: number, visibilityTimeoutSeconds: number) {
  const prefix = uniqueName('esm');
  const dlq = await sqs.send(
    new CreateQueueCommand({ QueueName: `${prefix}-dlq.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  const dlqArn = (
    await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))
  ).Attributes?.QueueArn;
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `${prefix}.fifo`,
      Attributes: {
        FifoQueue: 'true',
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount }),
      },
    }),
  );
  return { queueUrl: queue.QueueUrl as string, dlqUrl: dlq.QueueUrl as string };
}

async function send(queueUrl: string, group: string, body: string): Promise<void> {
  await sqs.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: body,
      MessageGroupId: group,
      MessageDeduplicationId: `${group}-${body}`,
      MessageAttributes: { origin: { DataType: 'String', StringValue: 'test' } },
    }),
  );
}

describe('startEventSource', () => {
  it('delivers a group in order, in Lambda-shaped records, with a counting-down context', async () => {
    const { queueUrl } = await fifoQueuePair(3, 2);
    for (const body of ['a1', 'a2', 'a3', 'a4']) await send(queueUrl, 'employee-a', body);
    const seen: string[] = [];
    const events: SQSEvent[] = [];
    const contexts: Context[] = [];
    running.push(
      await startEventSource({
        sqs,
        queueUrl,
        waitTimeSeconds: 1,
        functionTimeoutMs: 30_000,
        handler: async (event, context) => {
          events.push(event);
          contexts.push(context);
          seen.push(...event.Records.map((record) => record.body));
          return { batchItemFailures: [] };
        },
      }),
    );
    await until(() => seen.length === 4, 'four deliveries');
    expect(seen).toEqual(['a1', 'a2', 'a3', 'a4']);
    const record = events[0]?.Records[0];
    expect(record).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: expect.stringMatching(/^arn:aws:sqs:.*\.fifo$/),
      attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'employee-a' },
      messageAttributes: { origin: { dataType: 'String', stringValue: 'test' } },
    });
    expect(record?.receiptHandle).toBeTruthy();
    expect(Number(record?.attributes.SentTimestamp)).toBeGreaterThan(0);
    const remaining = contexts[0]?.getRemainingTimeInMillis() ?? 0;
    expect(remaining).toBeLessThanOrEqual(30_000);
    expect(remaining).toBeGreaterThan(0);
    // Everything succeeded, so nothing is left on the queue.
    const { Messages = [] } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl }));
    expect(Messages).toHaveLength(0);
  });

  it('deletes the successes and redelivers only the reported failures', async () => {
    const { queueUrl } = await fifoQueuePair(5, 1);
    await send(queueUrl, 'ok', 'ok-1');
    await send(queueUrl, 'flaky', 'flaky-1');
    const deliveries: Array<{ body: string; receiveCount: string }> = [];
    let failedOnce = false;
    running.push(
      await startEventSource({
        sqs,
        queueUrl,
        waitTimeSeconds: 1,
        handler: async (event): Promise<SQSBatchResponse> => {
          const failures = [];
          for (const record of event.Records) {
            deliveries.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
            if (record.body === 'flaky-1' && !failedOnce) {
              failedOnce = true;
              failures.push({ itemIdentifier: record.messageId });
            }
          }
          return { batchItemFailures: failures };
        },
      }),
    );
    await until(() => deliveries.filter((d) => d.body === 'flaky-1').length === 2, 'the redelivery');
    expect(deliveries.filter((d) => d.body === 'ok-1')).toHaveLength(1);
    expect(deliveries.filter((d) => d.body === 'flaky-1').map((d) => d.receiveCount)).toEqual(['1', '2']);
  });

  it('redelivers a failed group in order after the visibility timeout', async () => {
    const { queueUrl } = await fifoQueuePair(5, 1);
    for (const body of ['g1', 'g2', 'g3']) await send(queueUrl, 'group', body);
    const batches: string[][] = [];
    const received: number[] = [];
    running.push(
      await startEventSource({
        sqs,
        queueUrl,
        waitTimeSeconds: 1,
        handler: async (event): Promise<SQSBatchResponse> => {
          batches.push(event.Records.map((record) => record.body));
          received.push(Date.now());
          // The first delivery fails as a whole group, like the worker after an error in g1.
          const failAll = batches.length === 1;
          return {
            batchItemFailures: failAll ? event.Records.map((r) => ({ itemIdentifier: r.messageId })) : [],
          };
        },
      }),
    );
    await until(() => batches.flat().length >= 6, 'six records');
    expect(batches.flat()).toEqual(['g1', 'g2', 'g3', 'g1', 'g2', 'g3']);
    // The retry waited out the visibility timeout (generous bound: this behaviour is a wait).
    expect((received[1] ?? 0) - (received[0] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('keeps a batch that outlives the visibility timeout in flight: no other poller takes it', async () => {
    const { queueUrl } = await fifoQueuePair(5, 1);
    await send(queueUrl, 'group', 'slow');
    const deliveries: string[] = [];
    let finish: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
      deliveries.push(...event.Records.map((record) => record.body));
      await finished;
      return { batchItemFailures: [] };
    };
    for (let poller = 0; poller < 2; poller += 1)
      running.push(await startEventSource({ sqs, queueUrl, waitTimeSeconds: 1, handler }));
    await until(() => deliveries.length >= 1, 'the first delivery');
    // A consumer polling for three times the 1 s visibility timeout while the batch runs: on the
    // stack, whose visibility timeout is 6x the function's, it would find nothing either.
    const probe = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 3, MaxNumberOfMessages: 10 }),
    );
    expect(probe.Messages ?? []).toEqual([]);
    finish();
    await until(async () => (await queuedCount(sqs, queueUrl)) === 0, 'the batch deleted');
    expect(deliveries).toEqual(['slow']);
  });

  it('leaves a message failing every time to the queue redrive, which moves it to the DLQ', async () => {
    const { queueUrl, dlqUrl } = await fifoQueuePair(2, 1);
    await send(queueUrl, 'poison', 'poison-1');
    let attempts = 0;
    running.push(
      await startEventSource({
        sqs,
        queueUrl,
        waitTimeSeconds: 1,
        handler: async () => {
          attempts += 1;
          throw new Error('always fails');
        },
      }),
    );
    let dead: string[] = [];
    await until(() => attempts >= 2, 'a second attempt');
    const deadline = Date.now() + 20_000;
    while (dead.length === 0 && Date.now() < deadline) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlqUrl, WaitTimeSeconds: 1 }),
      );
      dead = Messages.map((message) => message.Body ?? '');
    }
    expect(dead).toEqual(['poison-1']);
    expect(attempts).toBe(2);
  });

  it('stops promptly while long-polling an empty queue', async () => {
    const { queueUrl } = await fifoQueuePair(2, 1);
    const source = await startEventSource({ sqs, queueUrl, waitTimeSeconds: 20, handler: async () => {} });
    await new Promise((resolve) => setTimeout(resolve, 200));
    await expect(source.stop()).resolves.toBeUndefined();
  });
});

describe('failedIdsOf', () => {
  const records = [{ messageId: 'm1' }, { messageId: 'm2' }] as never;

  it('treats an empty or missing response as every message succeeded', () => {
    expect(failedIdsOf(records, undefined).size).toBe(0);
    expect(failedIdsOf(records, { batchItemFailures: [] }).size).toBe(0);
  });

  it('fails the whole batch, as Lambda does, when a reported id is not in the batch', () => {
    expect(() => failedIdsOf(records, { batchItemFailures: [{ itemIdentifier: 'other' }] })).toThrow(
      InvalidBatchResponseError,
    );
  });
});

describe('createLambdaContext', () => {
  it('never reports more time than the configured timeout', () => {
    const context = createLambdaContext('fn', 5_000, 'us-east-1');
    expect(context.getRemainingTimeInMillis()).toBeLessThanOrEqual(5_000);
    expect(context.invokedFunctionArn).toBe('arn:aws:lambda:us-east-1:000000000000:function:fn');
  });
});
