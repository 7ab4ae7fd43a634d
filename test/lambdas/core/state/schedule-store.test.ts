import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoScheduleStore, type ScheduledEvent } from '../../../../lambdas/core/state/schedule-store.js';
import { type AwsFixture, awsFixture } from '../../../support/aws-fixture.js';

const scheduled = (overrides: Partial<ScheduledEvent> = {}): ScheduledEvent => ({
  employeeKey: 'default:E1',
  eventId: 'ev-1',
  eventTime: '2026-11-01T00:00:00.000Z',
  dueAt: '2026-12-01T00:00:00.000Z',
  body: '{"id":"ev-1"}',
  ...overrides,
});

const collect = async <T>(items: AsyncIterable<T>): Promise<T[]> => {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
};

describe('DynamoScheduleStore (moto)', () => {
  let aws: AwsFixture;
  let schedules: DynamoScheduleStore;

  beforeAll(async () => {
    aws = await awsFixture();
    schedules = new DynamoScheduleStore({ client: aws.dynamodb, tableName: aws.resources.stateTableName });
  });
  afterAll(() => aws.destroy());

  it('keeps one pending event per employee: a newer one replaces it, an older one is refused', async () => {
    expect(await schedules.schedule(scheduled())).toBe(true);
    expect(await schedules.get('default:E1')).toEqual(scheduled());
    const newer = scheduled({ eventId: 'ev-2', eventTime: '2026-11-02T00:00:00+01:00' });
    expect(await schedules.schedule(newer)).toBe(true);
    expect(await schedules.get('default:E1')).toMatchObject({
      eventId: 'ev-2',
      eventTime: '2026-11-01T23:00:00.000Z',
    });
    expect(await schedules.schedule(scheduled({ eventId: 'ev-0' }))).toBe(false);
    expect((await schedules.get('default:E1'))?.eventId).toBe('ev-2');
  });

  it('removes only the event it was asked to (not one that replaced it meanwhile)', async () => {
    await schedules.schedule(scheduled({ employeeKey: 'default:E2', eventId: 'ev-a' }));
    expect(await schedules.remove('default:E2', 'ev-other')).toBe(false);
    expect(await schedules.get('default:E2')).toBeDefined();
    expect(await schedules.remove('default:E2', 'ev-a')).toBe(true);
    expect(await schedules.get('default:E2')).toBeUndefined();
  });

  it('lists what is due at a time, oldest first, through the due index', async () => {
    await schedules.schedule(
      scheduled({ employeeKey: 'default:D1', eventId: 'd1', dueAt: '2027-01-03T00:00:00Z' }),
    );
    await schedules.schedule(
      scheduled({ employeeKey: 'default:D2', eventId: 'd2', dueAt: '2027-01-01T00:00:00Z' }),
    );
    await schedules.schedule(
      scheduled({ employeeKey: 'default:D3', eventId: 'd3', dueAt: '2027-02-01T00:00:00Z' }),
    );
    const due = await collect(schedules.listDue(new Date('2027-01-10T00:00:00Z')));
    const ids = due.map((event) => event.eventId).filter((id) => id.startsWith('d'));
    expect(ids).toEqual(['d2', 'd1']);
    expect(due.find((event) => event.eventId === 'd2')).toMatchObject({
      employeeKey: 'default:D2',
      dueAt: '2027-01-01T00:00:00.000Z',
    });
  });
});
