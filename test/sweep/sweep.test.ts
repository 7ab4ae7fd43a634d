import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmployeeData } from '../../lambdas/events/lifecycle-event.js';
import { SweepIncompleteError, type SweepPorts, sweep } from '../../lambdas/sweep/sweep.js';
import { mergedUserInput } from '../../lambdas/worker/desired-user.js';
import { silentLogger } from '../../lambdas/worker/telemetry.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../worker/worker-fixture.js';

const DAY = 86_400_000;
const GRACE = { policy: 'disable-then-delete', deleteGraceDays: 30 } as const;

describe('sweep: scheduled events and grace-period deletions (sandbox + moto)', () => {
  let fx: WorkerFixture;
  let day = 0;
  let start: Date;
  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(() => fx.close());
  beforeEach(() => {
    day += 40;
    start = new Date(Date.parse('2028-01-01T09:00:00Z') + day * DAY);
    fx.now = start;
  });

  const at = (offsetMs: number) => {
    fx.now = new Date(start.getTime() + offsetMs);
  };
  const ports = (overrides: Partial<SweepPorts> = {}): SweepPorts => ({
    api: fx.admin,
    schedules: fx.schedules,
    deletions: fx.store,
    enqueue: async (message) => {
      await fx.aws.sqs.send(new SendMessageCommand({ QueueUrl: fx.aws.resources.queueUrl, ...message }));
    },
    clock: () => fx.now ?? new Date(),
    logger: silentLogger,
    dryRun: false,
    ...overrides,
  });
  const key = (data: { employeeId: string }) => `default:${data.employeeId}`;
  const userOf = (data: EmployeeData) => fx.usersWithEmail(data.workEmail)[0];
  const hire = async (data: EmployeeData) => {
    await fx.apply(lifecycleEvent('employee.hired', data));
    return userOf(data)?.id;
  };

  it('deletes a disabled user when its grace period ends, not a minute before', async () => {
    const data = employee();
    const userId = await hire(data);
    await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    at(30 * DAY - 60_000);
    expect(await sweep(ports())).toMatchObject({ deleted: 0 });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: false });
    at(30 * DAY + 1_000);
    expect((await sweep(ports())).deleted).toBeGreaterThanOrEqual(1);
    expect(userOf(data)).toBeUndefined();
    expect(await fx.store.getLink(key(data))).toMatchObject({ status: 'deleted', cpaasUserId: userId });
    // Idempotent: the next run finds nothing more to do for this employee.
    expect(await sweep(ports())).toMatchObject({ deleted: 0, failed: 0 });
  });

  it('a rehire inside the grace period keeps the same user: the sweep leaves it alone', async () => {
    const data = employee();
    const userId = await hire(data);
    await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    at(10 * DAY);
    await fx.apply(lifecycleEvent('employee.hired', data), GRACE);
    at(31 * DAY);
    await sweep(ports());
    expect(fx.usersWithEmail(data.workEmail)).toEqual([
      expect.objectContaining({ id: userId, enabled: true }),
    ]);
    expect((await fx.store.getLink(key(data)))?.status).toBe('active');
  });

  it('does not delete a user an administrator enabled again during the grace period', async () => {
    const data = employee();
    const userId = (await hire(data)) ?? '';
    await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    const user = await fx.admin.getUser(userId);
    await fx.admin.updateUser(userId, mergedUserInput(user, { enabled: true }));
    at(31 * DAY);
    expect((await sweep(ports())).skipped).toBeGreaterThanOrEqual(1);
    expect(userOf(data)).toMatchObject({ id: userId, enabled: true });
  });

  it('queues a future-dated termination when it falls due; the worker then applies it', async () => {
    const data = employee();
    await hire(data);
    const due = new Date(start.getTime() + 2 * DAY);
    const event = lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      effectiveAt: due.toISOString(),
    });
    expect((await fx.apply(event)).attributes.outcome).toBe('scheduled');
    at(2 * DAY - 60_000);
    await sweep(ports());
    expect(await fx.deliverQueued()).toEqual([]);
    expect(userOf(data)?.enabled).toBe(true);

    at(2 * DAY + 30_000);
    expect((await sweep(ports())).queued).toBeGreaterThanOrEqual(1);
    const lines = await fx.deliverQueued();
    expect(lines.find((line) => line.attributes.eventId === event.id)?.attributes.outcome).toBe('deleted');
    expect(userOf(data)).toBeUndefined();
    expect(await fx.schedules.get(key(data))).toBeUndefined();
  });

  it('a rehire before the date cancels the scheduled termination: nothing is queued', async () => {
    const data = employee();
    const userId = await hire(data);
    const due = new Date(start.getTime() + 5 * DAY);
    await fx.apply(
      lifecycleEvent('employee.terminated', { employeeId: data.employeeId, effectiveAt: due.toISOString() }),
    );
    at(DAY);
    await fx.apply(lifecycleEvent('employee.hired', data));
    at(6 * DAY);
    await sweep(ports());
    expect(await fx.deliverQueued()).toEqual([]);
    expect(userOf(data)).toMatchObject({ id: userId, enabled: true });
  });

  it('an item that fails stays due, the others still run, and the run reports the failure', async () => {
    const broken = employee();
    await fx.schedules.schedule({
      employeeKey: key(broken),
      eventId: 'not-an-event',
      eventTime: start.toISOString(),
      dueAt: start.toISOString(),
      body: '{"not":"an event"}',
    });
    const data = employee();
    await hire(data);
    const event = lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      effectiveAt: new Date(start.getTime() + 60_000).toISOString(),
    });
    await fx.apply(event);
    at(2 * 60_000);
    const failure = await sweep(ports()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SweepIncompleteError);
    expect((failure as SweepIncompleteError).report).toMatchObject({ failed: 1 });
    expect((failure as SweepIncompleteError).report.queued).toBeGreaterThanOrEqual(1);
    expect(await fx.schedules.get(key(broken))).toBeDefined();
    expect((await fx.deliverQueued()).map((line) => line.attributes.eventId)).toContain(event.id);
    await fx.schedules.remove(key(broken), 'not-an-event');
  });

  it('a dry run queues, deletes and writes nothing', async () => {
    const data = employee();
    const userId = await hire(data);
    await fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    at(31 * DAY);
    expect(await sweep(ports({ dryRun: true }))).toMatchObject({ deleted: 0, queued: 0 });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: false });
    expect((await fx.store.getLink(key(data)))?.status).toBe('disabled');
  });
});
