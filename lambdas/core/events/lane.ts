import type { QueuedEvent } from './details-pending-event.js';

/**
 * The two lifecycle queues. Revoking a leaver's access is the security control this project
 * exists for, so it must never wait behind a backlog of hires and changes: events that remove
 * access travel on the `priority` lane, a FIFO queue of its own with its own event source mapping
 * and reserved capacity; everything else on the `standard` lane. Order per employee across the two
 * lanes is kept by the worker's event-time guard, not by the queues (see docs/worker.md).
 */
export const LANES = ['standard', 'priority'] as const;
export type Lane = (typeof LANES)[number];

/** One queue URL per lane: what every producer needs to route an event. */
export type LaneQueueUrls = Readonly<Record<Lane, string>>;

/** What routing looks at: the type, and a details-pending event's hint that it may end access. */
export type Routed = Pick<QueuedEvent, 'type'> & { readonly data?: object };

/**
 * The lane an event travels on: a termination (it removes access) on `priority`, and so is a
 * details-pending change its webhook says may end access (a leaver whose record the worker still
 * fetches); the rest on `standard`.
 */
export function laneFor(event: Routed): Lane {
  if (event.type === 'employee.terminated') return 'priority';
  return event.data !== undefined && 'mayRevokeAccess' in event.data && event.data.mayRevokeAccess === true
    ? 'priority'
    : 'standard';
}

/** The queue URL of the event's lane. */
export function queueUrlFor(urls: LaneQueueUrls, event: Routed): string {
  return urls[laneFor(event)];
}
