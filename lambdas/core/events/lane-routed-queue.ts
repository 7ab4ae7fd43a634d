import type { SQSClient } from '@aws-sdk/client-sqs';
import type { QueuedEvent } from './details-pending-event.js';
import type { EventQueue } from './event-queue.js';
import { LANES, type Lane, type LaneQueueUrls, laneFor } from './lane.js';
import { sqsEventQueue } from './sqs-event-queue.js';

/**
 * Routes each event to its lane's queue (`laneFor`), keeping the order of a request within each
 * lane. The lanes are sent at once: a termination does not wait for a large request's hires to be
 * queued. Resolves only when every lane took its events; if one lane fails the call rejects (the
 * handler answers 503), and the retry's deduplication ids keep the lane that did succeed from
 * doubling. Order across lanes is not the queues' job: the worker's event-time guard keeps it.
 */
export function laneRoutedQueue(queues: Readonly<Record<Lane, EventQueue>>): EventQueue {
  return {
    async enqueue(events) {
      const byLane = new Map<Lane, QueuedEvent[]>(LANES.map((lane) => [lane, []]));
      for (const event of events) byLane.get(laneFor(event))?.push(event);
      await Promise.all(
        [...byLane]
          .filter(([, queued]) => queued.length > 0)
          .map(([lane, queued]) => queues[lane].enqueue(queued)),
      );
    },
  };
}

/** The SQS FIFO queues of both lanes behind one `EventQueue`: what ingest, SCIM and reconcile put events on. */
export function sqsLaneRoutedQueue(client: SQSClient, urls: LaneQueueUrls): EventQueue {
  return laneRoutedQueue({
    standard: sqsEventQueue(client, urls.standard),
    priority: sqsEventQueue(client, urls.priority),
  });
}
