import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_TABLE_KEYS } from '../../../../lambdas/contract/state-table.js';
import { DynamoHoldStore, type HeldTermination } from '../../../../lambdas/core/state/hold-store.js';
import { motoClientConfig } from '../../../support/aws.js';
import {
  createStateTable,
  heldTermination,
  seedLinks,
  terminationEvent,
} from '../../../support/holds-fixture.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
afterAll(() => dynamodb.destroy());

async function listed(store: DynamoHoldStore): Promise<HeldTermination[]> {
  const all: HeldTermination[] = [];
  for await (const held of store.list()) all.push(held);
  return all;
}

async function freshStore() {
  const tableName = await createStateTable(dynamodb);
  return { tableName, store: new DynamoHoldStore({ client: dynamodb, tableName }) };
}

describe('DynamoHoldStore (moto)', () => {
  it('keeps a held termination whole, and one hold per event however often it is held', async () => {
    const { store } = await freshStore();
    const first = heldTermination(terminationEvent('emp-h1'), '2026-11-22T12:00:00.000Z');
    await store.hold(first);
    // A redelivery of the same event is held again later, with another count: the first hold stays.
    await store.hold({ ...first, heldAt: '2026-11-22T12:05:00.000Z', recent: 12 });
    expect(await listed(store)).toEqual([first]);
  });

  it('lists holds oldest first, and nothing else the table holds', async () => {
    const { tableName, store } = await freshStore();
    await seedLinks(dynamodb, tableName, 3, 'active');
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { [STATE_TABLE_KEYS.partitionKey]: { S: 'brake#window' }, version: { N: '1' } },
      }),
    );
    const late = heldTermination(terminationEvent('emp-h2'), '2026-11-22T12:03:00.000Z');
    const early = heldTermination(terminationEvent('emp-h3'), '2026-11-22T12:01:00.000Z');
    const middle = heldTermination(terminationEvent('emp-h4'), '2026-11-22T12:02:00.000Z');
    for (const held of [late, early, middle]) await store.hold(held);
    expect(await listed(store)).toEqual([early, middle, late]);
  });

  it('removes one hold; removing it again is harmless', async () => {
    const { store } = await freshStore();
    const kept = heldTermination(terminationEvent('emp-h5'), '2026-11-22T12:00:00.000Z');
    const removed = heldTermination(terminationEvent('emp-h6'), '2026-11-22T12:01:00.000Z');
    await store.hold(kept);
    await store.hold(removed);
    await store.remove(removed.employeeKey, removed.eventId);
    await store.remove(removed.employeeKey, removed.eventId);
    expect(await listed(store)).toEqual([kept]);
  });
});
