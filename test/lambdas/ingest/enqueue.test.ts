import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createLifecycleEvent, toQueueMessage } from '../../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../../lambdas/ingest/enqueue.js';
import { QueueUnavailableError } from '../../../lambdas/ingest/errors.js';
import { uniqueName } from '../../support/aws.js';
import {
  countingSqsClient,
  createFifoQueue,
  drainQueue,
  hireEvent,
  rejectionOf,
} from '../../support/ingest-fixture.js';

describe('sqsEventQueue', () => {
  it('sends 25 events in 3 batches with the canonical group and dedup ids', async () => {
    const { client, batchCalls } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const events = Array.from({ length: 25 }, () => hireEvent('acme'));
    await sqsEventQueue(client, queueUrl).enqueue(events);
    expect(batchCalls()).toBe(3);
    const messages = await drainQueue(client, queueUrl);
    expect(
      messages
        .map(({ body, groupId, dedupId }) => ({ body, groupId, dedupId }))
        .sort((a, b) => a.body.localeCompare(b.body)),
    ).toEqual(
      events
        .map((event) => toQueueMessage(event))
        .map((message) => ({
          body: message.MessageBody,
          groupId: message.MessageGroupId,
          dedupId: message.MessageDeduplicationId,
        }))
        .sort((a, b) => a.body.localeCompare(b.body)),
    );
  });

  it("keeps one employee's events in request order across batches", async () => {
    const { client } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const hire = hireEvent('acme', { employeeId: 'ordered-1' });
    const changes = Array.from({ length: 14 }, (_, index) =>
      createLifecycleEvent({
        type: 'employee.changed',
        source: 'test',
        tenant: 'acme',
        id: `change-${index}`,
        data: {
          employeeId: 'ordered-1',
          workEmail: 'ordered-1@example.com',
          firstName: 'Ada',
          lastName: `Name${index}`,
        },
      }),
    );
    await sqsEventQueue(client, queueUrl).enqueue([hire, ...changes]);
    const received = (await drainQueue(client, queueUrl)).map((message) => JSON.parse(message.body).id);
    expect(received).toEqual([hire.id, ...changes.map((event) => event.id)]);
  });

  it('rejects with QueueUnavailableError when SQS answers with an error', async () => {
    const { client } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const missing = queueUrl.replace(/[^/]+$/, `${uniqueName('absent')}.fifo`);
    await expect(sqsEventQueue(client, missing).enqueue([hireEvent()])).rejects.toBeInstanceOf(
      QueueUnavailableError,
    );
  });

  // moto only fails single entries for a bad DelaySeconds, which this code never sets, so the
  // partial-failure answer SQS gives under throttling is replayed with aws-sdk-client-mock.
  it('rejects with QueueUnavailableError when SQS takes some entries of a batch but not all', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }],
    });
    try {
      const queue = sqsEventQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs.invalid/1/q.fifo');
      const error = await rejectionOf(queue.enqueue([hireEvent(), hireEvent()]));
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect(error.message).toBe('SQS refused 1 of 2 entries (InternalError)');
    } finally {
      sqs.restore();
    }
  });
});
