/**
 * The state table, described once as plain data. The stack maps it to CDK's table and index props
 * (`infra/state-table.ts`), the local mode to a CreateTable input (`tools/local/provision.ts`), so
 * the table the local mode creates has the keys, index and TTL of the deployed one.
 */

/**
 * Attribute names: one string partition key; items expire through the TTL attribute. The sparse
 * `due` index holds only what the sweep must act on at a time (scheduled events, disabled users
 * awaiting deletion): one constant partition (`dueShard`), sorted by the ISO time it is due. The
 * sparse `scimUsers` index holds only the SCIM service provider's user items, one partition per
 * tenant, in creation order, so a SCIM list or filter reads one tenant's users and nothing else.
 */
export const STATE_TABLE_KEYS = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
  dueIndexName: 'due',
  dueIndexPartitionKey: 'dueShard',
  dueIndexSortKey: 'dueAt',
  dueShard: 'due',
  scimIndexName: 'scimUsers',
  scimIndexPartitionKey: 'scimTenant',
  scimIndexSortKey: 'scimOrder',
} as const;

/** DynamoDB's key attribute types: `S` string, `N` number, `B` binary. */
export type KeyAttributeType = 'S' | 'N' | 'B';

export interface KeyAttribute {
  readonly name: string;
  readonly type: KeyAttributeType;
}

export interface GlobalSecondaryIndex {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  /** `ALL` copies whole items into the index, so a reader of the index never reads the table. */
  readonly projection: 'ALL' | 'KEYS_ONLY';
}

export interface TableDefinition {
  readonly partitionKey: KeyAttribute;
  readonly timeToLiveAttribute: string;
  /** On demand: the load is a trickle of HR changes and a sweep a minute, far below any provisioned floor. */
  readonly billing: 'PAY_PER_REQUEST';
  readonly globalSecondaryIndexes: readonly GlobalSecondaryIndex[];
}

/**
 * Links, processed events, schedules, holds, the deletion brake's window and the SCIM users all
 * live in this one table under prefixed partition keys. Both indexes are sparse: only items
 * carrying `dueShard` are in `due`, so the every-minute sweep reads what is due and pays nothing
 * for the rest; only live SCIM users carry `scimTenant`, so listing them never scans the table.
 */
export const STATE_TABLE: TableDefinition = {
  partitionKey: { name: STATE_TABLE_KEYS.partitionKey, type: 'S' },
  timeToLiveAttribute: STATE_TABLE_KEYS.ttlAttribute,
  billing: 'PAY_PER_REQUEST',
  globalSecondaryIndexes: [
    {
      indexName: STATE_TABLE_KEYS.dueIndexName,
      partitionKey: { name: STATE_TABLE_KEYS.dueIndexPartitionKey, type: 'S' },
      sortKey: { name: STATE_TABLE_KEYS.dueIndexSortKey, type: 'S' },
      projection: 'ALL',
    },
    {
      indexName: STATE_TABLE_KEYS.scimIndexName,
      partitionKey: { name: STATE_TABLE_KEYS.scimIndexPartitionKey, type: 'S' },
      sortKey: { name: STATE_TABLE_KEYS.scimIndexSortKey, type: 'S' },
      projection: 'ALL',
    },
  ],
};

/**
 * The partition-key prefix of a provider's set-up handshake waiting for the operator (Gusto's
 * verification token): the one kind of item the ingest function may write, so the stack limits its
 * PutItem to keys starting with this (`dynamodb:LeadingKeys`).
 */
export const HANDSHAKE_KEY_PREFIX = 'handshake#';
