import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { DEFAULTS } from '../../contract/settings.js';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { DEFAULT_TENANT_ID } from '../../contract/tenants.js';
import { tenantOfEmployeeKey } from '../events/lifecycle-event.js';
import { DeletionBrakeContentionError } from './errors.js';
import { LINK_PREFIX } from './link-item.js';

/** Where the deletion brake's sliding window stands for one termination. */
export interface BrakeDecision {
  /** False: the termination must be held, not executed. */
  readonly admitted: boolean;
  /** Terminations counted in the window (this one included when it was admitted). */
  readonly recent: number;
  /**
   * The threshold: the larger of the configured minimum and the percentage of linked users. For a
   * termination `admit` let in below the minimum it is the minimum: the users were not counted.
   */
  readonly limit: number;
}

/**
 * The accidental-mass-deprovisioning guard (what Entra calls accidental deletion prevention): a
 * broken HRIS export or a wrong filter must not wipe the phone system in one run. Terminations
 * (deletes and disables) are counted in a sliding window; past the threshold they are held.
 */
export interface DeletionBrake {
  /** Counts one termination unless the window is full. `force` (an operator's release) counts it regardless. */
  admit(options?: { readonly force?: boolean }): Promise<BrakeDecision>;
  /** Where the window stands, counting nothing: for dry runs and `plan`. */
  inspect(): Promise<BrakeDecision>;
}

export interface DynamoDeletionBrakeOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Length of the sliding window (default `DEFAULTS.deletionBrake.windowMinutes`). */
  readonly windowMinutes?: number;
  /** Terminations always allowed per window, however few users are linked. */
  readonly minimum?: number;
  /** Percentage of linked (not deleted) users allowed per window when that is above `minimum`. */
  readonly percent?: number;
  /** Optimistic-concurrency attempts before `DeletionBrakeContentionError` (default 10). */
  readonly maxAttempts?: number;
  /** Whose terminations this brake counts, against whose linked users (default: the default tenant). */
  readonly tenantId?: string;
  /** The linked-user counts, shared by every tenant's brake of a process (default: a count of its own). */
  readonly linkedUsers?: LinkedUserCounts;
  readonly now?: () => Date;
}

/**
 * The window item of one tenant. The default tenant keeps the key it had before tenants existed,
 * so an upgraded deployment's window carries on with no migration.
 */
export function brakeWindowKey(tenantId: string): string {
  return tenantId === DEFAULT_TENANT_ID ? 'brake#window' : `brake#window#${tenantId}`;
}

/** Linked users change slowly; one Scan per five minutes per warm worker keeps the brake cheap. */
const LINKED_USERS_CACHE_MS = 5 * 60_000;

/**
 * Linked (not deleted) users per tenant, counted by one Scan of the link items for every tenant
 * at once and kept five minutes, shared by concurrent callers: with 100 tenants a burst of
 * terminations costs one Scan per period, not one per tenant. A failed Scan is not kept.
 */
export class LinkedUserCounts {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;
  #counts: { readonly byTenant: Promise<ReadonlyMap<string, number>>; readonly at: number } | undefined;

  constructor(options: {
    readonly client: DynamoDBClient;
    readonly tableName: string;
    readonly now?: () => Date;
  }) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async count(tenantId: string): Promise<number> {
    const now = this.#now().getTime();
    if (this.#counts === undefined || now - this.#counts.at >= LINKED_USERS_CACHE_MS) {
      const byTenant = this.#scan();
      this.#counts = { byTenant, at: now };
      byTenant.catch(() => {
        if (this.#counts?.byTenant === byTenant) this.#counts = undefined;
      });
    }
    return (await this.#counts.byTenant).get(tenantId) ?? 0;
  }

  async #scan(): Promise<ReadonlyMap<string, number>> {
    const counts = new Map<string, number>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#documents.send(
        new ScanCommand({
          TableName: this.#tableName,
          ProjectionExpression: '#pk',
          // attribute_exists: an item holding only a new employee's lease is no linked user.
          FilterExpression: 'begins_with(#pk, :prefix) AND attribute_exists(#status) AND #status <> :deleted',
          ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#status': 'status' },
          ExpressionAttributeValues: { ':prefix': LINK_PREFIX, ':deleted': 'deleted' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = String(item[STATE_TABLE_KEYS.partitionKey]).slice(LINK_PREFIX.length);
        const tenant = tenantOfEmployeeKey(key);
        counts.set(tenant, (counts.get(tenant) ?? 0) + 1);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return counts;
  }
}

interface WindowState {
  /** Epoch ms of the terminations counted, oldest first, already pruned to the window. */
  readonly times: number[];
  /** Undefined when no window item exists yet. */
  readonly version: number | undefined;
}

/**
 * `DeletionBrake` over the state table, one per tenant: each tenant has its own window item and
 * its own threshold from its own linked users, so one tenant's burst never holds another's
 * terminations. The window is exact, not bucketed, so an operator can
 * reason "the 11th termination within 60 minutes is held": one item (`brakeWindowKey`) holds the
 * epoch-ms time of every termination counted in the last window. While it holds fewer times than
 * the minimum, a termination is admitted by one atomic conditional append; past that, the item is
 * read, pruned and rewritten with optimistic concurrency (a `version` attribute). Either way
 * concurrent workers never admit past the threshold together. The item's TTL lets an idle brake
 * leave nothing behind.
 *
 * The item grows by about 10 bytes per termination in the window, so DynamoDB's 400 KB item
 * limit allows some 40,000 terminations per window: far beyond any threshold worth setting.
 */
export class DynamoDeletionBrake implements DeletionBrake {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #windowMs: number;
  readonly #minimum: number;
  readonly #percent: number;
  readonly #maxAttempts: number;
  readonly #now: () => Date;
  readonly #tenantId: string;
  readonly #windowKey: string;
  readonly #linkedUsers: LinkedUserCounts;

  constructor(options: DynamoDeletionBrakeOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#windowMs = (options.windowMinutes ?? DEFAULTS.deletionBrake.windowMinutes) * 60_000;
    this.#minimum = options.minimum ?? DEFAULTS.deletionBrake.minimum;
    this.#percent = options.percent ?? DEFAULTS.deletionBrake.percent;
    this.#maxAttempts = options.maxAttempts ?? 10;
    this.#now = options.now ?? (() => new Date());
    this.#tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    this.#windowKey = brakeWindowKey(this.#tenantId);
    this.#linkedUsers =
      options.linkedUsers ??
      new LinkedUserCounts({ client: options.client, tableName: options.tableName, now: this.#now });
  }

  async admit(options: { readonly force?: boolean } = {}): Promise<BrakeDecision> {
    const belowMinimum = await this.#admitBelowMinimum();
    if (belowMinimum !== undefined) return belowMinimum;
    for (let attempt = 1; attempt <= this.#maxAttempts; attempt++) {
      const now = this.#now().getTime();
      const window = await this.#readWindow(now);
      const recent = window.times.length;
      // Below the minimum no percentage can hold it, so the linked users need no counting: a cold
      // worker's first termination (the priority lane's, say) does not wait for a table Scan.
      const limit = recent < this.#minimum ? this.#minimum : await this.#limit();
      if (recent >= limit && !options.force) return { admitted: false, recent, limit };
      if (await this.#writeWindow([...window.times, now], window.version, now)) {
        return { admitted: true, recent: recent + 1, limit };
      }
      // Another worker counted a termination meanwhile: back off a little, with jitter, and re-read.
      await sleep(Math.random() * 20 * attempt);
    }
    throw new DeletionBrakeContentionError(
      `deletion brake window still contended after ${this.#maxAttempts} attempts`,
    );
  }

  /**
   * The common case in one write and without contention: while the window item holds fewer times
   * than the minimum (expired ones included, so the window surely holds fewer), the termination
   * is admitted whatever the linked users, and appending its time is one atomic conditional
   * update: concurrent terminations (the priority lane's) neither read first nor retry each
   * other's writes. Undefined when the item is that full: then the exact path reads, prunes and
   * decides. Bumps the version, so an exact writer racing it reads again.
   */
  async #admitBelowMinimum(): Promise<BrakeDecision | undefined> {
    if (this.#minimum < 1) return undefined;
    const now = this.#now().getTime();
    try {
      const { Attributes } = await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: { [STATE_TABLE_KEYS.partitionKey]: this.#windowKey },
          UpdateExpression:
            'SET #times = list_append(if_not_exists(#times, :empty), :now), #version = if_not_exists(#version, :zero) + :one, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#times) OR size(#times) < :minimum',
          ExpressionAttributeNames: {
            '#times': 'times',
            '#version': 'version',
            '#ttl': STATE_TABLE_KEYS.ttlAttribute,
          },
          ExpressionAttributeValues: {
            ':empty': [],
            ':now': [now],
            ':zero': 0,
            ':one': 1,
            ':ttl': Math.ceil((now + this.#windowMs) / 1000),
            ':minimum': this.#minimum,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const times = Array.isArray(Attributes?.times) ? (Attributes.times as number[]) : [now];
      const cutoff = now - this.#windowMs;
      return { admitted: true, recent: times.filter((time) => time > cutoff).length, limit: this.#minimum };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** The decision `admit()` would return now (so `recent` includes this termination when admitted), recording nothing. */
  async inspect(): Promise<BrakeDecision> {
    const now = this.#now().getTime();
    const [window, limit] = await Promise.all([this.#readWindow(now), this.#limit()]);
    const recent = window.times.length;
    return recent >= limit
      ? { admitted: false, recent, limit }
      : { admitted: true, recent: recent + 1, limit };
  }

  async #readWindow(now: number): Promise<WindowState> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: this.#windowKey },
        ConsistentRead: true,
      }),
    );
    const times = Array.isArray(Item?.times) ? (Item.times as number[]) : [];
    const cutoff = now - this.#windowMs;
    return {
      times: times.filter((time) => time > cutoff).sort((a, b) => a - b),
      version: typeof Item?.version === 'number' ? Item.version : undefined,
    };
  }

  /** False when another writer changed the window since it was read. */
  async #writeWindow(times: number[], version: number | undefined, now: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            [STATE_TABLE_KEYS.partitionKey]: this.#windowKey,
            times,
            version: (version ?? 0) + 1,
            [STATE_TABLE_KEYS.ttlAttribute]: Math.ceil((now + this.#windowMs) / 1000),
          },
          ...(version === undefined
            ? {
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey },
              }
            : {
                ConditionExpression: '#version = :version',
                ExpressionAttributeNames: { '#version': 'version' },
                ExpressionAttributeValues: { ':version': version },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #limit(): Promise<number> {
    const linkedUsers = await this.#linkedUsers.count(this.#tenantId);
    return Math.max(this.#minimum, Math.ceil((this.#percent / 100) * linkedUsers));
  }
}
