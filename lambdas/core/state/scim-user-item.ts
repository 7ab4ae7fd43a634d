import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import type { ScimUserVersion } from '../events/scim-event.js';

/**
 * The SCIM service provider's items in the state table, described once: the SCIM function writes
 * them, the worker reports the provisioning status on the user item, the sweep queues an outbox
 * its request left behind. Every key holds the tenant.
 */
export const SCIM_ITEM_PREFIX = 'scim#';

/** The key of a SCIM user's item: its resource, version, outbox and provisioning status. */
export function scimUserItemKey(tenant: string, userId: string): Record<string, string> {
  return { [STATE_TABLE_KEYS.partitionKey]: `${SCIM_ITEM_PREFIX}${tenant}#user#${userId}` };
}

/** The key of the item that claims a `userName` (already lower-cased) for one user of the tenant. */
export function scimUserNameItemKey(tenant: string, userNameKey: string): Record<string, string> {
  return { [STATE_TABLE_KEYS.partitionKey]: `${SCIM_ITEM_PREFIX}${tenant}#userName#${userNameKey}` };
}

/** The user item's attributes that more than one function reads or writes. */
export const SCIM_USER_ATTRIBUTES = {
  tenant: 'tenant',
  id: 'id',
  version: 'version',
  /** The outbox: the version's events (JSON) until the queue has taken them. */
  pending: 'pending',
  /** An enqueue of `pending` failed: the retry of the request that made it answers as the first would have. */
  stalled: 'stalled',
  /** What the worker last reported (`provisioning-status.ts`); a new version leaves it in place. */
  provisioning: 'provisioning',
} as const;

/** One UpdateItem expression with the names and values it uses. */
export interface ItemUpdate {
  readonly expression: string;
  readonly names: Readonly<Record<string, string>>;
  readonly values?: Readonly<Record<string, unknown>>;
}

/**
 * Updates a SCIM user's item only while it is still at `at.version`, and does nothing once a newer
 * version replaced it (with its own outbox): for the outbox that means nothing is left to do.
 */
export async function updateScimUserAtVersion(
  documents: DynamoDBDocumentClient,
  tableName: string,
  at: ScimUserVersion,
  update: ItemUpdate,
): Promise<void> {
  try {
    await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: scimUserItemKey(at.tenant, at.userId),
        UpdateExpression: update.expression,
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': SCIM_USER_ATTRIBUTES.version, ...update.names },
        ExpressionAttributeValues: { ':version': at.version, ...update.values },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
  }
}
