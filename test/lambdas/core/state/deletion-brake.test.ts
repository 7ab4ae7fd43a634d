import {
  DynamoDBClient,
  GetItemCommand,
  type PutItemCommandInput,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_TABLE_KEYS } from '../../../../lambdas/contract/state-table.js';
import {
  brakeWindowKey,
  type DeletionBrake,
  DynamoDeletionBrake,
  LinkedUserCounts,
} from '../../../../lambdas/core/state/deletion-brake.js';
import { DeletionBrakeContentionError } from '../../../../lambdas/core/state/errors.js';
import { motoClientConfig } from '../../../support/aws.js';
import { createStateTable, seedLinks } from '../../../support/holds-fixture.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
afterAll(() => dynamodb.destroy());

const START = Date.parse('2026-11-22T12:00:00Z');
const MINUTE = 60_000;

/** A settable clock, so the window slides without waiting. */
function clock(start = START) {
  let now = start;
  return {
    now: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

async function admitMany(brake: DeletionBrake, count: number) {
  const decisions = [];
  for (let i = 0; i < count; i++) decisions.push(await brake.admit());
  return decisions;
}

async function windowItem(tableName: string) {
  const { Item } = await dynamodb.send(
    new GetItemCommand({
      TableName: tableName,
      Key: { [STATE_TABLE_KEYS.partitionKey]: { S: 'brake#window' } },
    }),
  );
  return Item;
}

describe('DynamoDeletionBrake (moto)', () => {
  it('holds a burst over the threshold and counts only what it admits', async () => {
    const table = await createStateTable(dynamodb);
    const time = clock();
    const brake = new DynamoDeletionBrake({ client: dynamodb, tableName: table, minimum: 3, now: time.now });
    expect(await admitMany(brake, 5)).toEqual([
      { admitted: true, recent: 1, limit: 3 },
      { admitted: true, recent: 2, limit: 3 },
      { admitted: true, recent: 3, limit: 3 },
      { admitted: false, recent: 3, limit: 3 },
      { admitted: false, recent: 3, limit: 3 },
    ]);
    expect(await brake.inspect()).toEqual({ admitted: false, recent: 3, limit: 3 });
    const item = await windowItem(table);
    expect(item?.times?.L).toHaveLength(3);
    // An idle brake leaves nothing behind: the item expires a window after the last termination.
    expect(Number(item?.[STATE_TABLE_KEYS.ttlAttribute]?.N)).toBe((START + 60 * MINUTE) / 1000);
  });

  it('slides exactly: a termination leaves the window when it is a full window old', async () => {
    const table = await createStateTable(dynamodb);
    const time = clock();
    const brake = new DynamoDeletionBrake({
      client: dynamodb,
      tableName: table,
      minimum: 2,
      windowMinutes: 60,
      now: time.now,
    });
    expect((await brake.admit()).admitted).toBe(true); // t = 0
    time.advance(10 * MINUTE);
    expect((await brake.admit()).admitted).toBe(true); // t = 10
    time.advance(49 * MINUTE);
    expect(await brake.admit()).toEqual({ admitted: false, recent: 2, limit: 2 }); // t = 59
    time.advance(MINUTE);
    expect(await brake.admit()).toEqual({ admitted: true, recent: 2, limit: 2 }); // t = 60: the first left
    expect(await brake.admit()).toEqual({ admitted: false, recent: 2, limit: 2 });
    time.advance(11 * MINUTE);
    expect(await brake.inspect()).toEqual({ admitted: true, recent: 2, limit: 2 }); // t = 71: one left, counting nothing
    expect(await brake.inspect()).toEqual({ admitted: true, recent: 2, limit: 2 });
  });

  it("admits an operator's release past the limit, and counts it", async () => {
    const table = await createStateTable(dynamodb);
    const brake = new DynamoDeletionBrake({
      client: dynamodb,
      tableName: table,
      minimum: 2,
      now: clock().now,
    });
    await admitMany(brake, 2);
    expect(await brake.admit({ force: true })).toEqual({ admitted: true, recent: 3, limit: 2 });
    expect(await brake.admit({ force: true })).toEqual({ admitted: true, recent: 4, limit: 2 });
    expect(await brake.admit()).toEqual({ admitted: false, recent: 4, limit: 2 });
  });

  it('sets the threshold from the percentage of linked, not deleted, users, cached for five minutes', async () => {
    const table = await createStateTable(dynamodb);
    await seedLinks(dynamodb, table, 20, 'active');
    await seedLinks(dynamodb, table, 5, 'disabled');
    await seedLinks(dynamodb, table, 10, 'deleted');
    const time = clock();
    const brake = new DynamoDeletionBrake({
      client: dynamodb,
      tableName: table,
      minimum: 2,
      percent: 10,
      now: time.now,
    });
    // 25 linked users: ceil(2.5) = 3 (counting the deleted ones would make it ceil(3.5) = 4).
    expect((await brake.inspect()).limit).toBe(3);
    await seedLinks(dynamodb, table, 20, 'active');
    time.advance(4 * MINUTE);
    expect((await brake.inspect()).limit).toBe(3);
    time.advance(MINUTE);
    expect((await brake.inspect()).limit).toBe(5);
    // The minimum wins over a small percentage.
    const small = new DynamoDeletionBrake({ client: dynamodb, tableName: table, minimum: 10, percent: 10 });
    expect((await small.inspect()).limit).toBe(10);
  });

  it("keeps each tenant's window and threshold its own, the default tenant under its old key", async () => {
    const table = await createStateTable(dynamodb);
    await seedLinks(dynamodb, table, 40, 'active', 'acme');
    await seedLinks(dynamodb, table, 10, 'active');
    let scans = 0;
    const counting = new DynamoDBClient(motoClientConfig());
    counting.middlewareStack.add(
      (next, context) => (args) => {
        if (context.commandName === 'ScanCommand') scans += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const linkedUsers = new LinkedUserCounts({ client: counting, tableName: table });
    const brakeOf = (tenantId?: string) =>
      new DynamoDeletionBrake({
        client: dynamodb,
        tableName: table,
        minimum: 1,
        percent: 10,
        linkedUsers,
        ...(tenantId === undefined ? {} : { tenantId }),
      });
    const [acme, globex, mine] = [brakeOf('acme'), brakeOf('globex'), brakeOf()];
    // 10% of each tenant's own linked users: 40 -> 4, none -> the minimum, 10 -> 1.
    expect((await acme.inspect()).limit).toBe(4);
    expect((await globex.inspect()).limit).toBe(1);
    expect((await mine.inspect()).limit).toBe(1);
    expect(scans).toBe(1);
    expect((await admitMany(globex, 2)).map((decision) => decision.admitted)).toEqual([true, false]);
    expect((await acme.admit()).admitted).toBe(true);
    expect((await mine.admit()).admitted).toBe(true);
    expect(brakeWindowKey('default')).toBe('brake#window');
    expect((await windowItem(table))?.times?.L).toHaveLength(1);
    counting.destroy();
  });

  it('never admits past the limit when workers admit concurrently', async () => {
    const table = await createStateTable(dynamodb);
    // moto_server applies each conditional write atomically only through its patches
    // (tools/local/moto-patches.ts), as DynamoDB does; the eight brakes decide and race, so only
    // the conditions (the append's size, the exact path's version) keep them within the limit.
    const workers = Array.from(
      { length: 8 },
      () => new DynamoDeletionBrake({ client: dynamodb, tableName: table, minimum: 5, now: clock().now }),
    );
    const decisions = await Promise.all(workers.map((brake) => brake.admit()));
    expect(decisions.filter((decision) => decision.admitted)).toHaveLength(5);
    expect(
      decisions
        .filter((decision) => decision.admitted)
        .map((d) => d.recent)
        .sort(),
    ).toEqual([1, 2, 3, 4, 5]);
    expect((await windowItem(table))?.times?.L).toHaveLength(5);
  });

  it('counts a termination below the minimum in one write, reading nothing, and reads once it is not', async () => {
    const table = await createStateTable(dynamodb);
    const commands: string[] = [];
    const counting = new DynamoDBClient(motoClientConfig());
    counting.middlewareStack.add(
      (next, context) => (args) => {
        commands.push(context.commandName ?? '');
        return next(args);
      },
      { step: 'initialize' },
    );
    const time = clock();
    const brake = new DynamoDeletionBrake({ client: counting, tableName: table, minimum: 2, now: time.now });
    try {
      expect(await brake.admit()).toEqual({ admitted: true, recent: 1, limit: 2 });
      expect(commands).toEqual(['UpdateItemCommand']);
      // An expired time still fills the item (the append cannot prune) but is not counted.
      time.advance(61 * MINUTE);
      expect(await brake.admit()).toEqual({ admitted: true, recent: 1, limit: 2 });
      commands.length = 0;
      time.advance(MINUTE);
      // Two times in the item: the exact path reads, prunes the expired one and admits.
      expect(await brake.admit()).toEqual({ admitted: true, recent: 2, limit: 2 });
      expect(commands).toContain('GetItemCommand');
      expect((await windowItem(table))?.times?.L).toHaveLength(2);
      expect(await brake.admit()).toEqual({ admitted: false, recent: 2, limit: 2 });
    } finally {
      counting.destroy();
    }
  });

  it('throws a typed (retryable) error when the window stays contended, counting nothing', async () => {
    const tableName = await createStateTable(dynamodb);
    // The window at its minimum, below the threshold of 5 linked users: only the exact path admits.
    await seedLinks(dynamodb, tableName, 5, 'active');
    await admitMany(new DynamoDeletionBrake({ client: dynamodb, tableName, minimum: 2, percent: 100 }), 2);
    const rival = new DynamoDBClient(motoClientConfig());
    // Another writer bumps the window's version between every read and write of this brake.
    rival.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'PutItemCommand') {
          const input = args.input as PutItemCommandInput;
          await dynamodb.send(
            new UpdateItemCommand({
              TableName: input.TableName,
              Key: { [STATE_TABLE_KEYS.partitionKey]: { S: 'brake#window' } },
              UpdateExpression: 'ADD #version :one',
              ExpressionAttributeNames: { '#version': 'version' },
              ExpressionAttributeValues: { ':one': { N: '1' } },
            }),
          );
        }
        return next(args);
      },
      { step: 'initialize' },
    );
    try {
      const brake = new DynamoDeletionBrake({
        client: rival,
        tableName,
        minimum: 2,
        percent: 100,
        maxAttempts: 3,
      });
      await expect(brake.admit()).rejects.toBeInstanceOf(DeletionBrakeContentionError);
      expect((await windowItem(tableName))?.times?.L).toHaveLength(2);
    } finally {
      rival.destroy();
    }
  });
});
