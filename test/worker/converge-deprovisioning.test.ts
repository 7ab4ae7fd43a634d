import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmployeeData } from '../../lambdas/events/lifecycle-event.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from './worker-fixture.js';

const DAY = 86_400_000;

describe('converge: effective dates and disable-then-delete (sandbox + moto)', () => {
  let fx: WorkerFixture;
  // Each test starts its own day, so no test's terminations share another's brake window.
  let day = 0;
  let start: Date;
  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(() => fx.close());
  beforeEach(() => {
    day += 3;
    start = new Date(Date.parse('2027-01-01T09:00:00Z') + day * DAY);
    fx.now = start;
  });

  const key = (data: { employeeId: string }) => `default:${data.employeeId}`;
  const userOf = (data: EmployeeData) => fx.usersWithEmail(data.workEmail)[0];
  const hire = async (data: EmployeeData) => {
    await fx.apply(lifecycleEvent('employee.hired', data));
    return userOf(data)?.id;
  };
  const terminate = (data: EmployeeData, effectiveAt?: Date) =>
    lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      ...(effectiveAt === undefined ? {} : { effectiveAt: effectiveAt.toISOString() }),
    });

  it('a future-dated termination is scheduled, not applied: the user keeps access until then', async () => {
    const data = employee();
    const userId = await hire(data);
    const due = new Date(start.getTime() + 2 * DAY);
    const event = terminate(data, due);
    const line = await fx.apply(event);
    expect(line.attributes).toMatchObject({ outcome: 'scheduled', apiCalls: 0 });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: true });
    expect(await fx.schedules.get(key(data))).toMatchObject({
      eventId: event.id,
      dueAt: due.toISOString(),
    });
    expect((await fx.store.getLink(key(data)))?.status).toBe('active');
    // Not recorded as processed: when the sweep queues it again it must apply, not be a duplicate.
    expect(await fx.store.isProcessed(key(data), event.id)).toBe(false);
  });

  it('an offset in effectiveAt is an instant: 10:00-05:00 is after 14:00Z', async () => {
    const data = employee();
    await hire(data);
    fx.now = new Date('2027-03-01T14:30:00Z');
    const line = await fx.apply(
      lifecycleEvent('employee.terminated', {
        employeeId: data.employeeId,
        effectiveAt: '2027-03-01T10:00:00-05:00',
      }),
    );
    expect(line.attributes.outcome).toBe('scheduled');
    expect((await fx.schedules.get(key(data)))?.dueAt).toBe('2027-03-01T15:00:00.000Z');
  });

  it('a rehire or a newer change cancels the pending termination; an older event does not', async () => {
    const data = employee();
    await hire(data);
    // Made before the termination, delivered after it.
    const late = lifecycleEvent('employee.changed', { ...data, lastName: 'Late' });
    await fx.apply(terminate(data, new Date(start.getTime() + 7 * DAY)));
    expect((await fx.apply(late)).attributes.outcome).toBe('updated');
    expect(await fx.schedules.get(key(data))).toBeDefined();

    const rehire = await fx.apply(lifecycleEvent('employee.hired', { ...data, lastName: 'Back' }));
    expect(rehire.attributes.outcome).toBe('updated');
    expect(await fx.schedules.get(key(data))).toBeUndefined();
    expect(userOf(data)).toMatchObject({ enabled: true, last_name: 'Back' });
  });

  it('disable-then-delete revokes access at once and sets the deletion date; a change keeps it', async () => {
    const data = employee();
    const userId = await hire(data);
    const line = await fx.apply(terminate(data), { policy: 'disable-then-delete', deleteGraceDays: 30 });
    expect(line.attributes).toMatchObject({ outcome: 'disabled', cpaasUserId: userId });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: false });
    const deleteAfter = new Date(start.getTime() + 30 * DAY).toISOString();
    expect(await fx.store.getLink(key(data))).toMatchObject({ status: 'disabled', deleteAfter });

    fx.now = new Date(start.getTime() + DAY);
    await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Gone' }), {
      policy: 'disable-then-delete',
    });
    expect(userOf(data)).toMatchObject({ enabled: false, last_name: 'Gone' });
    expect((await fx.store.getLink(key(data)))?.deleteAfter).toBe(deleteAfter);
    // A second termination does not restart the grace period.
    await fx.apply(terminate(data), { policy: 'disable-then-delete' });
    expect((await fx.store.getLink(key(data)))?.deleteAfter).toBe(deleteAfter);
  });

  it('a rehire inside the grace period re-enables the same user and ends the pending deletion', async () => {
    const data = employee();
    const userId = await hire(data);
    await fx.apply(terminate(data), { policy: 'disable-then-delete' });
    fx.now = new Date(start.getTime() + 10 * DAY);
    const rehire = await fx.apply(lifecycleEvent('employee.hired', data), { policy: 'disable-then-delete' });
    expect(rehire.attributes).toMatchObject({ outcome: 'updated', cpaasUserId: userId });
    expect(fx.usersWithEmail(data.workEmail)).toEqual([
      expect.objectContaining({ id: userId, enabled: true }),
    ]);
    const link = await fx.store.getLink(key(data));
    expect(link).toMatchObject({ status: 'active' });
    expect(link).not.toHaveProperty('deleteAfter');
  });
});
