import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, STATE_TABLE_KEYS } from '../../lambdas/config/settings.js';
import { DynamoStateStore, type EmployeeLink } from '../../lambdas/worker/state-store.js';
import { type AwsFixture, awsFixture } from './aws-fixture.js';

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
