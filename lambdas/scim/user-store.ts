import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '../contract/settings.js';
import { STATE_TABLE_KEYS } from '../contract/state-table.js';
import type { LifecycleEvent } from '../core/events/lifecycle-event.js';
import { type RecordedProvisioning, readProvisioning } from '../core/state/provisioning-status.js';
import { DynamoScimOutboxes, scimOutboxDueAttributes } from '../core/state/scim-outbox.js';
import {
  SCIM_USER_ATTRIBUTES,
  scimUserItemKey,
  scimUserNameItemKey,
  updateScimUserAtVersion,
} from '../core/state/scim-user-item.js';
import { ScimUniquenessError, ScimVersionConflictError } from './errors.js';
import { type ScimUserAttributes, userNameKey } from './user-attributes.js';

/** One version of a SCIM user as stored: what GET answers, and the events not yet on the queue. */
export interface ScimUserRecord {
  readonly tenant: string;
  readonly id: string;
  /** 1 on create, one more per change: `meta.version` and the ETag. */
  readonly version: number;
  readonly created: string;
  readonly lastModified: string;
  readonly attributes: ScimUserAttributes;
  /** A DELETE keeps a tombstone (not found for GET), so a retried DELETE can finish its event. */
  readonly deleted: boolean;
  /** The outbox: this version's events until the queue has taken them. */
  readonly pending: readonly LifecycleEvent[];
  /** An enqueue of `pending` failed; the retry of the request that made it may finish it. */
  readonly stalled: boolean;
  /** The id of the last event this user's changes produced, shown with the provisioning status. */
  readonly lastEventId?: string;
  /** What the worker last reported (read only here: the worker writes it, a save leaves it). */
  readonly provisioning?: RecordedProvisioning;
}

/** The SCIM users of a tenant in the state table. */
export interface ScimUserStore {
  /** The user, tombstones included; consistently read. */
  get(tenant: string, id: string): Promise<ScimUserRecord | undefined>;
  /** The live user with this `userName` (case-insensitive); consistently read. */
  findByUserName(tenant: string, userName: string): Promise<ScimUserRecord | undefined>;
  /** Every live user of the tenant, in creation order (the index: eventually consistent). */
  list(tenant: string): AsyncIterable<ScimUserRecord>;
  /**
   * Writes `record` if the user is still at `previous` (absent: does not exist yet), claiming its
   * `userName` in the same transaction: `ScimUniquenessError` when another user holds it,
   * `ScimVersionConflictError` when the user changed meanwhile.
   */
  save(record: ScimUserRecord, previous: ScimUserRecord | undefined): Promise<void>;
  /**
   * The queue took `record.pending` (or the sweep did, and only `stalled` is left): clears the
   * outbox, unless a newer version replaced it.
   */
  markQueued(record: ScimUserRecord): Promise<void>;
  /** The queue refused `record.pending`: a retry of the same create may finish it. */
  markStalled(record: ScimUserRecord): Promise<void>;
}

const userNameItem = (tenant: string, userName: string) => scimUserNameItemKey(tenant, userNameKey(userName));
const versionOf = (record: ScimUserRecord) => ({
  tenant: record.tenant,
  userId: record.id,
  version: record.version,
});

export interface DynamoScimUserStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a tombstone lives (TTL): as long as the worker remembers the events it applied. */
  readonly tombstoneRetentionDays?: number;
}

function toRecord(item: Record<string, unknown>): ScimUserRecord {
  const provisioning = readProvisioning(item);
  return {
    tenant: String(item.tenant),
    id: String(item.id),
    version: Number(item.version),
    created: String(item.created),
    lastModified: String(item.lastModified),
    attributes: JSON.parse(String(item.resource)) as ScimUserAttributes,
    deleted: item.deleted === true,
    pending: typeof item.pending === 'string' ? (JSON.parse(item.pending) as LifecycleEvent[]) : [],
    stalled: item.stalled === true,
    ...(typeof item.lastEventId === 'string' ? { lastEventId: item.lastEventId } : {}),
    ...(provisioning === undefined ? {} : { provisioning }),
  };
}

/**
 * One item written as an UpdateItem: every attribute given is set, every one given as undefined
 * removed. An update rather than a Put, so a new version leaves in place what it does not own
 * (the worker's provisioning report, which may land between this request's read and its write).
 */
function itemUpdate(attributes: Record<string, unknown>) {
  const entries = Object.entries(attributes);
  const names = Object.fromEntries(entries.map(([name], index) => [`#a${index}`, name]));
  const set = entries.flatMap(([, value], index) => (value === undefined ? [] : [`#a${index} = :a${index}`]));
  const remove = entries.flatMap(([, value], index) => (value === undefined ? [`#a${index}`] : []));
  const values = Object.fromEntries(
    entries.flatMap(([, value], index) => (value === undefined ? [] : [[`:a${index}`, value]])),
  );
  return {
    UpdateExpression: [
      set.length === 0 ? '' : `SET ${set.join(', ')}`,
      remove.length === 0 ? '' : `REMOVE ${remove.join(', ')}`,
    ]
      .filter((part) => part !== '')
      .join(' '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  };
}

/**
 * `ScimUserStore` over the state table (keys: `lambdas/core/state/scim-user-item.ts`). Per user
 * one item `scim#<tenant>#user#<id>` holding the resource as JSON (exactly what was accepted, no
 * attribute-type surprises) with its version and outbox; per `userName` one item
 * `scim#<tenant>#userName#<lower-case userName>` naming its user, written in the same transaction
 * with a condition, so two concurrent creates of one `userName` cannot both win. Live users carry
 * the `scimUsers` index keys (tenant, creation order); a tombstone drops them and expires. A user
 * with an outbox is in the `due` index too, where the sweep finds it if no request finishes it.
 */
export class DynamoScimUserStore implements ScimUserStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #tombstoneSeconds: number;
  readonly #outboxes: DynamoScimOutboxes;

  constructor(options: DynamoScimUserStoreOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
    this.#tombstoneSeconds =
      (options.tombstoneRetentionDays ?? DEFAULTS.processedEventRetentionDays) * 86_400;
    this.#outboxes = new DynamoScimOutboxes(options);
  }

  async get(tenant: string, id: string): Promise<ScimUserRecord | undefined> {
    const item = await this.#item(scimUserItemKey(tenant, id));
    return item === undefined ? undefined : toRecord(item);
  }

  async findByUserName(tenant: string, userName: string): Promise<ScimUserRecord | undefined> {
    const claim = await this.#item(userNameItem(tenant, userName));
    if (typeof claim?.userId !== 'string') return undefined;
    const record = await this.get(tenant, claim.userId);
    return record === undefined || record.deleted ? undefined : record;
  }

  async *list(tenant: string): AsyncIterable<ScimUserRecord> {
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#documents.send(
        new QueryCommand({
          TableName: this.#tableName,
          IndexName: STATE_TABLE_KEYS.scimIndexName,
          KeyConditionExpression: '#tenant = :tenant',
          ExpressionAttributeNames: { '#tenant': STATE_TABLE_KEYS.scimIndexPartitionKey },
          ExpressionAttributeValues: { ':tenant': tenant },
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }),
      );
      for (const item of page.Items ?? []) yield toRecord(item);
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
  }

  async save(record: ScimUserRecord, previous: ScimUserRecord | undefined): Promise<void> {
    const oldName = previous === undefined || previous.deleted ? undefined : previous.attributes.userName;
    const newName = record.deleted ? undefined : record.attributes.userName;
    const renamed =
      oldName === undefined || newName === undefined || userNameKey(oldName) !== userNameKey(newName);
    const writes = [
      this.#userWrite(record, previous),
      ...(renamed && oldName !== undefined ? [{ Delete: this.#userNameRelease(record, oldName) }] : []),
      ...(renamed && newName !== undefined ? [{ Put: this.#userNameClaim(record, newName) }] : []),
    ];
    try {
      await this.#documents.send(new TransactWriteCommand({ TransactItems: writes }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const codes = (error.CancellationReasons ?? []).map((reason) => reason.Code);
      const claimFailed = renamed && newName !== undefined && codes.at(-1) === 'ConditionalCheckFailed';
      if (claimFailed && codes[0] !== 'ConditionalCheckFailed') {
        throw new ScimUniquenessError(`userName is already taken by another user`);
      }
      // A condition on this user failed, or DynamoDB saw a concurrent transaction on an item.
      throw new ScimVersionConflictError(`user ${record.id} changed meanwhile`);
    }
  }

  async markQueued(record: ScimUserRecord): Promise<void> {
    await this.#outboxes.clear(versionOf(record), { endStall: true });
  }

  async markStalled(record: ScimUserRecord): Promise<void> {
    await updateScimUserAtVersion(this.#documents, this.#tableName, versionOf(record), {
      expression: 'SET #stalled = :true',
      names: { '#stalled': SCIM_USER_ATTRIBUTES.stalled },
      values: { ':true': true },
    });
  }

  async #item(key: Record<string, string>): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }

  /** The user item's attributes for this version; undefined ones are absent (removed by an update). */
  #userAttributes(record: ScimUserRecord): Record<string, unknown> {
    const live = !record.deleted;
    const outbox = record.pending.length > 0;
    const due = outbox ? scimOutboxDueAttributes(record.lastModified) : {};
    return {
      [SCIM_USER_ATTRIBUTES.tenant]: record.tenant,
      [SCIM_USER_ATTRIBUTES.id]: record.id,
      [SCIM_USER_ATTRIBUTES.version]: record.version,
      created: record.created,
      lastModified: record.lastModified,
      resource: JSON.stringify(record.attributes),
      deleted: record.deleted || undefined,
      [SCIM_USER_ATTRIBUTES.pending]: outbox ? JSON.stringify(record.pending) : undefined,
      [SCIM_USER_ATTRIBUTES.stalled]: record.stalled || undefined,
      lastEventId: record.lastEventId,
      [STATE_TABLE_KEYS.dueIndexPartitionKey]: due[STATE_TABLE_KEYS.dueIndexPartitionKey],
      [STATE_TABLE_KEYS.dueIndexSortKey]: due[STATE_TABLE_KEYS.dueIndexSortKey],
      [STATE_TABLE_KEYS.scimIndexPartitionKey]: live ? record.tenant : undefined,
      [STATE_TABLE_KEYS.scimIndexSortKey]: live ? `${record.created}#${record.id}` : undefined,
      [STATE_TABLE_KEYS.ttlAttribute]: live
        ? undefined
        : Math.floor(new Date(record.lastModified).getTime() / 1000) + this.#tombstoneSeconds,
    };
  }

  /**
   * A create is a Put (there is nothing to keep); a new version of an existing user an Update, so
   * it leaves the worker's provisioning report in place. Both only over the version read.
   */
  #userWrite(record: ScimUserRecord, previous: ScimUserRecord | undefined) {
    const attributes = this.#userAttributes(record);
    const key = scimUserItemKey(record.tenant, record.id);
    const condition = this.#versionCondition(previous);
    if (previous === undefined) {
      return { Put: { TableName: this.#tableName, Item: { ...key, ...attributes }, ...condition } };
    }
    const update = itemUpdate(attributes);
    return {
      Update: {
        TableName: this.#tableName,
        Key: key,
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: condition.ConditionExpression,
        ExpressionAttributeNames: {
          ...update.ExpressionAttributeNames,
          ...condition.ExpressionAttributeNames,
        },
        ExpressionAttributeValues: {
          ...update.ExpressionAttributeValues,
          ...condition.ExpressionAttributeValues,
        },
      },
    };
  }

  /** The user item is written only over the version the request read (or where none exists yet). */
  #versionCondition(previous: ScimUserRecord | undefined) {
    if (previous === undefined) {
      return {
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey } as Record<string, string>,
      };
    }
    return {
      ConditionExpression: '#version = :version',
      ExpressionAttributeNames: { '#version': 'version' } as Record<string, string>,
      ExpressionAttributeValues: { ':version': previous.version } as Record<string, unknown>,
    };
  }

  #userNameClaim(record: ScimUserRecord, userName: string) {
    return {
      TableName: this.#tableName,
      Item: { ...userNameItem(record.tenant, userName), userId: record.id },
      ConditionExpression: 'attribute_not_exists(#pk) OR #userId = :id',
      ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#userId': 'userId' },
      ExpressionAttributeValues: { ':id': record.id },
    };
  }

  #userNameRelease(record: ScimUserRecord, userName: string) {
    return {
      TableName: this.#tableName,
      Key: userNameItem(record.tenant, userName),
      ConditionExpression: '#userId = :id',
      ExpressionAttributeNames: { '#userId': 'userId' },
      ExpressionAttributeValues: { ':id': record.id },
    };
  }
}
