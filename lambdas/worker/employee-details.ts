import { isDetailsPending, type QueuedEvent } from '../core/events/details-pending-event.js';
import type { LifecycleEvent } from '../core/events/lifecycle-event.js';
import { completeEvent, type EmployeeDetailsFetchers, fetcherFor } from '../core/hris/employee-details.js';

/**
 * The complete event converge applies: a details-pending event is completed from the HR API
 * (retried with backoff inside `deadline`), any other event is returned as it is. A fetch that
 * fails throws: transient errors make SQS redeliver the message (its FIFO group waits, so the
 * employee's later events stay behind it) and the last attempt dead-letters it with the reason;
 * a 404 is permanent. Nothing here ever turns a failed fetch into a termination.
 */
export async function withEmployeeDetails(
  event: QueuedEvent,
  fetchers: EmployeeDetailsFetchers,
  deadline: number,
): Promise<LifecycleEvent> {
  if (!isDetailsPending(event)) return event;
  const details = await fetcherFor(fetchers, event.detailsfrom).fetch(event.subject, {
    deadline,
    ...(event.tenant === undefined ? {} : { tenant: event.tenant }),
  });
  return completeEvent(event, details);
}
