import type { QueuedEvent } from './details-pending-event.js';

/**
 * The lifecycle queues. Revoking a leaver's access is the security control this project exists
 * for, so it must never wait behind a backlog of hires and changes: events that remove access
 * travel on the `priority` lane, a FIFO queue of its own with its own event source mapping and
 * reserved capacity; everything else on the `standard` lane, except what a tenant sends beyond
 * its burst allowance (`BurstMeter`): that goes on the `bulk` lane, so one tenant's import does not
 * queue ahead of every other tenant's next hire. Order per employee across the lanes is kept by
 * the worker's event-time guard, not by the queues (see docs/worker.md).
 */
export const LANES = ['standard', 'priority', 'bulk'] as const;
export type Lane = (typeof LANES)[number];

/** The lane an event's kind picks; `bulk` is the standard lane's overflow, picked by a producer's meter. */
export type EventLane = Exclude<Lane, 'bulk'>;

/**
 * One queue URL per lane: what every producer needs to route an event. A producer without the
 * bulk lane's URL (the sweep, `holds release`) puts everything on the other two.
 */
export type LaneQueueUrls = Readonly<Record<EventLane, string>> & { readonly bulk?: string };

/** The lane queue URLs a function's settings (`<x>SettingsFromEnv`) name, the bulk lane's if set. */
export function laneQueueUrlsOf(settings: {
  readonly queueUrl: string;
  readonly priorityQueueUrl: string;
  readonly bulkQueueUrl?: string;
}): LaneQueueUrls {
  return {
    standard: settings.queueUrl,
    priority: settings.priorityQueueUrl,
    ...(settings.bulkQueueUrl === undefined ? {} : { bulk: settings.bulkQueueUrl }),
  };
}

/** What routing looks at: the type, and a details-pending event's hint that it may end access. */
export type Routed = Pick<QueuedEvent, 'type'> & { readonly data?: object };

/**
 * The lane an event travels on: a termination (it removes access) on `priority`, and so is a
 * details-pending change its webhook says may end access (a leaver whose record the worker still
 * fetches); the rest on `standard`.
 */
export function laneFor(event: Routed): EventLane {
  if (event.type === 'employee.terminated') return 'priority';
  return event.data !== undefined && 'mayRevokeAccess' in event.data && event.data.mayRevokeAccess === true
    ? 'priority'
    : 'standard';
}

/** The queue URL of the event's lane. */
export function queueUrlFor(urls: LaneQueueUrls, event: Routed): string {
  return urls[laneFor(event)];
}
