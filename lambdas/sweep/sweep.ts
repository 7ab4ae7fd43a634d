import { LifecycleError } from '../contract/errors.js';
import { CpaasNotFoundError } from '../core/cpaas/errors.js';
import type { User } from '../core/cpaas/schemas.js';
import type { CallOptions, CpaasUsersApi } from '../core/cpaas/users-api.js';
import { type Lane, laneFor } from '../core/events/lane.js';
import {
  employeeKey,
  parseLifecycleEvent,
  tenantOfEmployeeKey,
  toQueueMessage,
} from '../core/events/lifecycle-event.js';
import type { ScheduledEvent, ScheduleStore } from '../core/state/schedule-store.js';
import type { ScimOutbox, ScimOutboxes } from '../core/state/scim-outbox.js';
import type { DynamoStateStore, EmployeeLink } from '../core/state/state-store.js';
import type { Logger } from '../core/telemetry/logger.js';
import { TenantNotFoundError } from '../core/tenants/errors.js';
import { type TenantLookup, withDefaultTenant } from '../core/tenants/tenant-ports.js';

/**
 * The disabled users whose grace period ended, and the record of their deletion, made while the
 * sweep holds the employee as an event would (`DynamoStateStore.holdForDeletion`).
 */
export type GraceDeletions = Pick<
  DynamoStateStore,
  'listDueDeletions' | 'holdForDeletion' | 'endGracePeriod' | 'releaseHold'
>;

/**
 * How long a deletion holds its employee at most: longer than the sweep's own run (its timeout is
 * the sweep period less 10 s), so a crashed run frees the employee soon after.
 */
export const DELETION_HOLD_MS = 60_000;

/** What the sweep needs; the Lambda, the local mode and the tests pass their own. */
export interface SweepPorts {
  /** The default tenant's CPaaS API (the deployment's own account). */
  readonly api: CpaasUsersApi;
  /** The registered tenants' CPaaS APIs; without it only the default tenant's users are deleted. */
  readonly tenants?: TenantLookup<CpaasUsersApi>;
  readonly schedules: Pick<ScheduleStore, 'listDue' | 'remove'>;
  readonly deletions: GraceDeletions;
  /** SCIM changes stored whose events no request put on the queue. */
  readonly outboxes: ScimOutboxes;
  /** Sends one message to the lifecycle queue of `lane` (a due termination goes on the priority lane). */
  readonly enqueue: (message: ReturnType<typeof toQueueMessage>, lane: Lane) => Promise<void>;
  readonly clock: () => Date;
  readonly logger: Logger;
  /** Log what would be done; send, delete and write nothing. */
  readonly dryRun: boolean;
  readonly callOptions?: () => CallOptions;
  /** Awaited before the run: the re-key of a pre-tenant deployment's items, so due work is found under its key. */
  readonly upgrade?: () => Promise<void>;
}

export interface SweepReport {
  /** Scheduled events queued because they fell due. */
  readonly queued: number;
  /** Users deleted at the end of their grace period. */
  readonly deleted: number;
  /** Due deletions left alone: the user was enabled again, or a newer event won. */
  readonly skipped: number;
  /** SCIM outboxes queued: a change stored, its request failed to queue it, and no retry came. */
  readonly outboxes: number;
  /** Items that failed; they stay due and are tried again on the next run. */
  readonly failed: number;
}

/**
 * Thrown after a run in which some items failed, so the Lambda's Errors metric and alarm see it.
 * Not permanent: the failed items stay due and the next sweep tries them again.
 */
export class SweepIncompleteError extends LifecycleError {
  override readonly name = 'SweepIncompleteError';
  readonly permanent = false;
  constructor(readonly report: SweepReport) {
    super(`${report.failed} due item(s) failed and will be retried on the next sweep`);
  }
}

type Counter = { -readonly [K in keyof SweepReport]: number };

class Sweep {
  readonly report: Counter = { queued: 0, deleted: 0, skipped: 0, outboxes: 0, failed: 0 };
  readonly #now: Date;
  readonly #apiOf: TenantLookup<CpaasUsersApi>;

  constructor(readonly ports: SweepPorts) {
    this.#now = ports.clock();
    this.#apiOf = withDefaultTenant(ports.api, ports.tenants);
  }

  get #options(): CallOptions {
    return this.ports.callOptions?.() ?? {};
  }

  /** One item's failure is logged and counted; the others still run. */
  async #each<T>(items: AsyncIterable<T>, handle: (item: T) => Promise<void>, what: string): Promise<void> {
    for await (const item of items) {
      try {
        await handle(item);
      } catch (error) {
        this.report.failed += 1;
        this.ports.logger.error(`sweep: ${what} failed`, {
          errorClass: (error as Error).name,
          errorMessage: (error as Error).message,
        });
      }
    }
  }

  async run(): Promise<SweepReport> {
    await this.#each(
      this.ports.schedules.listDue(this.#now),
      (due) => this.#queue(due),
      'queueing a due event',
    );
    await this.#each(
      this.ports.deletions.listDueDeletions(this.#now),
      (link) => this.#delete(link),
      'a grace-period deletion',
    );
    await this.#each(
      this.ports.outboxes.listDue(this.#now),
      (outbox) => this.#queueOutbox(outbox),
      'queueing a SCIM outbox',
    );
    return this.report;
  }

  /**
   * Queues what a SCIM request stored but did not get onto the queue, with the events' own ids
   * and deduplication ids, not a resend tag: if the request's enqueue did reach SQS after all, SQS
   * drops this copy within five minutes and the worker's processed-event record after that. Then
   * clears the outbox, unless a newer version replaced it meanwhile.
   */
  async #queueOutbox(outbox: ScimOutbox): Promise<void> {
    const attributes = {
      employeeKey: employeeKey({ tenant: outbox.tenant, subject: outbox.userId }),
      eventId: outbox.events.map((event) => event.id).join(','),
    };
    if (this.ports.dryRun) {
      this.ports.logger.info('sweep: would queue a stalled SCIM outbox', { ...attributes, dryRun: true });
      return;
    }
    for (const event of outbox.events) await this.ports.enqueue(toQueueMessage(event), laneFor(event));
    await this.ports.outboxes.clear(outbox, { endStall: false });
    this.report.outboxes += 1;
    this.ports.logger.info('sweep: queued a stalled SCIM outbox', attributes);
  }

  /**
   * Re-queues the event in its employee's FIFO group on its lane, where the worker applies it like
   * any other (its effective time has come); a resend tag keeps SQS from dropping it as a duplicate.
   */
  async #queue(due: ScheduledEvent): Promise<void> {
    const attributes = { employeeKey: due.employeeKey, eventId: due.eventId, dueAt: due.dueAt };
    if (this.ports.dryRun) {
      this.ports.logger.info('sweep: would queue a due event', { ...attributes, dryRun: true });
      return;
    }
    const event = parseLifecycleEvent(due.body);
    await this.ports.enqueue(toQueueMessage(event, `due:${due.dueAt}`), laneFor(event));
    await this.ports.schedules.remove(due.employeeKey, due.eventId);
    this.report.queued += 1;
    this.ports.logger.info('sweep: queued a due event', attributes);
  }

  /**
   * Deletes a user whose grace period ended, unless it was enabled again meanwhile (a rehire in
   * flight or an administrator): access that someone restored is not taken away by a timer.
   */
  async #delete(link: EmployeeLink): Promise<void> {
    const userId = link.cpaasUserId;
    const attributes = { employeeKey: link.employeeKey, cpaasUserId: userId, deleteAfter: link.deleteAfter };
    const api = await this.#tenantApi(link);
    if (api === undefined) {
      this.report.skipped += 1;
      this.ports.logger.warn(
        'sweep: the tenant is no longer registered; its disabled user is left',
        attributes,
      );
      return;
    }
    // Held like an event holds it: a rehire arriving now waits, then finds the deletion and
    // creates the user anew, instead of re-enabling a user this run is about to delete.
    let hold: string | undefined;
    if (!this.ports.dryRun) {
      hold = await this.ports.deletions.holdForDeletion(link, Date.now() + DELETION_HOLD_MS);
      if (hold === undefined) {
        this.report.skipped += 1;
        this.ports.logger.warn(
          'sweep: an event holds the employee or was applied meanwhile; not deleted',
          attributes,
        );
        return;
      }
    }
    try {
      await this.#deleteHeld(api, link, hold, attributes);
    } catch (error) {
      if (hold !== undefined) await this.ports.deletions.releaseHold(link, hold).catch(() => {});
      throw error;
    }
  }

  /** The deletion itself, holding the employee; without a hold (a dry run) it only says what it would do. */
  async #deleteHeld(
    api: CpaasUsersApi,
    link: EmployeeLink,
    hold: string | undefined,
    attributes: Record<string, unknown>,
  ): Promise<void> {
    const userId = link.cpaasUserId;
    let user: User | undefined;
    if (userId !== undefined) {
      try {
        user = await api.getUser(userId, this.#options);
      } catch (error) {
        if (!(error instanceof CpaasNotFoundError)) throw error;
      }
    }
    const now = this.ports.clock().toISOString();
    if (user?.enabled === true) {
      this.report.skipped += 1;
      if (hold === undefined) return;
      await this.ports.deletions.endGracePeriod(link, false, now, hold);
      this.ports.logger.warn('sweep: user enabled again during its grace period; not deleted', attributes);
      return;
    }
    if (hold === undefined) {
      this.ports.logger.info('sweep: would delete a user whose grace period ended', {
        ...attributes,
        dryRun: true,
      });
      return;
    }
    if (user !== undefined && userId !== undefined) await this.#deleteUser(api, userId);
    if (await this.ports.deletions.endGracePeriod(link, true, now, hold)) {
      this.report.deleted += 1;
      this.ports.logger.info('sweep: deleted a user whose grace period ended', attributes);
    } else {
      this.report.skipped += 1;
      this.ports.logger.warn(
        'sweep: the hold on the employee expired before the deletion was recorded',
        attributes,
      );
    }
  }

  /**
   * The API of the link's own tenant, so a grace-period deletion uses that tenant's account and key
   * only. Undefined for a tenant removed meanwhile: its users stay disabled (no access) in its
   * account, which `tenants remove` said it leaves; the item is skipped, not failed every minute.
   */
  async #tenantApi(link: EmployeeLink): Promise<CpaasUsersApi | undefined> {
    try {
      return await this.#apiOf(tenantOfEmployeeKey(link.employeeKey));
    } catch (error) {
      if (error instanceof TenantNotFoundError) return undefined;
      throw error;
    }
  }

  async #deleteUser(api: CpaasUsersApi, userId: string): Promise<void> {
    try {
      await api.deleteUser(userId, this.#options);
    } catch (error) {
      if (!(error instanceof CpaasNotFoundError)) throw error;
    }
  }
}

/**
 * One run of the every-minute sweep: queues future-dated events that fell due, deletes users
 * disabled under `disable-then-delete` whose grace period ended, and queues SCIM outboxes their
 * request left behind. Idempotent, so an overlapping or
 * repeated run does no harm; an item that fails stays due for the next run, and the run then
 * throws `SweepIncompleteError` so the failure shows on the Lambda's error alarm.
 */
export async function sweep(ports: SweepPorts): Promise<SweepReport> {
  await ports.upgrade?.();
  const report = await new Sweep(ports).run();
  if (report.failed > 0) throw new SweepIncompleteError(report);
  return report;
}
