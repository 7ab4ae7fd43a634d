import type { HrApiSource } from '../../contract/settings.js';
import { createDetailsPendingEvent, type QueuedEvent } from '../../core/events/details-pending-event.js';
import { createLifecycleEvent } from '../../core/events/lifecycle-event.js';

/**
 * What a notification of an HR API source (BambooHR, HiBob, Personio, Gusto) says happened to a
 * person, before the worker fetches the record. `leaving`: a change the provider says may end
 * access, which goes on the priority lane; the fetched record still decides whether it is a
 * termination. `deleted`: the record is gone.
 */
export type HrNotificationKind = 'hired' | 'changed' | 'leaving' | 'deleted';

export interface HrNotification {
  readonly kind: HrNotificationKind;
  /** The provider, as the event's `source` and the API the worker fetches the record from. */
  readonly source: HrApiSource;
  readonly employeeId: string;
  /** The source's dedup id: the same for every retry of one notification. */
  readonly id: string;
  readonly time: string;
  /** For the logs only: the worker fetches what it needs. */
  readonly changedFields?: readonly string[];
}

/**
 * The one queued event of a notification: a deletion is a termination at once, as there is no
 * record left to fetch and the notification itself says the person is gone; anything else is a
 * details-pending hire or change that the worker completes from the provider's API.
 */
export function notificationEvent(notification: HrNotification): QueuedEvent {
  const { kind, source, employeeId, id, time, changedFields } = notification;
  if (kind === 'deleted') {
    return createLifecycleEvent({ id, source, time, type: 'employee.terminated', data: { employeeId } });
  }
  return createDetailsPendingEvent({
    id,
    source,
    time,
    type: kind === 'hired' ? 'employee.hired' : 'employee.changed',
    detailsFrom: source,
    employeeId,
    ...(changedFields === undefined ? {} : { changedFields }),
    ...(kind === 'leaving' ? { mayRevokeAccess: true } : {}),
  });
}
