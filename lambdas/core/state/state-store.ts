import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '../../contract/settings.js';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { DynamoEmployeeState, type EmployeeState, type EventRef } from './employee-state.js';
import { EmployeeBusyError } from './errors.js';
import {
  both,
  type EmployeeLink,
  type Expression,
  hasLink,
  heldBy,
  LEASE_RELEASED,
  LINK_ATTRIBUTES,
  LINK_PREFIX,
  type LinkItem,
  leasedUntil,
  leaseFree,
  leaseHeld,
  legacyEventKey,
  legacyEventsMayAnswer,
  linkItemExists,
  linkKey,
  normalizeEventTime,
  notAmongRecent,
  notNewerThan,
  recentEventIds,
  statelessExpiresAt,
  toLink,
  unchangedSince,
  updateLinkItem,
  writeLinkItem,
} from './link-item.js';
import { queryDue, scanByPrefix } from './table-queries.js';

export type { EmployeeLink, LinkStatus } from './link-item.js';
export { normalizeEventTime } from './link-item.js';

/**
 * An event that will almost surely write may take the employee's lease with its read, one round
 * trip instead of two: `absent` when the item most likely does not exist yet (a hire: most are of
 * new people), `present` when it most likely exists (a termination: most are of provisioned
 * people). The guess is the write's condition, so a wrong one costs a write unit and nothing else:
 * the failed write answers with the item as it stands, in place of the read.
 */
export type LeaseWithRead = 'absent' | 'present';

/** The state table as the worker's converge logic (and reconcile) sees it. */
export interface StateStore {
  /**
   * Opens one event's state: one consistent read of the employee's link (with `leaseWithRead`, a
   * conditional write that takes the lease and returns the item). While another delivery holds
   * the employee's lease it waits (reading again, writing nothing) until `deadline` (epoch ms):
   * then `EmployeeBusyError`, and SQS redelivers.
   */
  begin(
    employeeKey: string,
    event: EventRef,
    deadline: number,
    leaseWithRead?: LeaseWithRead,
  ): Promise<EmployeeState>;
  getLink(employeeKey: string): Promise<EmployeeLink | undefined>;
  /** True when this event id was already applied (or found stale) for this employee. */
  isProcessed(employeeKey: string, eventId: string): Promise<boolean>;
  /** Every link in the table, for reconcile: which employees the worker provisioned. */
  listLinks(): AsyncIterable<EmployeeLink>;
}

export interface DynamoStateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /**
   * How long processed-event items of the former format (`event#`, TTL) were kept: how long after
   * a link's first rewrite they may still be the only record of an event.
   */
  readonly processedEventRetentionDays?: number;
  readonly now?: () => Date;
  /** Pause between reads while the lease is held elsewhere (default 25 ms, doubling to 200 ms). */
  readonly retryMs?: number;
}

const MAX_RETRY_MS = 200;

/** The link is as the sweep read it: no event applied since, still disabled in its grace period. */
function stillInGracePeriod(link: EmployeeLink): Expression {
  return {
    expression: '#c_event = :c_event AND #c_status = :c_disabled',
    names: { '#c_event': LINK_ATTRIBUTES.lastEventId, '#c_status': LINK_ATTRIBUTES.status },
    values: { ':c_event': link.lastEventId, ':c_disabled': 'disabled' },
  };
}

/**
 * `StateStore` over one DynamoDB table (key `pk`, TTL `expiresAt`): one item `link#<employee>`
 * per employee holds the link, the ids of its recent events and, while an event changes the
 * user, the employee's lease (format in `link-item.ts`); `user#<id>` claims a CPaaS user for one
 * employee. Every write is conditional, so a late or concurrent delivery cannot overwrite a newer
 * state.
 */
export class DynamoStateStore implements StateStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionDays: number;
  readonly #now: () => Date;
  readonly #retryMs: number;

  constructor(options: DynamoStateStoreOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionDays = options.processedEventRetentionDays ?? DEFAULTS.processedEventRetentionDays;
    this.#now = options.now ?? (() => new Date());
    this.#retryMs = options.retryMs ?? 25;
  }

  async begin(
    employeeKey: string,
    event: EventRef,
    deadline: number,
    leaseWithRead?: LeaseWithRead,
  ): Promise<EmployeeState> {
    let first =
      leaseWithRead === undefined
        ? undefined
        : await this.#leaseWithRead(employeeKey, event, leaseWithRead, deadline);
    for (let pause = this.#retryMs; ; pause = Math.min(pause * 2, MAX_RETRY_MS)) {
      const { item, leaseOwner } = first ?? { item: await this.#read(employeeKey) };
      first = undefined;
      if (leaseOwner !== undefined || leasedUntil(item, Date.now()) === undefined) {
        const now = this.#now();
        // Until the state exists nothing would give a lease taken with the read back.
        const processed = await this.#processed(employeeKey, item, event, now).catch(async (error) => {
          if (leaseOwner !== undefined) await this.#release(employeeKey, leaseOwner).catch(() => undefined);
          throw error;
        });
        return new DynamoEmployeeState({
          documents: this.#documents,
          tableName: this.#tableName,
          employeeKey,
          event,
          deadline,
          item,
          ...(leaseOwner === undefined ? {} : { leaseOwner }),
          processed,
          legacyEventsUntil: new Date(now.getTime() + this.#retentionDays * 86_400_000).toISOString(),
        });
      }
      if (Date.now() + pause >= deadline) {
        throw new EmployeeBusyError(`employee ${employeeKey} is being applied by another delivery`);
      }
      await sleep(pause);
    }
  }

  async getLink(employeeKey: string): Promise<EmployeeLink | undefined> {
    const item = await this.#read(employeeKey);
    return hasLink(item) ? toLink(item) : undefined;
  }

  async isProcessed(employeeKey: string, eventId: string): Promise<boolean> {
    const item = await this.#read(employeeKey);
    if (recentEventIds(item).includes(eventId)) return true;
    return legacyEventsMayAnswer(item, this.#now()) && this.#legacyProcessed(employeeKey, eventId);
  }

  /**
   * Takes the lease on the guess's condition (`LeaseWithRead`), and returns the item either way:
   * with the lease when it held, else as it stands (then `begin` goes on as after a read: waits
   * for another holder's lease, or opens unleased, to lock later on the version read). An existing
   * item is leased only for an event it does not already answer (a duplicate or an older event),
   * so those cost the one failed write and no lease to give back. A new employee's item expires
   * like any item without a link, so a first event that never completes leaves nothing behind.
   */
  async #leaseWithRead(
    employeeKey: string,
    event: EventRef,
    guess: LeaseWithRead,
    deadline: number,
  ): Promise<{ readonly item: LinkItem | undefined; readonly leaseOwner?: string }> {
    const owner = randomUUID();
    const condition =
      guess === 'absent'
        ? unchangedSince(undefined)
        : both(
            both(linkItemExists(), leaseFree(Date.now())),
            both(notAmongRecent(event.id), notNewerThan(event.time)),
          );
    const { written, item } = await writeLinkItem(
      this.#documents,
      this.#tableName,
      employeeKey,
      {
        ...leaseHeld(owner, deadline),
        ...(guess === 'absent' ? { [STATE_TABLE_KEYS.ttlAttribute]: statelessExpiresAt(deadline) } : {}),
      },
      condition,
      true,
    );
    return written ? { item, leaseOwner: owner } : { item };
  }

  async #read(employeeKey: string): Promise<LinkItem | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: linkKey(employeeKey), ConsistentRead: true }),
    );
    return Item;
  }

  /**
   * An event newer than the link's last one was never applied (the time guard would have moved),
   * so only an older or equal one can be a duplicate the recent ids do not name: that one asks an
   * `event#` item of the former format, while such items may still answer.
   */
  async #processed(employeeKey: string, item: LinkItem | undefined, event: EventRef, now: Date) {
    if (!hasLink(item)) return false;
    if (recentEventIds(item).includes(event.id)) return true;
    if (normalizeEventTime(event.time) > String(item[LINK_ATTRIBUTES.lastEventTime])) return false;
    return legacyEventsMayAnswer(item, now) && this.#legacyProcessed(employeeKey, event.id);
  }

  async #legacyProcessed(employeeKey: string, eventId: string): Promise<boolean> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: legacyEventKey(employeeKey, eventId),
        ConsistentRead: true,
      }),
    );
    // TTL deletion lags by up to days: an expired item still present is not a memory of the event.
    const expiresAt = Item?.[STATE_TABLE_KEYS.ttlAttribute];
    return Item !== undefined && (typeof expiresAt !== 'number' || expiresAt * 1000 > this.#now().getTime());
  }

  async *listLinks(): AsyncIterable<EmployeeLink> {
    for await (const item of scanByPrefix(this.#documents, this.#tableName, LINK_PREFIX)) {
      if (hasLink(item)) yield toLink(item);
    }
  }

  /** Disabled users whose grace period ended by `now` (the sweep deletes them). */
  async *listDueDeletions(now: Date): AsyncIterable<EmployeeLink> {
    for await (const item of queryDue(this.#documents, this.#tableName, LINK_PREFIX, now)) {
      yield toLink(item);
    }
  }

  /**
   * Holds a due deletion's employee the way an event does, with the link item's lease, so no event
   * (a rehire re-enabling the user) changes the user while the sweep looks at it and deletes it:
   * an event meanwhile waits for the lease (`begin`), then reads the deletion and acts on it.
   * Undefined when an event was applied since the sweep read the link, or one holds the employee
   * now: the item stays due and the next run looks again. The lease frees itself at `until`.
   */
  async holdForDeletion(link: EmployeeLink, until: number): Promise<string | undefined> {
    const owner = randomUUID();
    const held = await updateLinkItem(
      this.#documents,
      this.#tableName,
      link.employeeKey,
      leaseHeld(owner, until),
      both(stillInGracePeriod(link), leaseFree(Date.now())),
    );
    return held ? owner : undefined;
  }

  /**
   * Ends a grace period the sweep acted on, holding the employee (`holdForDeletion`), and gives
   * the lease back in the same write: with `deleted` it records the deletion; otherwise (the user
   * was enabled again by hand) it only drops the pending deletion, so the sweep stops re-checking
   * it. False when the hold was lost (it expired and an event took the employee). An update of
   * those attributes only, so the recent event ids stay as they are.
   */
  async endGracePeriod(
    link: EmployeeLink,
    deleted: boolean,
    updatedAt: string,
    hold: string,
  ): Promise<boolean> {
    return updateLinkItem(
      this.#documents,
      this.#tableName,
      link.employeeKey,
      {
        status: deleted ? 'deleted' : link.status,
        updatedAt,
        deleteAfter: undefined,
        [STATE_TABLE_KEYS.dueIndexPartitionKey]: undefined,
        [STATE_TABLE_KEYS.dueIndexSortKey]: undefined,
        ...LEASE_RELEASED,
      },
      both(stillInGracePeriod(link), heldBy(hold)),
    );
  }

  /** Gives a hold back without a change (the deletion failed), so the employee's events need not wait for it to expire. */
  async releaseHold(link: EmployeeLink, hold: string): Promise<void> {
    await this.#release(link.employeeKey, hold);
  }

  async #release(employeeKey: string, owner: string): Promise<void> {
    await updateLinkItem(this.#documents, this.#tableName, employeeKey, LEASE_RELEASED, heldBy(owner));
  }
}
