import {
  type Attribute,
  AttributeType,
  BillingMode,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import {
  type GlobalSecondaryIndex,
  type KeyAttribute,
  type KeyAttributeType,
  STATE_TABLE,
  type TableDefinition,
} from '../lambdas/contract/state-table.js';

const ATTRIBUTE_TYPES: Record<KeyAttributeType, AttributeType> = {
  S: AttributeType.STRING,
  N: AttributeType.NUMBER,
  B: AttributeType.BINARY,
};
const PROJECTIONS: Record<GlobalSecondaryIndex['projection'], ProjectionType> = {
  ALL: ProjectionType.ALL,
  KEYS_ONLY: ProjectionType.KEYS_ONLY,
};
const BILLING_MODES: Record<TableDefinition['billing'], BillingMode> = {
  PAY_PER_REQUEST: BillingMode.PAY_PER_REQUEST,
};

function attribute(key: KeyAttribute): Attribute {
  return { name: key.name, type: ATTRIBUTE_TYPES[key.type] };
}

/**
 * The state table as `lambdas/contract/state-table.ts` defines it (keys, TTL, indexes, billing,
 * shared with the local mode), plus what only the deployed table has: point-in-time recovery and
 * encryption at rest.
 */
export function addStateTable(scope: Construct, id: string, tableName: string): Table {
  const table = new Table(scope, id, {
    tableName,
    partitionKey: attribute(STATE_TABLE.partitionKey),
    billingMode: BILLING_MODES[STATE_TABLE.billing],
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: STATE_TABLE.timeToLiveAttribute,
    encryption: TableEncryption.AWS_MANAGED,
  });
  for (const index of STATE_TABLE.globalSecondaryIndexes) {
    table.addGlobalSecondaryIndex({
      indexName: index.indexName,
      partitionKey: attribute(index.partitionKey),
      ...(index.sortKey === undefined ? {} : { sortKey: attribute(index.sortKey) }),
      projectionType: PROJECTIONS[index.projection],
    });
  }
  return table;
}
