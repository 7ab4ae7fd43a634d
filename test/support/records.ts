import { randomUUID } from 'node:crypto';
import type { Context, SQSRecord } from 'aws-lambda';
import type { QueuedEvent } from '../../lambdas/core/events/details-pending-event.js';
import { toQueueMessage } from '../../lambdas/core/events/lifecycle-event.js';

/** An SQS record as Lambda delivers it from a FIFO queue. */
export function sqsRecord(body: string, groupId: string, receiveCount = 1): SQSRecord {
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: String(Date.now()),
      SenderId: 'test',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: groupId,
      MessageDeduplicationId: randomUUID(),
      SequenceNumber: '1',
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:test.fifo',
    awsRegion: 'us-east-1',
  };
}

/** The record the queue would deliver for a canonical event. */
export function eventRecord(event: QueuedEvent, receiveCount = 1): SQSRecord {
  const message = toQueueMessage(event);
  return sqsRecord(message.MessageBody, message.MessageGroupId, receiveCount);
}

/** A Lambda context whose remaining time is whatever `remainingMs` says when asked. */
export function lambdaContext(remainingMs: () => number = () => 60_000): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'worker',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:worker',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/worker',
    logStreamName: 'stream',
    getRemainingTimeInMillis: remainingMs,
    done() {},
    fail() {},
    succeed() {},
  };
}
