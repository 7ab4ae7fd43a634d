/**
 * The state table, described once as plain data. The stack maps it to CDK's table and index props
 * (`infra/state-table.ts`), the local mode to a CreateTable input (`tools/local/provision.ts`), so
 * the table the local mode creates has the keys, index and TTL of the deployed one.
 */

/**
 * Attribute names: one string partition key; items expire through the TTL attribute. The sparse
 * `due` index holds only what the sweep must act on at a time (scheduled events, disabled users
 * awaiting deletion): one constant partition (`dueShard`), sorted by the ISO time it is due.
 */
export const STATE_TABLE_KEYS = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
  dueIndexName: 'due',
  dueIndexPartitionKey: 'dueShard',
  dueIndexSortKey: 'dueAt',
  dueShard: 'due',
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
 * Links, processed events, schedules, holds and the deletion brake's window all live in this one
 * table under prefixed partition keys. The `due` index is sparse: only items carrying `dueShard`
 * are in it, so the every-minute sweep reads what is due and pays nothing for the rest.
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
  ],
};
