import type { LifecycleEvent } from './lifecycle-event.js';

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

/** The lane an event travels on: a termination (it removes access) on `priority`, the rest on `standard`. */
export function laneFor(event: Pick<LifecycleEvent, 'type'>): Lane {
  return event.type === 'employee.terminated' ? 'priority' : 'standard';
}

/** The queue URL of the event's lane. */
export function queueUrlFor(urls: LaneQueueUrls, event: Pick<LifecycleEvent, 'type'>): string {
  return urls[laneFor(event)];
}
