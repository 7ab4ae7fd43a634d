import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { tenantKeyPrefix } from '../events/lifecycle-event.js';
import { scanByPrefix } from './table-queries.js';

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
  /** Oldest first; with `tenantId`, that tenant's holds only (an operator acts on one tenant at a time). */
  list(tenantId?: string): AsyncIterable<HeldTermination>;
  remove(employeeKey: string, eventId: string): Promise<void>;
}

export interface DynamoHoldStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
}

export const HOLD_PREFIX = 'hold#';

/** The key of one held termination, `hold#<employee>#<event id>`. */
export const holdKey = (employeeKey: string, eventId: string) => ({
  [STATE_TABLE_KEYS.partitionKey]: `${HOLD_PREFIX}${employeeKey}#${eventId}`,
});

function toHeld(item: Record<string, unknown>): HeldTermination {
  return {
    employeeKey: String(item.employeeKey),
    eventId: String(item.eventId),
    body: String(item.body),
    heldAt: String(item.heldAt),
    recent: Number(item.recent),
    limit: Number(item.limit),
  };
}

/**
 * `HoldStore` over the state table: one item `hold#<employee>#<event id>` per held termination,
 * without TTL (a hold waits for an operator, however long that takes). The key fields are also
 * stored as attributes, so nothing is parsed back out of the key.
 */
export class DynamoHoldStore implements HoldStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: DynamoHoldStoreOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
  }

  /** The first hold wins: a redelivery keeps the original `heldAt`, so the operator sees when it was first held. */
  async hold(held: HeldTermination): Promise<void> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...holdKey(held.employeeKey, held.eventId),
            employeeKey: held.employeeKey,
            eventId: held.eventId,
            body: held.body,
            heldAt: held.heldAt,
            recent: held.recent,
            limit: held.limit,
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Oldest first, so releasing them in this order keeps each employee's events in order. A
   * tenant's holds are found by their key prefix (the employee key starts with the tenant), so
   * the default tenant's holds from before tenants existed are its holds still.
   */
  async *list(tenantId?: string): AsyncIterable<HeldTermination> {
    const held: HeldTermination[] = [];
    const prefix = tenantId === undefined ? HOLD_PREFIX : `${HOLD_PREFIX}${tenantKeyPrefix(tenantId)}`;
    for await (const item of scanByPrefix(this.#documents, this.#tableName, prefix)) {
      held.push(toHeld(item));
    }
    held.sort((a, b) => a.heldAt.localeCompare(b.heldAt) || a.eventId.localeCompare(b.eventId));
    yield* held;
  }

  async remove(employeeKey: string, eventId: string): Promise<void> {
    await this.#documents.send(
      new DeleteCommand({
        TableName: this.#tableName,
        Key: holdKey(employeeKey, eventId),
      }),
    );
  }
}
