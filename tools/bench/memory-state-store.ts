import { UserLinkedElsewhereError } from '../../lambdas/core/converge/errors.js';
import type { EmployeeLeases } from '../../lambdas/core/state/employee-lease.js';
import type { ScheduledEvent, ScheduleStore } from '../../lambdas/core/state/schedule-store.js';
import type {
  EmployeeLink,
  ProcessedEvent,
  SaveLinkOptions,
  StateStore,
} from '../../lambdas/core/state/state-store.js';

/**
 * The state table in a Map, with the same conditional-write rule as `DynamoStateStore`: run side
 * by side with it, it shows how much of the worker's time is the worker and how much is moto.
 */
export class MemoryStateStore implements StateStore {
  readonly #links = new Map<string, EmployeeLink>();
  readonly #processed = new Set<string>();
  readonly #claims = new Map<string, string>();

  async getLink(employeeKey: string): Promise<EmployeeLink | undefined> {
    return this.#links.get(employeeKey);
  }

  async saveLink(
    link: EmployeeLink,
    processed?: ProcessedEvent,
    options?: SaveLinkOptions,
  ): Promise<boolean> {
    const current = this.#links.get(link.employeeKey);
    if (current !== undefined && current.lastEventTime > link.lastEventTime) return false;
    const claimed = options?.claimUser === true ? link.cpaasUserId : undefined;
    if (claimed !== undefined) {
      const owner = this.#claims.get(claimed);
      if (owner !== undefined && owner !== link.employeeKey)
        throw new UserLinkedElsewhereError(claimed, owner);
      this.#claims.set(claimed, link.employeeKey);
    }
    this.#links.set(link.employeeKey, link);
    if (processed !== undefined) this.#processed.add(`${link.employeeKey}|${processed.eventId}`);
    return true;
  }

  async isProcessed(employeeKey: string, eventId: string): Promise<boolean> {
    return this.#processed.has(`${employeeKey}|${eventId}`);
  }

  async markProcessed(employeeKey: string, eventId: string): Promise<void> {
    this.#processed.add(`${employeeKey}|${eventId}`);
  }

  async *listLinks(): AsyncIterable<EmployeeLink> {
    yield* this.#links.values();
  }
}

/** Pending schedules in a Map, so the in-memory worker reads nothing from moto per event. */
export class MemoryScheduleStore implements ScheduleStore {
  readonly #pending = new Map<string, ScheduledEvent>();

  async schedule(event: ScheduledEvent): Promise<boolean> {
    const current = this.#pending.get(event.employeeKey);
    if (current !== undefined && current.eventTime > event.eventTime) return false;
    this.#pending.set(event.employeeKey, event);
    return true;
  }

  async get(employeeKey: string): Promise<ScheduledEvent | undefined> {
    return this.#pending.get(employeeKey);
  }

  async remove(employeeKey: string, eventId: string): Promise<boolean> {
    if (this.#pending.get(employeeKey)?.eventId !== eventId) return false;
    return this.#pending.delete(employeeKey);
  }

  async *listDue(now: Date): AsyncIterable<ScheduledEvent> {
    const due = [...this.#pending.values()].filter((event) => new Date(event.dueAt) <= now);
    yield* due.sort((a, b) => a.dueAt.localeCompare(b.dueAt));
  }
}

/** Employee leases in one process: each employee's work chained after the previous one's. */
export class MemoryEmployeeLeases implements EmployeeLeases {
  readonly #tails = new Map<string, Promise<unknown>>();

  async withLease<T>(employeeKey: string, _deadline: number, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(employeeKey) ?? Promise.resolve();
    const run = previous.catch(() => {}).then(work);
    this.#tails.set(employeeKey, run);
    try {
      return await run;
    } finally {
      if (this.#tails.get(employeeKey) === run) this.#tails.delete(employeeKey);
    }
  }
}
