import {
  SendMessageBatchCommand,
  type SendMessageBatchCommandOutput,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { QueuedEvent } from './details-pending-event.js';
import { QueueUnavailableError } from './errors.js';
import type { EventQueue } from './event-queue.js';
import { messageGroupIdFor, toQueueMessage } from './lifecycle-event.js';

/** SQS's limit of entries per SendMessageBatch call. */
export const SQS_BATCH_LIMIT = 10;

/**
 * SendMessageBatch calls one request keeps in flight by default. Ten lanes of 10 entries put 100
 * events on the queue per round trip, so `MAX_EVENTS_PER_REQUEST` events take 10 rounds instead
 * of 100; more lanes than that would only add sockets to a 2-core, 512 MB function.
 */
export const SQS_SEND_LANES = 10;

export interface SqsEventQueueOptions {
  /** Concurrent senders (lanes); 1 sends every batch one after the other. */
  readonly lanes?: number;
}

/**
 * Splits a request's events into at most `lanes` lanes that may be sent at the same time. Each
 * message group (employee) goes whole into one lane, so no two lanes ever hold events of the same
 * employee, and each lane keeps request order; groups are placed largest first on the lane with
 * the fewest events, so one large employee does not leave the other lanes idle behind it. No more
 * lanes than full batches: 25 events go as 3 calls at once, not 10 part-filled ones (SQS bills
 * per call).
 */
export function planLanes(events: readonly QueuedEvent[], lanes: number): QueuedEvent[][] {
  const groups = new Map<string, number>();
  for (const event of events) {
    const group = messageGroupIdFor(event);
    groups.set(group, (groups.get(group) ?? 0) + 1);
  }
  const count = Math.max(1, Math.min(lanes, groups.size, Math.ceil(events.length / SQS_BATCH_LIMIT)));
  const loads = Array.from({ length: count }, () => 0);
  const laneOf = new Map<string, number>();
  for (const [group, size] of [...groups].sort((a, b) => b[1] - a[1])) {
    const lane = loads.indexOf(Math.min(...loads));
    laneOf.set(group, lane);
    loads[lane] = (loads[lane] ?? 0) + size;
  }
  const planned: QueuedEvent[][] = loads.map(() => []);
  for (const event of events) planned[laneOf.get(messageGroupIdFor(event)) ?? 0]?.push(event);
  return planned.filter((lane) => lane.length > 0);
}

/**
 * The SQS FIFO implementation: group and dedup ids from `toQueueMessage`, lanes from `planLanes`
 * sent at once, each lane in batches of at most 10 one after the other, so one employee's hire
 * and change keep their order even when they sit in different batches of the same request.
 *
 * Any failed entry or SDK error rejects the whole call with `QueueUnavailableError`, so the producer
 * answers 503 and its sender retries the request; entries that did get in are deduplicated on the
 * retry by their MessageDeduplicationId, so a retry neither loses nor doubles an event. A lane
 * stops at its first failed batch: sending that group's later events now would put them ahead of
 * the failed ones, which only arrive with the retry. The call rejects only once every lane has
 * settled, so no send is still running after the handler has answered.
 */
export function sqsEventQueue(
  client: SQSClient,
  queueUrl: string,
  options: SqsEventQueueOptions = {},
): EventQueue {
  const lanes = options.lanes ?? SQS_SEND_LANES;

  async function sendBatch(events: readonly QueuedEvent[]): Promise<void> {
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

  async function sendLane(events: readonly QueuedEvent[]): Promise<void> {
    for (let start = 0; start < events.length; start += SQS_BATCH_LIMIT) {
      await sendBatch(events.slice(start, start + SQS_BATCH_LIMIT));
    }
  }

  return {
    async enqueue(events) {
      const settled = await Promise.allSettled(planLanes(events, lanes).map(sendLane));
      const failure = settled.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    },
  };
}
