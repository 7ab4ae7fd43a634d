import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EmployeeData } from '../../../../lambdas/core/events/lifecycle-event.js';
import { DynamoDeletionBrake } from '../../../../lambdas/core/state/deletion-brake.js';
import { noMetrics } from '../../../../lambdas/worker/metrics.js';
import { listHolds, releaseHolds } from '../../../../tools/operations/holds.js';
import {
  DAY_MS,
  datedWorkerFixture,
  employee,
  keyOf,
  lifecycleEvent,
  type WorkerFixture,
  workerFixture,
} from '../../../support/worker-fixture.js';

describe('converge: effective dates and disable-then-delete (sandbox + moto)', () => {
  const dated = datedWorkerFixture('2027-01-01T09:00:00Z', 3);
  const { userOf, hire } = dated;
  const terminate = (data: EmployeeData, effectiveAt?: Date) =>
    lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      ...(effectiveAt === undefined ? {} : { effectiveAt: effectiveAt.toISOString() }),
    });

  it('a future-dated termination is scheduled, not applied: the user keeps access until then', async () => {
    const data = employee();
    const userId = await hire(data);
    const due = new Date(dated.start.getTime() + 2 * DAY_MS);
    const event = terminate(data, due);
    const line = await dated.fx.apply(event);
    expect(line.attributes).toMatchObject({ outcome: 'scheduled', apiCalls: 0 });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: true });
    expect(await dated.fx.schedules.get(keyOf(data))).toMatchObject({
      eventId: event.id,
      dueAt: due.toISOString(),
    });
    expect((await dated.fx.store.getLink(keyOf(data)))?.status).toBe('active');
    // Not recorded as processed: when the sweep queues it again it must apply, not be a duplicate.
    expect(await dated.fx.store.isProcessed(keyOf(data), event.id)).toBe(false);
  });

  it('an offset in effectiveAt is an instant: 10:00-05:00 is after 14:00Z', async () => {
    const data = employee();
    await hire(data);
    dated.fx.now = new Date('2027-03-01T14:30:00Z');
    const line = await dated.fx.apply(
      lifecycleEvent('employee.terminated', {
        employeeId: data.employeeId,
        effectiveAt: '2027-03-01T10:00:00-05:00',
      }),
    );
    expect(line.attributes.outcome).toBe('scheduled');
    expect((await dated.fx.schedules.get(keyOf(data)))?.dueAt).toBe('2027-03-01T15:00:00.000Z');
  });

  it('a rehire or a newer change cancels the pending termination; an older event does not', async () => {
    const data = employee();
    await hire(data);
    // Made before the termination, delivered after it.
    const late = lifecycleEvent('employee.changed', { ...data, lastName: 'Late' });
    await dated.fx.apply(terminate(data, new Date(dated.start.getTime() + 7 * DAY_MS)));
    expect((await dated.fx.apply(late)).attributes.outcome).toBe('updated');
    expect(await dated.fx.schedules.get(keyOf(data))).toBeDefined();

    const rehire = await dated.fx.apply(lifecycleEvent('employee.hired', { ...data, lastName: 'Back' }));
    expect(rehire.attributes.outcome).toBe('updated');
    expect(await dated.fx.schedules.get(keyOf(data))).toBeUndefined();
    expect(userOf(data)).toMatchObject({ enabled: true, last_name: 'Back' });
  });

  it('a change and its re-sent termination of the same time (as Merge sends them) keep one pending termination', async () => {
    const data = employee();
    await hire(data);
    await dated.fx.apply(terminate(data, new Date(dated.start.getTime() + 7 * DAY_MS)));
    const { time } = lifecycleEvent('employee.changed', data);
    const newDate = new Date(dated.start.getTime() + 9 * DAY_MS);
    const change = lifecycleEvent('employee.changed', { ...data, lastName: 'Renamed' }, { time });
    const termination = lifecycleEvent(
      'employee.terminated',
      { employeeId: data.employeeId, effectiveAt: newDate.toISOString() },
      { time },
    );
    expect((await dated.fx.apply(change)).attributes.outcome).toBe('updated');
    expect((await dated.fx.apply(termination)).attributes.outcome).toBe('scheduled');
    expect(userOf(data)).toMatchObject({ enabled: true, last_name: 'Renamed' });
    expect(await dated.fx.schedules.get(keyOf(data))).toMatchObject({
      eventId: termination.id,
      dueAt: newDate.toISOString(),
    });
  });

  it('disable-then-delete revokes access at once and sets the deletion date; a change keeps it', async () => {
    const data = employee();
    const userId = await hire(data);
    const line = await dated.fx.apply(terminate(data), {
      policy: 'disable-then-delete',
      deleteGraceDays: 30,
    });
    expect(line.attributes).toMatchObject({ outcome: 'disabled', cpaasUserId: userId });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: false });
    const deleteAfter = new Date(dated.start.getTime() + 30 * DAY_MS).toISOString();
    expect(await dated.fx.store.getLink(keyOf(data))).toMatchObject({ status: 'disabled', deleteAfter });

    dated.fx.now = new Date(dated.start.getTime() + DAY_MS);
    await dated.fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Gone' }), {
      policy: 'disable-then-delete',
    });
    expect(userOf(data)).toMatchObject({ enabled: false, last_name: 'Gone' });
    expect((await dated.fx.store.getLink(keyOf(data)))?.deleteAfter).toBe(deleteAfter);
    // A second termination does not restart the grace period.
    await dated.fx.apply(terminate(data), { policy: 'disable-then-delete' });
    expect((await dated.fx.store.getLink(keyOf(data)))?.deleteAfter).toBe(deleteAfter);
  });

  it('a rehire inside the grace period re-enables the same user and ends the pending deletion', async () => {
    const data = employee();
    const userId = await hire(data);
    await dated.fx.apply(terminate(data), { policy: 'disable-then-delete' });
    dated.fx.now = new Date(dated.start.getTime() + 10 * DAY_MS);
    const rehire = await dated.fx.apply(lifecycleEvent('employee.hired', data), {
      policy: 'disable-then-delete',
    });
    expect(rehire.attributes).toMatchObject({ outcome: 'updated', cpaasUserId: userId });
    expect(dated.fx.usersWithEmail(data.workEmail)).toEqual([
      expect.objectContaining({ id: userId, enabled: true }),
    ]);
    const link = await dated.fx.store.getLink(keyOf(data));
    expect(link).toMatchObject({ status: 'active' });
    expect(link).not.toHaveProperty('deleteAfter');
  });
});

describe('converge: the deletion brake holds a burst of terminations (sandbox + moto)', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture();
    fx.now = new Date('2027-06-01T09:00:00Z');
  });
  afterAll(() => fx.close());

  it('holds terminations past the threshold (not executed, not lost) and applies them once released', async () => {
    const tableName = fx.aws.resources.stateTableName;
    const brake = () =>
      new DynamoDeletionBrake({
        client: fx.aws.dynamodb,
        tableName,
        minimum: 3,
        percent: 0,
        now: () => fx.now ?? new Date(),
      });
    let held = 0;
    const metrics = { ...noMetrics, terminationHeld: () => (held += 1) };
    const staff = [employee(), employee(), employee(), employee(), employee()];
    for (const data of staff) await fx.apply(lifecycleEvent('employee.hired', data));

    const outcomes: unknown[] = [];
    for (const data of staff) {
      const line = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), {
        brake: brake(),
        metrics,
      });
      outcomes.push(line.attributes.outcome);
    }
    expect(outcomes).toEqual(['deleted', 'deleted', 'deleted', 'held', 'held']);
    expect(held).toBe(2);
    const kept = staff.slice(3);
    for (const data of kept) expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    const holds = await listHolds(fx.holds);
    expect(holds.map((hold) => hold.employeeKey).sort()).toEqual(
      kept.map((data) => `default:${data.employeeId}`).sort(),
    );
    expect(holds[0]).toMatchObject({ recent: 3, limit: 3 });

    // Released while the window is still full: they go through the normal worker path anyway.
    await releaseHolds({
      holds: fx.holds,
      sqs: fx.aws.sqs,
      queueUrls: fx.aws.queueUrls,
      selection: { all: true },
    });
    const lines = await fx.deliverQueued({ brake: brake(), metrics });
    expect(lines.map((line) => line.attributes.outcome)).toEqual(['deleted', 'deleted']);
    expect(lines.every((line) => line.attributes.releasedHold === true)).toBe(true);
    for (const data of kept) expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
    expect(await listHolds(fx.holds)).toEqual([]);
    expect(held).toBe(2);
    // The window slides: an hour later, terminations are admitted again.
    fx.now = new Date(Date.parse('2027-06-01T10:01:00Z'));
    const later = employee();
    await fx.apply(lifecycleEvent('employee.hired', later));
    const line = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: later.employeeId }), {
      brake: brake(),
    });
    expect(line.attributes.outcome).toBe('deleted');
  });

  it('a dry run reports that the brake would hold, holding and deleting nothing', async () => {
    const tableName = fx.aws.resources.stateTableName;
    const full = new DynamoDeletionBrake({
      client: fx.aws.dynamodb,
      tableName,
      minimum: 1,
      percent: 0,
      now: () => fx.now ?? new Date(),
    });
    await full.admit();
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const line = await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), {
      brake: full,
      dryRun: true,
    });
    expect(line.attributes).toMatchObject({ outcome: 'held', dryRun: true });
    expect(line.attributes.plan).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'hold' })]),
    );
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    expect(await listHolds(fx.holds)).toEqual([]);
  });
});

describe('worker: revocation latency (sandbox + moto)', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(() => fx.close());

  it('reports how long after queueing a termination revoked access, and nothing for a hire or a duplicate', async () => {
    const latencies: number[] = [];
    const metrics = { ...noMetrics, revocationLatency: (ms: number) => latencies.push(ms) };
    const data = employee();
    const queuedAt = Date.now();
    await fx.apply(lifecycleEvent('employee.hired', data), { metrics });
    expect(latencies).toEqual([]);
    const leaver = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
    const line = await fx.apply(leaver, { metrics });
    expect(line.attributes.outcome).toBe('deleted');
    expect(latencies).toHaveLength(1);
    expect(latencies[0]).toBeGreaterThanOrEqual(0);
    expect(latencies[0]).toBeLessThanOrEqual(Date.now() - queuedAt);
    await fx.apply(leaver, { metrics });
    expect(latencies).toHaveLength(1);
  });
});
