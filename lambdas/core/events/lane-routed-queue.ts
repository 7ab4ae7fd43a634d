import type { SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULTS } from '../../contract/settings.js';
import { DEFAULT_TENANT_ID } from '../../contract/tenants.js';
import { type BurstMeter, createBurstMeter } from './burst-meter.js';
import type { QueuedEvent } from './details-pending-event.js';
import type { EventQueue } from './event-queue.js';
import { type EventLane, type LaneQueueUrls, laneFor } from './lane.js';
import { sqsEventQueue } from './sqs-event-queue.js';

/** The bulk lane's queue and the meter that sends a tenant's overflow there. */
export interface BulkLane {
  readonly queue: EventQueue;
  readonly meter: BurstMeter;
}

/**
 * Routes each event to its lane's queue (`laneFor`, then a standard-lane event beyond its tenant's
 * burst allowance to `bulk`), keeping the order of a request within each lane. The lanes are sent
 * at once: a termination does not wait for a large request's hires to be queued. Resolves only
 * when every lane took its events; if one lane fails the call rejects (the handler answers 503),
 * and the retry's deduplication ids keep the lane that did succeed from doubling. Order across
 * lanes is not the queues' job: the worker's event-time guard keeps it.
 */
export function laneRoutedQueue(
  queues: Readonly<Record<EventLane, EventQueue>>,
  bulk?: BulkLane,
): EventQueue {
  const queueOf = (event: QueuedEvent): EventQueue => {
    const lane = laneFor(event);
    const overflows =
      lane === 'standard' && bulk !== undefined && !bulk.meter.take(event.tenant ?? DEFAULT_TENANT_ID);
    return overflows ? bulk.queue : queues[lane];
  };
  return {
    async enqueue(events) {
      const byQueue = new Map<EventQueue, QueuedEvent[]>();
      for (const event of events) {
        const queue = queueOf(event);
        const queued = byQueue.get(queue);
        if (queued === undefined) byQueue.set(queue, [event]);
        else queued.push(event);
      }
      await Promise.all([...byQueue].map(([queue, queued]) => queue.enqueue(queued)));
    },
  };
}

/**
 * The SQS FIFO queues of the lanes behind one `EventQueue`: what ingest, SCIM and reconcile put
 * events on. With a bulk lane URL, one meter per call (per process: make it once) decides overflow.
 */
export function sqsLaneRoutedQueue(client: SQSClient, urls: LaneQueueUrls): EventQueue {
  return laneRoutedQueue(
    { standard: sqsEventQueue(client, urls.standard), priority: sqsEventQueue(client, urls.priority) },
    urls.bulk === undefined
      ? undefined
      : { queue: sqsEventQueue(client, urls.bulk), meter: createBurstMeter(DEFAULTS.burstAllowance) },
  );
}
