import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { dueAttributes, queryDue } from './table-queries.js';

/** An event that takes effect later: kept until the sweep re-queues it at `dueAt`. */
export interface ScheduledEvent {
  readonly employeeKey: string;
  readonly eventId: string;
  /** The event's own `time`, normalised: the latest event for an employee wins. */
  readonly eventTime: string;
  /** Normalised ISO time from `data.effectiveAt`. */
  readonly dueAt: string;
  /** The canonical event JSON, re-queued unchanged. */
  readonly body: string;
}

/**
 * Pending future-dated events, at most one per employee (`schedule#<employee>`): a newer event,
 * future-dated or not, replaces or cancels an older pending one, so a rehire or a withdrawn
 * termination stops a scheduled deprovisioning.
 */
export interface ScheduleStore {
  /** Stores it unless a newer event is already pending; false then. */
  schedule(event: ScheduledEvent): Promise<boolean>;
  get(employeeKey: string): Promise<ScheduledEvent | undefined>;
  /** Removes the pending event if it is still `eventId` (not replaced meanwhile). */
  remove(employeeKey: string, eventId: string): Promise<boolean>;
  /** Every pending event due at or before `now`, oldest first. */
  listDue(now: Date): AsyncIterable<ScheduledEvent>;
}

export const SCHEDULE_PREFIX = 'schedule#';

/** The key of an employee's pending event, `schedule#<employee>`. */
export const scheduleKey = (employeeKey: string) => ({
  [STATE_TABLE_KEYS.partitionKey]: `${SCHEDULE_PREFIX}${employeeKey}`,
});

function toScheduledEvent(item: Record<string, unknown>): ScheduledEvent {
  return {
    employeeKey: String(item[STATE_TABLE_KEYS.partitionKey]).slice(SCHEDULE_PREFIX.length),
    eventId: String(item.eventId),
    eventTime: String(item.eventTime),
    dueAt: String(item[STATE_TABLE_KEYS.dueIndexSortKey]),
    body: String(item.body),
  };
}

/** `ScheduleStore` in the state table; pending items sit in the sparse `due` index until removed. */
export class DynamoScheduleStore implements ScheduleStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
  }

  async schedule(event: ScheduledEvent): Promise<boolean> {
    const eventTime = new Date(event.eventTime).toISOString();
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            ...scheduleKey(event.employeeKey),
            eventId: event.eventId,
            eventTime,
            body: event.body,
            ...dueAttributes(event.dueAt),
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #time <= :time',
          ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#time': 'eventTime' },
          ExpressionAttributeValues: { ':time': eventTime },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async get(employeeKey: string): Promise<ScheduledEvent | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: scheduleKey(employeeKey), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : toScheduledEvent(Item);
  }

  async remove(employeeKey: string, eventId: string): Promise<boolean> {
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: scheduleKey(employeeKey),
          ConditionExpression: '#eventId = :eventId',
          ExpressionAttributeNames: { '#eventId': 'eventId' },
          ExpressionAttributeValues: { ':eventId': eventId },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async *listDue(now: Date): AsyncIterable<ScheduledEvent> {
    for await (const item of queryDue(this.#documents, this.#tableName, SCHEDULE_PREFIX, now)) {
      yield toScheduledEvent(item);
    }
  }
}
