import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../../lambdas/contract/settings.js';
import { STATE_TABLE_KEYS } from '../../../../lambdas/contract/state-table.js';
import { UserLinkedElsewhereError } from '../../../../lambdas/core/converge/errors.js';
import { DynamoStateStore, type EmployeeLink } from '../../../../lambdas/core/state/state-store.js';
import { type AwsFixture, awsFixture } from '../../../support/aws-fixture.js';

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
    expect(await store.saveLink(link())).toBe(true);
    expect(await store.getLink('default:E1')).toEqual(link());
    expect(await store.saveLink(link({ status: 'disabled' }))).toBe(true);
    const later = link({
      status: 'deleted',
      lastEventId: 'ev-2',
      lastEventTime: '2026-01-03T01:00:00+01:00',
    });
    expect(await store.saveLink(later)).toBe(true);
    expect((await store.getLink('default:E1'))?.lastEventTime).toBe('2026-01-03T00:00:00.000Z');
  });

  it('refuses to overwrite a link with an older event (conditional write)', async () => {
    const key = 'default:E2';
    await store.saveLink(link({ employeeKey: key, lastEventTime: '2026-05-01T00:00:00Z' }));
    const older = link({ employeeKey: key, status: 'deleted', lastEventTime: '2026-04-30T23:59:59Z' });
    expect(await store.saveLink(older)).toBe(false);
    expect((await store.getLink(key))?.status).toBe('active');
  });

  it('remembers processed events for the retention period through the TTL attribute', async () => {
    expect(await store.isProcessed('default:E3', 'ev-9')).toBe(false);
    await store.markProcessed('default:E3', 'ev-9', 'created');
    await store.markProcessed('default:E3', 'ev-9', 'duplicate');
    expect(await store.isProcessed('default:E3', 'ev-9')).toBe(true);
    expect(await store.isProcessed('default:E4', 'ev-9')).toBe(false);
    const { Item } = await aws.dynamodb.send(
      new GetItemCommand({
        TableName: aws.resources.stateTableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: { S: 'event#default:E3#ev-9' } },
      }),
    );
    expect(Item?.outcome?.S).toBe('created');
    const expiresAt = Number(Item?.[STATE_TABLE_KEYS.ttlAttribute]?.N);
    expect(expiresAt - now.getTime() / 1000).toBe(DEFAULTS.processedEventRetentionDays * 86_400);
  });

  it('saves a link and records its event in one atomic write; a superseded link records nothing', async () => {
    const key = 'default:E6';
    const applied = { eventId: 'ev-6', outcome: 'created' };
    expect(
      await store.saveLink(link({ employeeKey: key, lastEventTime: '2026-05-01T00:00:00Z' }), applied),
    ).toBe(true);
    expect(await store.isProcessed(key, 'ev-6')).toBe(true);
    const older = link({ employeeKey: key, lastEventId: 'ev-5', lastEventTime: '2026-04-01T00:00:00Z' });
    expect(await store.saveLink(older, { eventId: 'ev-5', outcome: 'updated' })).toBe(false);
    expect(await store.isProcessed(key, 'ev-5')).toBe(false);
    // A concurrent delivery already recorded the event: the link is still written.
    const again = link({ employeeKey: key, status: 'disabled', lastEventTime: '2026-05-01T00:00:00Z' });
    expect(await store.saveLink(again, applied)).toBe(true);
    expect((await store.getLink(key))?.status).toBe('disabled');
  });

  it('lists every link and only links, for reconcile', async () => {
    await store.saveLink(link({ employeeKey: 'acme:E5', cpaasUserId: undefined, status: 'deleted' }));
    const links = [];
    for await (const item of store.listLinks()) links.push(item);
    expect(links.map((item) => item.employeeKey).sort()).toEqual([
      'acme:E5',
      'default:E1',
      'default:E2',
      'default:E6',
    ]);
    expect(links.find((item) => item.employeeKey === 'acme:E5')).not.toHaveProperty('cpaasUserId');
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
    expect(await store.saveLink(first, { eventId: 'ev-c1', outcome: 'created' }, { claimUser: true })).toBe(
      true,
    );
    // Claiming one's own user again (the update after an adoption) is fine.
    expect(await store.saveLink(first, undefined, { claimUser: true })).toBe(true);

    const second = link({ employeeKey: 'default:C2', cpaasUserId: userId, lastEventId: 'ev-c2' });
    const failure = await store
      .saveLink(second, { eventId: 'ev-c2', outcome: 'updated' }, { claimUser: true })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UserLinkedElsewhereError);
    expect(failure).toMatchObject({ cpaasUserId: userId, linkedTo: 'default:C1' });
    await expect(store.saveLink(second, undefined, { claimUser: true })).rejects.toThrow(
      UserLinkedElsewhereError,
    );
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
    await store.saveLink(waiting);
    await store.saveLink(later);
    await store.saveLink(link({ employeeKey: 'default:G3', status: 'disabled' }));
    expect(await collect('2026-11-30T00:00:00Z')).toEqual([]);
    expect(await collect('2026-12-02T00:00:00Z')).toEqual([waiting]);
    expect((await collect('2026-12-06T00:00:00Z')).map((due) => due.employeeKey)).toEqual([
      'default:G1',
      'default:G2',
    ]);
  });

  it('a rehire saved over the link takes it out of the due index', async () => {
    await store.saveLink(
      link({ employeeKey: 'default:G4', status: 'disabled', deleteAfter: '2026-12-01T00:00:00Z' }),
    );
    await store.saveLink(
      link({
        employeeKey: 'default:G4',
        status: 'active',
        lastEventId: 'ev-9',
        lastEventTime: '2026-02-01T00:00:00.000Z',
      }),
    );
    expect((await collect('2027-01-01T00:00:00Z')).map((due) => due.employeeKey)).not.toContain('default:G4');
  });

  it('records the deletion (or only drops a pending one) unless a newer event was applied since the sweep read the link', async () => {
    const due = link({
      employeeKey: 'default:G5',
      status: 'disabled',
      deleteAfter: '2026-12-01T00:00:00.000Z',
    });
    await store.saveLink(due);
    expect(await store.endGracePeriod(due, true, '2026-12-01T00:01:00.000Z')).toBe(true);
    const deleted = await store.getLink('default:G5');
    expect(deleted).toMatchObject({ status: 'deleted', lastEventId: due.lastEventId });
    expect(deleted).not.toHaveProperty('deleteAfter');
    expect((await collect('2027-01-01T00:00:00Z')).map((item) => item.employeeKey)).not.toContain(
      'default:G5',
    );

    const raced = link({
      employeeKey: 'default:G6',
      status: 'disabled',
      deleteAfter: '2026-12-01T00:00:00.000Z',
    });
    await store.saveLink(raced);
    await store.saveLink({ ...raced, status: 'active', lastEventId: 'rehire', deleteAfter: undefined });
    expect(await store.endGracePeriod(raced, true, '2026-12-01T00:01:00.000Z')).toBe(false);
    expect(await store.getLink('default:G6')).toMatchObject({ status: 'active', lastEventId: 'rehire' });
  });
});
