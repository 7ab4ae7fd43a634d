import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { UserLinkedElsewhereError } from '../converge/errors.js';
import {
  both,
  type EmployeeLink,
  type Expression,
  hasLink,
  heldBy,
  isLegacyLink,
  LEASE_RELEASED,
  LINK_ATTRIBUTES,
  type LinkItem,
  leaseHeld,
  linkAttributes,
  notNewerThan,
  RECENT_EVENT_IDS,
  recentEventIds,
  schedulePending,
  statelessExpiresAt,
  toLink,
  unchangedSince,
  updateLinkItem,
} from './link-item.js';

/** The event a state is opened for. */
export interface EventRef {
  readonly id: string;
  readonly time: string;
}

export interface SaveOptions {
  /**
   * The link names a CPaaS user this employee was not linked to before: claim it first, so no
   * user is ever linked to two employees. A user already claimed by another employee fails the
   * save with `UserLinkedElsewhereError`, and the link is not written.
   */
  readonly claimUser?: boolean;
  /** More steps of the same event follow (an adoption links, then updates): keep the lease. */
  readonly keepLease?: boolean;
}

/**
 * One event's view of its employee in the state table: the link as one consistent read found it,
 * and the writes that follow. Each write is conditional on the item being as read (or on this
 * event's lease), and returns false otherwise: the event then reads again and decides again.
 */
export interface EmployeeState {
  readonly link: EmployeeLink | undefined;
  /** This event id was already applied, or found stale, for this employee. */
  readonly processed: boolean;
  /** A future-dated event may be pending for the employee; false: none can be, skip the read. */
  readonly schedulePending: boolean;
  /**
   * What reading the pending schedule finds, recorded with the next write for the next event.
   * The read may still be in flight (it runs beside the event's CPaaS calls): the next write
   * waits for it, and fails with the read's error if the read failed.
   */
  noteSchedule(found: Promise<boolean>): void;
  /**
   * Takes the employee's lease before the first CPaaS write: the two lanes never change one
   * person's user at once. Until the invocation's deadline, so a crashed holder frees it then.
   * False when the item changed since it was read. Holding it already: true.
   */
  lock(): Promise<boolean>;
  /** Writes this event's link and records the event (one write), giving the lease back. */
  save(link: EmployeeLink, options?: SaveOptions): Promise<boolean>;
  /**
   * Records the event without changing the link (superseded), so a redelivery is a duplicate; the
   * event's last write, so it gives a held lease back in the same write.
   */
  record(): Promise<boolean>;
  /** Before a schedule is stored: from now on events read it, and this write tells them so. */
  markSchedulePending(): Promise<boolean>;
  /** Ends the event's use of the state; gives the lease back if still held. Always called. */
  close(): Promise<void>;
}

export interface DynamoEmployeeStateOptions {
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly employeeKey: string;
  readonly event: EventRef;
  /** Epoch ms the invocation's work must end by: the lease's expiry. */
  readonly deadline: number;
  readonly item: LinkItem | undefined;
  /** The lease `item` was read with (`begin`'s lease with the read), if it was. */
  readonly leaseOwner?: string;
  readonly processed: boolean;
  /** ISO time until which `event#` items of the former format may still answer. */
  readonly legacyEventsUntil: string;
}

const USER_PREFIX = 'user#';

/** `user#<id>`: which one employee a CPaaS user is linked to (attribute `employeeKey`). */
export const userClaimKey = (cpaasUserId: string) => ({
  [STATE_TABLE_KEYS.partitionKey]: `${USER_PREFIX}${cpaasUserId}`,
});

/** `EmployeeState` over the employee's `link#` item (format in `link-item.ts`). */
export class DynamoEmployeeState implements EmployeeState {
  readonly link: EmployeeLink | undefined;
  readonly processed: boolean;
  readonly schedulePending: boolean;
  readonly #options: DynamoEmployeeStateOptions;
  /** The item as this event last left it: what the next unleased write is conditional on. */
  #item: LinkItem | undefined;
  #recent: string[];
  #legacy: boolean;
  #hasLink: boolean;
  #scheduleFound: Promise<boolean> | undefined;
  #owner: string | undefined;

  constructor(options: DynamoEmployeeStateOptions) {
    this.#options = options;
    this.#item = options.item;
    this.link = hasLink(options.item) ? toLink(options.item) : undefined;
    this.processed = options.processed;
    this.schedulePending = schedulePending(options.item);
    this.#recent = recentEventIds(options.item);
    this.#legacy = isLegacyLink(options.item);
    this.#hasLink = this.link !== undefined;
    this.#owner = options.leaseOwner;
  }

  noteSchedule(found: Promise<boolean>): void {
    this.#scheduleFound = found;
  }

  async lock(): Promise<boolean> {
    if (this.#owner !== undefined) return true;
    const notes = await this.#notes();
    const owner = randomUUID();
    const locked = await this.#update(
      {
        ...leaseHeld(owner, this.#options.deadline),
        ...notes,
        ...this.#expiry(),
      },
      this.#condition(),
    );
    if (locked) this.#owner = owner;
    return locked;
  }

  async save(link: EmployeeLink, options: SaveOptions = {}): Promise<boolean> {
    const notes = await this.#notes();
    if (options.claimUser === true && link.cpaasUserId !== undefined) await this.#claim(link.cpaasUserId);
    const release = options.keepLease !== true;
    const saved = await this.#update(
      {
        ...linkAttributes(link),
        ...this.#recorded(),
        ...notes,
        [STATE_TABLE_KEYS.ttlAttribute]: undefined,
        // Also drops a lease a crashed delivery left behind: unleased, the write is conditional on
        // the version that carried it.
        ...(release ? LEASE_RELEASED : {}),
      },
      both(this.#condition(), notNewerThan(link.lastEventTime)),
    );
    if (saved) {
      this.#hasLink = true;
      if (release) this.#owner = undefined;
    }
    return saved;
  }

  async record(): Promise<boolean> {
    const notes = await this.#notes();
    const recorded = await this.#update(
      { ...this.#recorded(), ...notes, ...(this.#owner === undefined ? {} : LEASE_RELEASED) },
      this.#condition(),
    );
    if (recorded) this.#owner = undefined;
    return recorded;
  }

  async markSchedulePending(): Promise<boolean> {
    this.#scheduleFound = Promise.resolve(true);
    return this.#update({ ...(await this.#notes()), ...this.#expiry() }, this.#condition());
  }

  async close(): Promise<void> {
    const owner = this.#owner;
    if (owner === undefined) return;
    this.#owner = undefined;
    // A failed release is not the event's failure: the event is applied, and the lease frees
    // itself at the deadline. Failing the record would re-apply it.
    await this.#update(LEASE_RELEASED, heldBy(owner)).catch(() => false);
  }

  /** Holding the lease, the lease is the condition (the sweep may write meanwhile); else the version. */
  #condition(): Expression {
    return this.#owner === undefined ? unchangedSince(this.#item) : heldBy(this.#owner);
  }

  async #update(attributes: Record<string, unknown>, condition: Expression): Promise<boolean> {
    const { documents, tableName, employeeKey } = this.#options;
    const written = await updateLinkItem(documents, tableName, employeeKey, attributes, condition);
    if (written) {
      const version = this.#item?.[LINK_ATTRIBUTES.version];
      this.#item = {
        ...this.#item,
        [LINK_ATTRIBUTES.version]: (typeof version === 'number' ? version : 0) + 1,
      };
    }
    return written;
  }

  /** The event id added to the recent ones; an item of the former format converts with it. */
  #recorded(): Record<string, unknown> {
    const recent = [...this.#recent.filter((id) => id !== this.#options.event.id), this.#options.event.id];
    this.#recent = recent.slice(-RECENT_EVENT_IDS);
    const legacy = this.#legacy
      ? { [LINK_ATTRIBUTES.legacyEventsUntil]: this.#options.legacyEventsUntil }
      : {};
    this.#legacy = false;
    return { [LINK_ATTRIBUTES.recentEventIds]: this.#recent, ...legacy };
  }

  async #notes(): Promise<Record<string, unknown>> {
    const found = await this.#scheduleFound;
    return found === undefined ? {} : { [LINK_ATTRIBUTES.schedulePending]: found };
  }

  #expiry(): Record<string, unknown> {
    if (this.#hasLink) return {};
    return { [STATE_TABLE_KEYS.ttlAttribute]: statelessExpiresAt(this.#options.deadline) };
  }

  /** `user#<id>` names the one employee linked to a CPaaS user; re-claiming one's own is a no-op. */
  async #claim(cpaasUserId: string): Promise<void> {
    const { documents, tableName, employeeKey } = this.#options;
    try {
      await documents.send(
        new PutCommand({
          TableName: tableName,
          Item: { ...userClaimKey(cpaasUserId), employeeKey },
          ConditionExpression: 'attribute_not_exists(#pk) OR #employee = :employee',
          ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#employee': 'employeeKey' },
          ExpressionAttributeValues: { ':employee': employeeKey },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const { Item } = await documents.send(
        new GetCommand({
          TableName: tableName,
          Key: userClaimKey(cpaasUserId),
          ConsistentRead: true,
        }),
      );
      throw new UserLinkedElsewhereError(
        cpaasUserId,
        typeof Item?.employeeKey === 'string' ? Item.employeeKey : undefined,
      );
    }
  }
}
