/** A termination the deletion brake held: kept whole so a release re-sends exactly what arrived. */
export interface HeldTermination {
  readonly employeeKey: string;
  readonly eventId: string;
  /** The canonical event JSON as it was queued. */
  readonly body: string;
  /** ISO time the brake held it. */
  readonly heldAt: string;
  /** The window's count and threshold when it was held, for the operator. */
  readonly recent: number;
  readonly limit: number;
}

/** Held terminations (state table items `hold#<employee>#<event id>`); nothing held is lost. */
export interface HoldStore {
  /** Idempotent: holding the same event again (a redelivery) keeps one hold. */
  hold(held: HeldTermination): Promise<void>;
  list(): AsyncIterable<HeldTermination>;
  remove(employeeKey: string, eventId: string): Promise<void>;
}
