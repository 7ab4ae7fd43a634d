/** An event that takes effect later: kept until the sweep re-queues it at `dueAt`. */
export interface ScheduledEvent {
  readonly employeeKey: string;
  readonly eventId: string;
  /** The event's own `time`, normalised: the latest event for an employee wins. */
  readonly eventTime: string;
  /** Normalised ISO time from `data.effectiveAt`. */
  readonly dueAt: string;
  /** The canonical event JSON, re-queued unchanged. */
  readonly body: string;
}

/**
 * Pending future-dated events, at most one per employee (`schedule#<employee>`): a newer event,
 * future-dated or not, replaces or cancels an older pending one, so a rehire or a withdrawn
 * termination stops a scheduled deprovisioning.
 */
export interface ScheduleStore {
  /** Stores it unless a newer event is already pending; false then. */
  schedule(event: ScheduledEvent): Promise<boolean>;
  get(employeeKey: string): Promise<ScheduledEvent | undefined>;
  /** Removes the pending event if it is still `eventId` (not replaced meanwhile). */
  remove(employeeKey: string, eventId: string): Promise<boolean>;
  /** Every pending event due at or before `now`, oldest first. */
  listDue(now: Date): AsyncIterable<ScheduledEvent>;
}
