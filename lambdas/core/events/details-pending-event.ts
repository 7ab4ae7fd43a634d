import { randomUUID } from 'node:crypto';
import { HR_API_SOURCES, type HrApiSource } from '../../contract/settings.js';
import * as z from '../validation/zod.js';
import {
  envelope,
  invalidLifecycleEvent,
  LIFECYCLE_DATA_SCHEMA,
  type LifecycleEvent,
  validateLifecycleEvent,
} from './lifecycle-event.js';

/**
 * A lifecycle event whose person is still at the HR system: what ingest queues for a provider
 * whose webhook carries only an employee id and the names of changed fields (BambooHR, HiBob,
 * Personio, Gusto). Ingest never calls the HR API, so it answers within the providers' deadlines
 * whatever the API does; the worker fetches the person before converge and turns this into a
 * complete `LifecycleEvent` (`resolveEmployeeDetails`).
 *
 * Same envelope and `dataschema` v1 as every event, plus the CloudEvents extension attribute
 * `detailsfrom` (the source whose API holds the person); complete events never carry it, so every
 * event valid before stays valid and means what it meant.
 */

/** What the webhook said; the fetched record decides the rest (a change may turn out to be a termination). */
export const PENDING_EVENT_TYPES = ['employee.hired', 'employee.changed'] as const;

export const DetailsPendingDataSchema = z.strictObject({
  employeeId: envelope.subject,
  /** The provider's names of the fields that changed, kept for the logs; the worker fetches all it needs. */
  changedFields: z.optional(z.array(z.string().check(z.maxLength(128))).check(z.maxLength(200))),
  /**
   * The webhook names a change that may end the person's access (a lifecycle "left" event, a
   * status or termination-date field), so the event travels on the priority lane: a leaver is
   * revoked without waiting behind a backlog. Only a routing hint: the fetched record still decides
   * whether it is a termination.
   */
  mayRevokeAccess: z.optional(z.literal(true)),
});

export const DetailsPendingEventSchema = z
  .strictObject({
    ...envelope,
    type: z.enum(PENDING_EVENT_TYPES),
    detailsfrom: z.enum(HR_API_SOURCES),
    data: DetailsPendingDataSchema,
  })
  .check(
    z.refine((event) => event.subject === event.data.employeeId, {
      message: 'subject must equal data.employeeId',
      path: ['subject'],
    }),
  );

export type DetailsPendingEvent = z.infer<typeof DetailsPendingEventSchema>;

/** Anything that travels on the lifecycle queues. */
export type QueuedEvent = LifecycleEvent | DetailsPendingEvent;

export function isDetailsPending(event: QueuedEvent): event is DetailsPendingEvent {
  return 'detailsfrom' in event;
}

export interface CreateDetailsPendingEventInput {
  readonly type: DetailsPendingEvent['type'];
  readonly detailsFrom: HrApiSource;
  readonly employeeId: string;
  readonly changedFields?: readonly string[];
  /** See `DetailsPendingDataSchema`'s `mayRevokeAccess`. */
  readonly mayRevokeAccess?: boolean;
  readonly source: string;
  readonly id?: string;
  readonly time?: string;
  readonly tenant?: string;
}

/** Builds (and validates) a details-pending event; pass the provider's delivery id as `id` (dedup). */
export function createDetailsPendingEvent(input: CreateDetailsPendingEventInput): DetailsPendingEvent {
  const value = {
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    source: input.source,
    type: input.type,
    time: input.time ?? new Date().toISOString(),
    subject: input.employeeId,
    datacontenttype: 'application/json',
    dataschema: LIFECYCLE_DATA_SCHEMA,
    ...(input.tenant === undefined ? {} : { tenant: input.tenant }),
    detailsfrom: input.detailsFrom,
    data: {
      employeeId: input.employeeId,
      ...(input.changedFields === undefined ? {} : { changedFields: [...input.changedFields] }),
      ...(input.mayRevokeAccess === true ? { mayRevokeAccess: true } : {}),
    },
  };
  const result = DetailsPendingEventSchema.safeParse(value);
  if (!result.success) throw invalidLifecycleEvent(result.error);
  return result.data;
}

/**
 * Validates a parsed queue message: a details-pending event when it names `detailsfrom`, a
 * complete event otherwise, so a complete event's errors are reported as before.
 */
export function validateQueuedEvent(value: unknown): QueuedEvent {
  if (typeof value !== 'object' || value === null || !('detailsfrom' in value)) {
    return validateLifecycleEvent(value);
  }
  const result = DetailsPendingEventSchema.safeParse(value);
  if (!result.success) throw invalidLifecycleEvent(result.error);
  return result.data;
}
