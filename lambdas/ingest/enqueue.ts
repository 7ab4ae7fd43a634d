import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type LifecycleEvent, toQueueMessage } from '../core/events/lifecycle-event.js';
import { QueueUnavailableError } from './errors.js';

/** SQS's limit of entries per SendMessageBatch call. */
export const SQS_BATCH_LIMIT = 10;

/** Puts accepted events on the lifecycle queue; resolves only when SQS has taken every one. */
export interface EventQueue {
  enqueue(events: readonly LifecycleEvent[]): Promise<void>;
}

/**
 * The SQS FIFO implementation: batches of at most 10, group and dedup ids from `toQueueMessage`.
 * Any failed entry or SDK error rejects the whole call with `QueueUnavailableError`, so the handler
 * answers 503 and the HRIS retries the request; entries that did get in are deduplicated on the
 * retry by their MessageDeduplicationId, so a retry neither loses nor doubles an event.
 */
export function sqsEventQueue(client: SQSClient, queueUrl: string): EventQueue {
  async function sendBatch(events: readonly LifecycleEvent[]): Promise<void> {
    let response: SendMessageBatchCommandOutput;
    try {
      response = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: events.map((event, index) => ({ Id: String(index), ...toQueueMessage(event) })),
        }),
      );
    } catch (error) {
      throw new QueueUnavailableError(`SQS SendMessageBatch failed: ${(error as Error).name}`);
    }
    const failed = response.Failed ?? [];
    if (failed.length > 0 || (response.Successful?.length ?? 0) !== events.length) {
      const codes = [...new Set(failed.map((entry) => entry.Code ?? 'unknown'))].join(', ');
      throw new QueueUnavailableError(`SQS refused ${failed.length} of ${events.length} entries (${codes})`);
    }
  }

  return {
    async enqueue(events) {
      // One batch after the other: FIFO order holds within a call and across sequential calls, and
      // one employee's hire and change may sit in different batches of the same request.
      for (let start = 0; start < events.length; start += SQS_BATCH_LIMIT) {
        await sendBatch(events.slice(start, start + SQS_BATCH_LIMIT));
      }
    },
  };
}
