import { UserLinkedElsewhereError } from '../../lambdas/core/converge/errors.js';
import type { EmployeeState, EventRef, SaveOptions } from '../../lambdas/core/state/employee-state.js';
import type { ScheduledEvent, ScheduleStore } from '../../lambdas/core/state/schedule-store.js';
import type { EmployeeLink, StateStore } from '../../lambdas/core/state/state-store.js';

/**
 * The state table in a Map, with the same rules as `DynamoStateStore` (time guard, one claim per
 * user, one event per employee at a time): run side by side with it, it shows how much of the
 * worker's time is the worker and how much is moto. In one process the employee is simply held
 * from `begin` to `close`, so no write is ever refused for a change made meanwhile.
 */
export class MemoryStateStore implements StateStore {
  readonly #links = new Map<string, EmployeeLink>();
  readonly #processed = new Set<string>();
  readonly #claims = new Map<string, string>();
  readonly #tails = new Map<string, Promise<void>>();

  async begin(employeeKey: string, event: EventRef): Promise<EmployeeState> {
    const previous = this.#tails.get(employeeKey) ?? Promise.resolve();
    let close: () => void = () => {};
    const tail = new Promise<void>((resolve) => {
      close = resolve;
    });
    this.#tails.set(employeeKey, tail);
    await previous;
    const record = () => this.#processed.add(`${employeeKey}|${event.id}`);
    return {
      link: this.#links.get(employeeKey),
      processed: await this.isProcessed(employeeKey, event.id),
      schedulePending: true,
      noteSchedule: () => {},
      lock: async () => true,
      save: async (link, options) => this.#save(link, options, record),
      record: async () => Boolean(record()),
      markSchedulePending: async () => true,
      close: async () => {
        if (this.#tails.get(employeeKey) === tail) this.#tails.delete(employeeKey);
        close();
      },
    };
  }

  #save(link: EmployeeLink, options: SaveOptions = {}, record: () => void): boolean {
    const current = this.#links.get(link.employeeKey);
    if (current !== undefined && current.lastEventTime > link.lastEventTime) return false;
    const claimed = options.claimUser === true ? link.cpaasUserId : undefined;
    if (claimed !== undefined) {
      const owner = this.#claims.get(claimed);
      if (owner !== undefined && owner !== link.employeeKey)
        throw new UserLinkedElsewhereError(claimed, owner);
      this.#claims.set(claimed, link.employeeKey);
    }
    this.#links.set(link.employeeKey, link);
    record();
    return true;
  }

  async getLink(employeeKey: string): Promise<EmployeeLink | undefined> {
    return this.#links.get(employeeKey);
  }

  async isProcessed(employeeKey: string, eventId: string): Promise<boolean> {
    return this.#processed.has(`${employeeKey}|${eventId}`);
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
