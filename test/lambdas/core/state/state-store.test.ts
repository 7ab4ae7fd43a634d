import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../../lambdas/contract/settings.js';
import { STATE_TABLE_KEYS } from '../../../../lambdas/contract/state-table.js';
import { UserLinkedElsewhereError } from '../../../../lambdas/core/converge/errors.js';
import { EmployeeBusyError } from '../../../../lambdas/core/state/errors.js';
import { DynamoStateStore, type EmployeeLink } from '../../../../lambdas/core/state/state-store.js';
import { type AwsFixture, awsFixture } from '../../../support/aws-fixture.js';
import { saveLink } from '../../../support/links.js';

const link = (overrides: Partial<EmployeeLink> = {}): EmployeeLink => ({
  employeeKey: 'default:E1',
  cpaasUserId: 'a'.repeat(32),
  status: 'active',
  lastEventId: 'ev-1',
  lastEventTime: '2026-01-02T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:01.000Z',
  ...overrides,
});

describe('DynamoStateStore (moto)', () => {
  let aws: AwsFixture;
  let store: DynamoStateStore;
  const now = new Date('2026-11-22T12:00:00Z');

  beforeAll(async () => {
    aws = await awsFixture();
    store = new DynamoStateStore({
      client: aws.dynamodb,
      tableName: aws.resources.stateTableName,
      now: () => now,
    });
  });
  afterAll(() => aws.destroy());

  it('stores and reads a link; a newer or equal event time overwrites it', async () => {
    expect(await store.getLink('default:E1')).toBeUndefined();
    expect(await saveLink(store, link())).toBe(true);
    expect(await store.getLink('default:E1')).toEqual(link());
    expect(await saveLink(store, link({ status: 'disabled' }))).toBe(true);
    const later = link({
      status: 'deleted',
      lastEventId: 'ev-2',
      lastEventTime: '2026-01-03T01:00:00+01:00',
    });
    expect(await saveLink(store, later)).toBe(true);
    expect((await store.getLink('default:E1'))?.lastEventTime).toBe('2026-01-03T00:00:00.000Z');
  });

  it('refuses to overwrite a link with an older event (conditional write)', async () => {
    const key = 'default:E2';
    await saveLink(store, link({ employeeKey: key, lastEventTime: '2026-05-01T00:00:00Z' }));
    const older = link({ employeeKey: key, status: 'deleted', lastEventTime: '2026-04-30T23:59:59Z' });
    expect(await saveLink(store, older)).toBe(false);
    expect((await store.getLink(key))?.status).toBe('active');
  });

  it('saves a link and records its event in one write; a superseded link records nothing', async () => {
    const key = 'default:E6';
    expect(
      await saveLink(
        store,
        link({ employeeKey: key, lastEventId: 'ev-6', lastEventTime: '2026-05-01T00:00:00Z' }),
      ),
    ).toBe(true);
    expect(await store.isProcessed(key, 'ev-6')).toBe(true);
    const older = link({ employeeKey: key, lastEventId: 'ev-5', lastEventTime: '2026-04-01T00:00:00Z' });
    expect(await saveLink(store, older)).toBe(false);
    expect(await store.isProcessed(key, 'ev-5')).toBe(false);
    // The same event saved again (the second step of an adoption): the link is still written.
    const again = link({
      employeeKey: key,
      lastEventId: 'ev-6',
      status: 'disabled',
      lastEventTime: '2026-05-01T00:00:00Z',
    });
    expect(await saveLink(store, again)).toBe(true);
    expect((await store.getLink(key))?.status).toBe('disabled');
  });

  it('lists every link and only links, for reconcile', async () => {
    await saveLink(store, link({ employeeKey: 'acme:E5', cpaasUserId: undefined, status: 'deleted' }));
    // A new employee's first event holding the lease: an item, but no link yet.
    const first = await store.begin(
      'acme:E7',
      { id: 'ev-7', time: '2026-01-01T00:00:00Z' },
      Date.now() + 30_000,
    );
    expect(await first.lock()).toBe(true);
    expect(await store.getLink('acme:E7')).toBeUndefined();
    const links = [];
    for await (const item of store.listLinks()) links.push(item);
    expect(links.map((item) => item.employeeKey).sort()).toEqual([
      'acme:E5',
      'default:E1',
      'default:E2',
      'default:E6',
    ]);
    expect(links.find((item) => item.employeeKey === 'acme:E5')).not.toHaveProperty('cpaasUserId');
    await first.close();
  });
});

describe('DynamoStateStore over items of the former format (moto)', () => {
  let aws: AwsFixture;
  let store: DynamoStateStore;
  const now = new Date('2026-11-22T12:00:00Z');

  beforeAll(async () => {
    aws = await awsFixture();
    store = new DynamoStateStore({
      client: aws.dynamodb,
      tableName: aws.resources.stateTableName,
      now: () => now,
    });
  });
  afterAll(() => aws.destroy());

  it('still reads processed-event items of the former format (event#, TTL) during the rollover', async () => {
    const table = aws.resources.stateTableName;
    // As the former worker wrote them: a link without version or recent ids, and event# items.
    await aws.dynamodb.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          [STATE_TABLE_KEYS.partitionKey]: { S: 'link#default:E3' },
          status: { S: 'active' },
          lastEventId: { S: 'ev-10' },
          lastEventTime: { S: '2026-01-05T00:00:00.000Z' },
          updatedAt: { S: '2026-01-05T00:00:01.000Z' },
        },
      }),
    );
    const retention = DEFAULTS.processedEventRetentionDays * 86_400;
    const legacyEvent = (eventId: string, expiresAt: number) =>
      aws.dynamodb.send(
        new PutItemCommand({
          TableName: table,
          Item: {
            [STATE_TABLE_KEYS.partitionKey]: { S: `event#default:E3#${eventId}` },
            outcome: { S: 'created' },
            [STATE_TABLE_KEYS.ttlAttribute]: { N: String(expiresAt) },
          },
        }),
      );
    await legacyEvent('ev-9', now.getTime() / 1000 + retention);
    // Past its TTL but not yet removed (TTL deletion lags): not a memory of the event.
    await legacyEvent('ev-8', now.getTime() / 1000 - 1);
    expect(await store.isProcessed('default:E3', 'ev-9')).toBe(true);
    expect(await store.isProcessed('default:E3', 'ev-10')).toBe(true);
    expect(await store.isProcessed('default:E3', 'ev-8')).toBe(false);
    expect(await store.isProcessed('default:E4', 'ev-9')).toBe(false);
    const redelivered = await store.begin(
      'default:E3',
      { id: 'ev-9', time: '2026-01-04T00:00:00.000Z' },
      Date.now() + 30_000,
    );
    expect(redelivered.processed).toBe(true);
    await redelivered.close();

    // The first write in the new format keeps the former items answering for their retention.
    expect(
      await saveLink(
        store,
        link({ employeeKey: 'default:E3', lastEventId: 'ev-11', lastEventTime: '2026-01-06T00:00:00Z' }),
      ),
    ).toBe(true);
    const { Item } = await aws.dynamodb.send(
      new GetItemCommand({
        TableName: table,
        Key: { [STATE_TABLE_KEYS.partitionKey]: { S: 'link#default:E3' } },
      }),
    );
    expect(Item?.recentEventIds?.L?.map((id) => id.S)).toEqual(['ev-10', 'ev-11']);
    const until = Date.parse(Item?.legacyEventsUntil?.S ?? '');
    expect((until - now.getTime()) / 1000).toBe(retention);
    expect(await store.isProcessed('default:E3', 'ev-9')).toBe(true);
    const after = new DynamoStateStore({
      client: aws.dynamodb,
      tableName: table,
      now: () => new Date(until + 1),
    });
    expect(await after.isProcessed('default:E3', 'ev-9')).toBe(false);
    expect(await after.isProcessed('default:E3', 'ev-11')).toBe(true);
  });
});

describe('DynamoStateStore user claims (moto)', () => {
  let aws: AwsFixture;
  let store: DynamoStateStore;
  beforeAll(async () => {
    aws = await awsFixture();
    store = new DynamoStateStore({ client: aws.dynamodb, tableName: aws.resources.stateTableName });
  });
  afterAll(() => aws.destroy());

  it('links a CPaaS user to one employee only: a second employee claiming it fails and writes nothing', async () => {
    const userId = 'U'.repeat(32);
    const first = link({ employeeKey: 'default:C1', cpaasUserId: userId });
    expect(await saveLink(store, first, { claimUser: true })).toBe(true);
    // Claiming one's own user again (the update after an adoption) is fine.
    expect(await saveLink(store, first, { claimUser: true })).toBe(true);

    const second = link({ employeeKey: 'default:C2', cpaasUserId: userId, lastEventId: 'ev-c2' });
    const failure = await saveLink(store, second, { claimUser: true }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserLinkedElsewhereError);
    expect(failure).toMatchObject({ cpaasUserId: userId, linkedTo: 'default:C1' });
    await expect(saveLink(store, second, { claimUser: true })).rejects.toThrow(UserLinkedElsewhereError);
    expect(await store.getLink('default:C2')).toBeUndefined();
    expect(await store.isProcessed('default:C2', 'ev-c2')).toBe(false);
  });
});

describe('DynamoStateStore grace-period deletions (moto)', () => {
  let aws: AwsFixture;
  let store: DynamoStateStore;

  beforeAll(async () => {
    aws = await awsFixture();
    store = new DynamoStateStore({ client: aws.dynamodb, tableName: aws.resources.stateTableName });
  });
  afterAll(() => aws.destroy());

  const collect = async (now: string) => {
    const links: EmployeeLink[] = [];
    for await (const due of store.listDueDeletions(new Date(now))) links.push(due);
    return links;
  };

  it('lists disabled links whose grace period ended, and only those', async () => {
    const waiting = link({
      employeeKey: 'default:G1',
      status: 'disabled',
      deleteAfter: '2026-12-01T00:00:00.000Z',
    });
    const later = link({
      employeeKey: 'default:G2',
      status: 'disabled',
      deleteAfter: '2026-12-05T00:00:00.000Z',
    });
    await saveLink(store, waiting);
    await saveLink(store, later);
    await saveLink(store, link({ employeeKey: 'default:G3', status: 'disabled' }));
    expect(await collect('2026-11-30T00:00:00Z')).toEqual([]);
    expect(await collect('2026-12-02T00:00:00Z')).toEqual([waiting]);
    expect((await collect('2026-12-06T00:00:00Z')).map((due) => due.employeeKey)).toEqual([
      'default:G1',
      'default:G2',
    ]);
  });

  it('a rehire saved over the link takes it out of the due index', async () => {
    await saveLink(
      store,
      link({ employeeKey: 'default:G4', status: 'disabled', deleteAfter: '2026-12-01T00:00:00Z' }),
    );
    await saveLink(
      store,
      link({
        employeeKey: 'default:G4',
        status: 'active',
        lastEventId: 'ev-9',
        lastEventTime: '2026-02-01T00:00:00.000Z',
      }),
    );
    expect((await collect('2027-01-01T00:00:00Z')).map((due) => due.employeeKey)).not.toContain('default:G4');
  });

  it('records the deletion (or only drops a pending one) holding the employee, unless a newer event was applied since the sweep read the link', async () => {
    const due = link({
      employeeKey: 'default:G5',
      status: 'disabled',
      deleteAfter: '2026-12-01T00:00:00.000Z',
    });
    await saveLink(store, due);
    const hold = await store.holdForDeletion(due, Date.now() + 60_000);
    if (hold === undefined) throw new Error('expected the hold');
    expect(await store.endGracePeriod(due, true, '2026-12-01T00:01:00.000Z', hold)).toBe(true);
    const deleted = await store.getLink('default:G5');
    expect(deleted).toMatchObject({ status: 'deleted', lastEventId: due.lastEventId });
    expect(deleted).not.toHaveProperty('deleteAfter');
    expect((await collect('2027-01-01T00:00:00Z')).map((item) => item.employeeKey)).not.toContain(
      'default:G5',
    );
    // The hold was given back with the deletion: the next event begins at once.
    await (
      await store.begin('default:G5', { id: 'next', time: '2026-12-02T00:00:00Z' }, Date.now() + 100)
    ).close();

    const raced = link({
      employeeKey: 'default:G6',
      status: 'disabled',
      deleteAfter: '2026-12-01T00:00:00.000Z',
    });
    await saveLink(store, raced);
    await saveLink(store, { ...raced, status: 'active', lastEventId: 'rehire', deleteAfter: undefined });
    expect(await store.holdForDeletion(raced, Date.now() + 60_000)).toBeUndefined();
    expect(await store.getLink('default:G6')).toMatchObject({ status: 'active', lastEventId: 'rehire' });
  });

  it('while the sweep holds a due deletion, an event waits for it; an event holding the employee keeps the sweep out', async () => {
    const due = link({
      employeeKey: 'default:G7',
      status: 'disabled',
      deleteAfter: '2026-12-01T00:00:00.000Z',
    });
    await saveLink(store, due);
    const hold = await store.holdForDeletion(due, Date.now() + 60_000);
    if (hold === undefined) throw new Error('expected the hold');
    const rehire = { id: 'rehire', time: '2026-12-02T00:00:00Z' };
    await expect(store.begin('default:G7', rehire, Date.now() + 200)).rejects.toThrow(EmployeeBusyError);
    await store.releaseHold(due, hold);
    const state = await store.begin('default:G7', rehire, Date.now() + 10_000);
    expect(await state.lock()).toBe(true);
    expect(await store.holdForDeletion(due, Date.now() + 60_000)).toBeUndefined();
    await state.close();
    expect(await store.holdForDeletion(due, Date.now() + 60_000)).toBeDefined();
  });
});
