import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';

/** The attributes that put an item into the sparse `due` index; absent, the item is not in it. */
export function dueAttributes(dueAt: string | undefined): Record<string, string> {
  if (dueAt === undefined) return {};
  return {
    [STATE_TABLE_KEYS.dueIndexPartitionKey]: STATE_TABLE_KEYS.dueShard,
    [STATE_TABLE_KEYS.dueIndexSortKey]: new Date(dueAt).toISOString(),
  };
}

/**
 * Items of one kind (`pk` prefix) due at or before `now`, oldest first. The index holds only what
 * is pending, so the every-minute sweep reads a handful of items, not the table.
 */
export async function* queryDue(
  documents: DynamoDBDocumentClient,
  tableName: string,
  prefix: string,
  now: Date,
): AsyncIterable<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: tableName,
        IndexName: STATE_TABLE_KEYS.dueIndexName,
        KeyConditionExpression: '#shard = :shard AND #dueAt <= :now',
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: {
          '#shard': STATE_TABLE_KEYS.dueIndexPartitionKey,
          '#dueAt': STATE_TABLE_KEYS.dueIndexSortKey,
          '#pk': STATE_TABLE_KEYS.partitionKey,
        },
        ExpressionAttributeValues: {
          ':shard': STATE_TABLE_KEYS.dueShard,
          ':now': now.toISOString(),
          ':prefix': prefix,
        },
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/**
 * Every item of one kind (`pk` prefix), consistently read: for the operator's and reconcile's
 * listings, which need the whole set rather than what is due.
 */
export async function* scanByPrefix(
  documents: DynamoDBDocumentClient,
  tableName: string,
  prefix: string,
): AsyncIterable<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(#pk, :prefix)',
        ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':prefix': prefix },
        ConsistentRead: true,
        ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
      }),
    );
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}
