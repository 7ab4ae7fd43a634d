import {
  ConditionalCheckFailedException,
  type DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '../../contract/settings.js';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { UserLinkedElsewhereError } from '../converge/errors.js';
import { dueAttributes, queryDue, scanByPrefix } from './table-queries.js';

/** Where an employee's VoIP user stands, as far as the worker last applied. */
export type LinkStatus = 'active' | 'disabled' | 'deleted';

/**
 * One employee's link to its CPaaS user and the last event applied to it. `cpaasUserId` is absent
 * when a termination arrived for an employee never provisioned: the link then only records the
 * event time, so an older hire delivered late is recognised as stale.
 */
export interface EmployeeLink {
  readonly employeeKey: string;
  readonly cpaasUserId?: string;
  readonly status: LinkStatus;
  readonly lastEventId: string;
  /** Normalised `toISOString()` form, so string order is time order (DynamoDB compares strings). */
  readonly lastEventTime: string;
  readonly updatedAt: string;
  /** Disabled under `disable-then-delete`: when the sweep may delete the user (ISO). */
  readonly deleteAfter?: string;
}

/** An applied event, as recorded for duplicate detection. */
export interface ProcessedEvent {
  readonly eventId: string;
  readonly outcome: string;
}

export interface SaveLinkOptions {
  /**
   * The link names a CPaaS user this employee was not linked to before: claim it in the same
   * write, so no user is ever linked to two employees. A user already claimed by another employee
   * fails the write with `UserLinkedElsewhereError`.
   */
  readonly claimUser?: boolean;
}

/** The state table as the worker's converge logic (and reconcile) sees it. */
export interface StateStore {
  getLink(employeeKey: string): Promise<EmployeeLink | undefined>;
  /**
   * Writes the link unless a newer event was already applied (conditional write): returns false
   * then, and the caller treats its own event as superseded. Equal times are accepted, so the
   * steps of one event (link after create, then status) can each be written. With `processed`,
   * the event is recorded as applied in the same atomic write: one round trip per event, and no
   * window where the event is marked but its link is not.
   */
  saveLink(link: EmployeeLink, processed?: ProcessedEvent, options?: SaveLinkOptions): Promise<boolean>;
  /** True when this event id was already applied for this employee (kept `processedEventRetentionDays`). */
  isProcessed(employeeKey: string, eventId: string): Promise<boolean>;
  /** Records the event as applied; a second record of the same event is a no-op. */
  markProcessed(employeeKey: string, eventId: string, outcome: string): Promise<void>;
  /** Every link in the table, for reconcile: which employees the worker provisioned. */
  listLinks(): AsyncIterable<EmployeeLink>;
}

/** Normalises an event time so lexicographic order is chronological order. */
export function normalizeEventTime(time: string): string {
  return new Date(time).toISOString();
}

/** Partition key prefix of employee link items (the brake counts them). */
export const LINK_PREFIX = 'link#';
const EVENT_PREFIX = 'event#';
const USER_PREFIX = 'user#';

const linkKey = (employeeKey: string) => `${LINK_PREFIX}${employeeKey}`;
const eventKey = (employeeKey: string, eventId: string) => `${EVENT_PREFIX}${employeeKey}#${eventId}`;

export interface DynamoStateStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long processed-event records live (TTL); longer than any HRIS retry window. */
  readonly processedEventRetentionDays?: number;
  readonly now?: () => Date;
}

function toLink(item: Record<string, unknown>): EmployeeLink {
  const pk = String(item[STATE_TABLE_KEYS.partitionKey]);
  return {
    employeeKey: pk.slice(LINK_PREFIX.length),
    ...(typeof item.cpaasUserId === 'string' ? { cpaasUserId: item.cpaasUserId } : {}),
    status: item.status as LinkStatus,
    lastEventId: String(item.lastEventId),
    lastEventTime: String(item.lastEventTime),
    updatedAt: String(item.updatedAt),
    ...(typeof item.deleteAfter === 'string' ? { deleteAfter: item.deleteAfter } : {}),
  };
}

/**
 * `StateStore` over one DynamoDB table (key `pk`, TTL `expiresAt`): link items `link#<employee>`
 * never expire, processed-event items `event#<employee>#<id>` do. Conditional writes make a late
 * or concurrent delivery unable to overwrite a newer state.
 */
export class DynamoStateStore implements StateStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #retentionDays: number;
  readonly #now: () => Date;

  constructor(options: DynamoStateStoreOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#retentionDays = options.processedEventRetentionDays ?? DEFAULTS.processedEventRetentionDays;
    this.#now = options.now ?? (() => new Date());
  }

  async getLink(employeeKey: string): Promise<EmployeeLink | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: linkKey(employeeKey) },
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? undefined : toLink(Item);
  }

  async saveLink(
    link: EmployeeLink,
    processed?: ProcessedEvent,
    options: SaveLinkOptions = {},
  ): Promise<boolean> {
    const claimed = options.claimUser === true ? link.cpaasUserId : undefined;
    const linkPut = this.#linkPut(link);
    const puts = [
      linkPut,
      ...(processed === undefined ? [] : [this.#eventPut(link.employeeKey, processed)]),
      ...(claimed === undefined ? [] : [this.#claimPut(link.employeeKey, claimed)]),
    ];
    try {
      if (puts.length === 1) await this.#documents.send(new PutCommand(linkPut));
      else {
        await this.#documents.send(new TransactWriteCommand({ TransactItems: puts.map((Put) => ({ Put })) }));
      }
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      if (!(error instanceof TransactionCanceledException)) throw error;
      const failed = (index: number) => error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
      if (failed(0)) return false;
      if (claimed !== undefined && failed(puts.length - 1)) {
        throw new UserLinkedElsewhereError(claimed, await this.#claimOwner(claimed));
      }
      // Recorded meanwhile by a concurrent delivery of the same event: write the link alone.
      if (processed !== undefined && failed(1)) return this.saveLink(link, undefined, options);
      throw error;
    }
  }

  /** `user#<id>` names the one employee linked to a CPaaS user; re-claiming one's own is a no-op. */
  #claimPut(employeeKey: string, cpaasUserId: string) {
    return {
      TableName: this.#tableName,
      Item: { [STATE_TABLE_KEYS.partitionKey]: `${USER_PREFIX}${cpaasUserId}`, employeeKey },
      ConditionExpression: 'attribute_not_exists(#pk) OR #employee = :employee',
      ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#employee': 'employeeKey' },
      ExpressionAttributeValues: { ':employee': employeeKey },
    };
  }

  async #claimOwner(cpaasUserId: string): Promise<string | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: `${USER_PREFIX}${cpaasUserId}` },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.employeeKey === 'string' ? Item.employeeKey : undefined;
  }

  #linkPut(link: EmployeeLink) {
    return {
      TableName: this.#tableName,
      Item: {
        [STATE_TABLE_KEYS.partitionKey]: linkKey(link.employeeKey),
        cpaasUserId: link.cpaasUserId,
        status: link.status,
        lastEventId: link.lastEventId,
        lastEventTime: normalizeEventTime(link.lastEventTime),
        updatedAt: link.updatedAt,
        deleteAfter: link.deleteAfter,
        ...dueAttributes(link.deleteAfter),
      },
      ConditionExpression: 'attribute_not_exists(#pk) OR #time <= :time',
      ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#time': 'lastEventTime' },
      ExpressionAttributeValues: { ':time': normalizeEventTime(link.lastEventTime) },
    };
  }

  #eventPut(employeeKey: string, processed: ProcessedEvent) {
    const now = this.#now();
    return {
      TableName: this.#tableName,
      Item: {
        [STATE_TABLE_KEYS.partitionKey]: eventKey(employeeKey, processed.eventId),
        outcome: processed.outcome,
        processedAt: now.toISOString(),
        [STATE_TABLE_KEYS.ttlAttribute]: Math.floor(now.getTime() / 1000) + this.#retentionDays * 86_400,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey },
    };
  }

  async isProcessed(employeeKey: string, eventId: string): Promise<boolean> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: eventKey(employeeKey, eventId) },
        ConsistentRead: true,
      }),
    );
    // TTL deletion lags by up to days: an expired item still present is not a memory of the event.
    const expiresAt = Item?.[STATE_TABLE_KEYS.ttlAttribute];
    return Item !== undefined && (typeof expiresAt !== 'number' || expiresAt * 1000 > this.#now().getTime());
  }

  async markProcessed(employeeKey: string, eventId: string, outcome: string): Promise<void> {
    try {
      await this.#documents.send(new PutCommand(this.#eventPut(employeeKey, { eventId, outcome })));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async *listLinks(): AsyncIterable<EmployeeLink> {
    for await (const item of scanByPrefix(this.#documents, this.#tableName, LINK_PREFIX)) {
      yield toLink(item);
    }
  }

  /** Disabled users whose grace period ended by `now` (the sweep deletes them). */
  async *listDueDeletions(now: Date): AsyncIterable<EmployeeLink> {
    for await (const item of queryDue(this.#documents, this.#tableName, LINK_PREFIX, now)) {
      yield toLink(item);
    }
  }

  /**
   * Ends a grace period the sweep acted on: with `deleted` it records the deletion; otherwise (the
   * user was enabled again by hand) it only drops the pending deletion, so the sweep stops
   * re-checking it. Unless an event was applied for the employee since the sweep read the link (a
   * rehire): false then, and the link is left as it is.
   */
  async endGracePeriod(link: EmployeeLink, deleted: boolean, updatedAt: string): Promise<boolean> {
    const { deleteAfter: _deleteAfter, ...rest } = link;
    try {
      await this.#documents.send(
        new PutCommand({
          ...this.#linkPut({ ...rest, status: deleted ? 'deleted' : link.status, updatedAt }),
          ConditionExpression: '#eventId = :eventId AND #status = :disabled',
          ExpressionAttributeNames: { '#eventId': 'lastEventId', '#status': 'status' },
          ExpressionAttributeValues: { ':eventId': link.lastEventId, ':disabled': 'disabled' },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
