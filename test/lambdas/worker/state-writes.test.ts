import { DynamoDBClient, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { STATE_TABLE_KEYS } from '../../../lambdas/contract/state-table.js';
import type { LifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { DynamoDeletionBrake } from '../../../lambdas/core/state/deletion-brake.js';
import { DynamoHoldStore } from '../../../lambdas/core/state/hold-store.js';
import { DynamoScheduleStore } from '../../../lambdas/core/state/schedule-store.js';
import { DynamoStateStore } from '../../../lambdas/core/state/state-store.js';
import { motoClientConfig } from '../../support/aws.js';
import {
  employee,
  keyOf,
  lifecycleEvent,
  type WorkerFixture,
  workerFixture,
} from '../../support/worker-fixture.js';

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);

/**
 * What one event costs the state table, counted per DynamoDB operation as it leaves the worker
 * (every table port on one counting client): the figures behind the cost per event.
 */
describe('the worker writes the state table once per change, and changes nothing for a duplicate or a stale event (sandbox + moto)', () => {
  let fx: WorkerFixture;
  const calls = new Map<string, number>();
  const counting = new DynamoDBClient(motoClientConfig());
  counting.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      calls.set(operation, (calls.get(operation) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countOperations' },
  );
  const writes = () => Object.fromEntries([...calls].filter(([operation]) => WRITES.has(operation)).sort());
  const table = () => fx.aws.resources.stateTableName;

  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(async () => {
    counting.destroy();
    await fx.close();
  });
  beforeEach(() => calls.clear());

  const apply = async (event: LifecycleEvent) => {
    calls.clear();
    const tableName = table();
    return fx.apply(event, {
      store: new DynamoStateStore({ client: counting, tableName }),
      schedules: new DynamoScheduleStore({ client: counting, tableName }),
      holds: new DynamoHoldStore({ client: counting, tableName }),
      brake: new DynamoDeletionBrake({ client: counting, tableName }),
    });
  };

  it('hire, change, no-op change, duplicate, terminate: one call reads the link each, no transaction', async () => {
    const data = employee();
    const hire = lifecycleEvent('employee.hired', data);
    expect((await apply(hire)).attributes.outcome).toBe('created');
    // The lease taken with the read (no item yet), the user's claim (user#), the link with the
    // lease given back.
    expect(writes()).toEqual({ PutItem: 1, UpdateItem: 2 });
    // Only the schedule (no link yet: one may be pending); the lease's write was the link's read.
    expect(calls.get('GetItem')).toBe(1);

    const renamed = { ...data, lastName: 'Renamed' };
    expect((await apply(lifecycleEvent('employee.changed', renamed))).attributes.outcome).toBe('updated');
    expect(writes()).toEqual({ UpdateItem: 2 });
    expect(calls.get('GetItem')).toBe(1);

    const same = lifecycleEvent('employee.changed', renamed);
    expect((await apply(same)).attributes.outcome).toBe('unchanged');
    // No CPaaS write, so no lease: the record alone, conditional on the link as read.
    expect(writes()).toEqual({ UpdateItem: 1 });
    expect(calls.get('GetItem')).toBe(1);

    expect((await apply(same)).attributes).toMatchObject({ outcome: 'duplicate', apiCalls: 0 });
    expect(writes()).toEqual({});
    expect(calls.get('GetItem')).toBe(1);

    // A hire guesses a new employee: the lease's condition (no item) fails, and its answer, the
    // item as it stands, is the read. A failed condition is billed as a write unit, nothing changes.
    expect((await apply(hire)).attributes).toMatchObject({ outcome: 'duplicate', apiCalls: 0 });
    expect(writes()).toEqual({ UpdateItem: 1 });
    expect(calls.get('GetItem')).toBeUndefined();
    expect(await fx.store.getLink(keyOf(data))).toMatchObject({ lastEventId: same.id });

    // Older than the last applied event (it waited on another lane): stale, and nothing written.
    const late = lifecycleEvent('employee.changed', data, {
      time: new Date(Date.parse(hire.time) - 60_000).toISOString(),
    });
    expect((await apply(late)).attributes).toMatchObject({ outcome: 'stale', apiCalls: 0 });
    expect(writes()).toEqual({});
    expect(calls.get('GetItem')).toBe(1);

    const termination = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
    expect((await apply(termination)).attributes.outcome).toBe('deleted');
    // The lease taken with the read (the link exists), the brake's window (an append while it
    // holds fewer than the minimum), the link.
    expect(writes()).toEqual({ UpdateItem: 3 });
    // Nothing read on its own: the brake counts without reading its window.
    expect(calls.get('GetItem')).toBeUndefined();

    // A redelivered termination: its id is among the recent ones, so the lease is not taken and
    // the failed condition's answer says duplicate.
    expect((await apply(termination)).attributes).toMatchObject({ outcome: 'duplicate', apiCalls: 0 });
    expect(writes()).toEqual({ UpdateItem: 1 });
    expect(calls.get('GetItem')).toBeUndefined();
    expect(await fx.store.getLink(keyOf(data))).toMatchObject({
      status: 'deleted',
      lastEventId: termination.id,
    });
  });

  it('reads items the former format wrote (no manual migration): an event recorded then is a duplicate', async () => {
    const data = employee();
    const user = await fx.admin.createUser({
      email: data.workEmail,
      first_name: data.firstName,
      last_name: data.lastName,
    });
    const hire = lifecycleEvent('employee.hired', data);
    // Same time as the hire (an HRIS that stamps a batch once): only its event# item tells.
    const sameTime = lifecycleEvent('employee.changed', data, { time: hire.time });
    const put = (item: Record<string, string>, ttl?: number) =>
      fx.aws.dynamodb.send(
        new PutItemCommand({
          TableName: table(),
          Item: {
            ...Object.fromEntries(Object.entries(item).map(([name, value]) => [name, { S: value }])),
            ...(ttl === undefined ? {} : { [STATE_TABLE_KEYS.ttlAttribute]: { N: String(ttl) } }),
          },
        }),
      );
    // As the former worker left them: a link (no version, no recent ids), event# items, a lease#.
    const retained = Math.floor(Date.now() / 1000) + 7 * 86_400;
    await put({
      [STATE_TABLE_KEYS.partitionKey]: `link#${keyOf(data)}`,
      cpaasUserId: user.id,
      status: 'active',
      lastEventId: sameTime.id,
      lastEventTime: hire.time,
      updatedAt: hire.time,
    });
    await put(
      { [STATE_TABLE_KEYS.partitionKey]: `event#${keyOf(data)}#${hire.id}`, outcome: 'created' },
      retained,
    );
    await put(
      { [STATE_TABLE_KEYS.partitionKey]: `event#${keyOf(data)}#${sameTime.id}`, outcome: 'unchanged' },
      retained,
    );
    await put({ [STATE_TABLE_KEYS.partitionKey]: `lease#${keyOf(data)}`, holder: 'former-worker' });

    // The hire's lease guess (no item) fails: that write changed nothing, its answer was the read.
    expect((await apply(hire)).attributes).toMatchObject({ outcome: 'duplicate', apiCalls: 0 });
    expect(writes()).toEqual({ UpdateItem: 1 });
    expect((await apply(sameTime)).attributes).toMatchObject({ outcome: 'duplicate', apiCalls: 0 });

    // The first new event rewrites the link in the new format; the former records still answer.
    const change = lifecycleEvent('employee.changed', { ...data, lastName: 'Now' });
    expect((await apply(change)).attributes.outcome).toBe('updated');
    expect(fx.usersWithEmail(data.workEmail)).toMatchObject([{ id: user.id, last_name: 'Now' }]);
    expect((await apply(hire)).attributes.outcome).toBe('duplicate');
    expect((await apply(change)).attributes.outcome).toBe('duplicate');
  });

  it("applies an employee whose lease a crashed worker left behind once that invocation's deadline passed", async () => {
    const data = employee();
    await apply(lifecycleEvent('employee.hired', data));
    await fx.aws.dynamodb.send(
      new UpdateItemCommand({
        TableName: table(),
        Key: { [STATE_TABLE_KEYS.partitionKey]: { S: `link#${keyOf(data)}` } },
        UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until ADD version :one',
        ExpressionAttributeValues: {
          ':owner': { S: 'crashed-worker' },
          ':until': { N: String(Date.now() - 1) },
          ':one': { N: '1' },
        },
      }),
    );
    const line = await apply(lifecycleEvent('employee.changed', { ...data, lastName: 'After' }));
    expect(line.attributes.outcome).toBe('updated');
    expect(fx.usersWithEmail(data.workEmail)[0]?.last_name).toBe('After');
    expect(await fx.store.getLink(keyOf(data))).toMatchObject({ status: 'active' });
  });
});
