import { CreateTableCommand, type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { STATE_TABLE_KEYS } from '../../lambdas/contract/state-table.js';
import {
  createLifecycleEvent,
  employeeKey,
  type LifecycleEvent,
} from '../../lambdas/core/events/lifecycle-event.js';
import type { HeldTermination } from '../../lambdas/core/state/hold-store.js';
import { uniqueName } from './aws.js';
import { receiveUntilEmpty } from './sqs-receive.js';

/** A fresh state table (key `pk`) on moto, just what the brake and the holds need. */
export async function createStateTable(dynamodb: DynamoDBClient): Promise<string> {
  const tableName = uniqueName('brake-state');
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      AttributeDefinitions: [{ AttributeName: STATE_TABLE_KEYS.partitionKey, AttributeType: 'S' }],
      KeySchema: [{ AttributeName: STATE_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  return tableName;
}

/** A fresh FIFO queue standing in for the lifecycle queue. */
export async function createLifecycleQueue(sqs: SQSClient): Promise<string> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${uniqueName('holds')}.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  if (!QueueUrl) throw new Error('moto returned no queue URL');
  return QueueUrl;
}

/** Seeds `link#` items the way the worker's state store writes them. */
export async function seedLinks(
  dynamodb: DynamoDBClient,
  tableName: string,
  count: number,
  status: 'active' | 'disabled' | 'deleted',
  tenant = 'default',
): Promise<void> {
  const prefix = uniqueName(status);
  await Promise.all(
    Array.from({ length: count }, (_, index) =>
      dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            [STATE_TABLE_KEYS.partitionKey]: { S: `link#${tenant}:${prefix}-${index}` },
            status: { S: status },
          },
        }),
      ),
    ),
  );
}

export function terminationEvent(employeeId: string, id?: string): LifecycleEvent {
  return createLifecycleEvent({
    type: 'employee.terminated',
    source: 'test',
    ...(id === undefined ? {} : { id }),
    data: { employeeId, workEmail: `${employeeId}@example.com`, firstName: 'Grace', lastName: 'Hopper' },
  });
}

/** A termination as the worker holds it: the queued body kept whole. */
export function heldTermination(event: LifecycleEvent, heldAt: string): HeldTermination {
  return {
    employeeKey: employeeKey(event),
    eventId: event.id,
    body: JSON.stringify(event),
    heldAt,
    recent: 10,
    limit: 10,
  };
}

/** Every message now on the queue, with its attributes. */
export function receiveAll(sqs: SQSClient, queueUrl: string) {
  return receiveUntilEmpty(sqs, {
    QueueUrl: queueUrl,
    VisibilityTimeout: 60,
    WaitTimeSeconds: 0,
    MessageAttributeNames: ['All'],
    MessageSystemAttributeNames: ['All'],
  });
}
