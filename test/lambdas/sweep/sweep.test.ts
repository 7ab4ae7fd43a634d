import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { mergedUserInput } from '../../../lambdas/core/converge/desired-user.js';
import { DynamoScimOutboxes } from '../../../lambdas/core/state/scim-outbox.js';
import { silentLogger } from '../../../lambdas/core/telemetry/logger.js';
import { SweepIncompleteError, type SweepPorts, sweep } from '../../../lambdas/sweep/sweep.js';
import { DAY_MS, datedWorkerFixture, employee, keyOf, lifecycleEvent } from '../../support/worker-fixture.js';

const GRACE = { policy: 'disable-then-delete', deleteGraceDays: 30 } as const;

describe('sweep: scheduled events and grace-period deletions (sandbox + moto)', () => {
  const dated = datedWorkerFixture('2028-01-01T09:00:00Z', 40);
  const { at, userOf, hire } = dated;
  const ports = (overrides: Partial<SweepPorts> = {}): SweepPorts => ({
    api: dated.fx.admin,
    schedules: dated.fx.schedules,
    deletions: dated.fx.store,
    outboxes: new DynamoScimOutboxes({
      client: dated.fx.aws.dynamodb,
      tableName: dated.fx.aws.resources.stateTableName,
    }),
    enqueue: async (message, lane) => {
      await dated.fx.aws.sqs.send(
        new SendMessageCommand({ QueueUrl: dated.fx.aws.queueUrls[lane], ...message }),
      );
    },
    clock: () => dated.fx.now ?? new Date(),
    logger: silentLogger,
    dryRun: false,
    ...overrides,
  });

  it('deletes a disabled user when its grace period ends, not a minute before', async () => {
    const data = employee();
    const userId = await hire(data);
    await dated.fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    at(30 * DAY_MS - 60_000);
    expect(await sweep(ports())).toMatchObject({ deleted: 0 });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: false });
    at(30 * DAY_MS + 1_000);
    expect((await sweep(ports())).deleted).toBeGreaterThanOrEqual(1);
    expect(userOf(data)).toBeUndefined();
    expect(await dated.fx.store.getLink(keyOf(data))).toMatchObject({
      status: 'deleted',
      cpaasUserId: userId,
    });
    // Idempotent: the next run finds nothing more to do for this employee.
    expect(await sweep(ports())).toMatchObject({ deleted: 0, failed: 0 });
  });

  it('a rehire inside the grace period keeps the same user: the sweep leaves it alone', async () => {
    const data = employee();
    const userId = await hire(data);
    await dated.fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    at(10 * DAY_MS);
    await dated.fx.apply(lifecycleEvent('employee.hired', data), GRACE);
    at(31 * DAY_MS);
    await sweep(ports());
    expect(dated.fx.usersWithEmail(data.workEmail)).toEqual([
      expect.objectContaining({ id: userId, enabled: true }),
    ]);
    expect((await dated.fx.store.getLink(keyOf(data)))?.status).toBe('active');
  });

  it('does not delete a user an administrator enabled again during the grace period, and stops checking it', async () => {
    const data = employee();
    const userId = (await hire(data)) ?? '';
    await dated.fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    const user = await dated.fx.admin.getUser(userId);
    await dated.fx.admin.updateUser(userId, mergedUserInput(user, { enabled: true }));
    at(31 * DAY_MS);
    expect((await sweep(ports())).skipped).toBe(1);
    expect(userOf(data)).toMatchObject({ id: userId, enabled: true });
    const link = await dated.fx.store.getLink(keyOf(data));
    expect(link).toMatchObject({ status: 'disabled', cpaasUserId: userId });
    expect(link).not.toHaveProperty('deleteAfter');
    expect((await sweep(ports())).skipped).toBe(0);
  });

  it('queues a future-dated termination when it falls due; the worker then applies it', async () => {
    const data = employee();
    await hire(data);
    const due = new Date(dated.start.getTime() + 2 * DAY_MS);
    const event = lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      effectiveAt: due.toISOString(),
    });
    expect((await dated.fx.apply(event)).attributes.outcome).toBe('scheduled');
    at(2 * DAY_MS - 60_000);
    await sweep(ports());
    expect(await dated.fx.deliverQueued()).toEqual([]);
    expect(userOf(data)?.enabled).toBe(true);

    at(2 * DAY_MS + 30_000);
    expect((await sweep(ports())).queued).toBeGreaterThanOrEqual(1);
    const lines = await dated.fx.deliverQueued();
    expect(lines.find((line) => line.attributes.eventId === event.id)?.attributes.outcome).toBe('deleted');
    expect(userOf(data)).toBeUndefined();
    expect(await dated.fx.schedules.get(keyOf(data))).toBeUndefined();
  });

  it('a rehire before the date cancels the scheduled termination: nothing is queued', async () => {
    const data = employee();
    const userId = await hire(data);
    const due = new Date(dated.start.getTime() + 5 * DAY_MS);
    await dated.fx.apply(
      lifecycleEvent('employee.terminated', { employeeId: data.employeeId, effectiveAt: due.toISOString() }),
    );
    at(DAY_MS);
    await dated.fx.apply(lifecycleEvent('employee.hired', data));
    at(6 * DAY_MS);
    await sweep(ports());
    expect(await dated.fx.deliverQueued()).toEqual([]);
    expect(userOf(data)).toMatchObject({ id: userId, enabled: true });
  });

  it('an item that fails stays due, the others still run, and the run reports the failure', async () => {
    const broken = employee();
    await dated.fx.schedules.schedule({
      employeeKey: keyOf(broken),
      eventId: 'not-an-event',
      eventTime: dated.start.toISOString(),
      dueAt: dated.start.toISOString(),
      body: '{"not":"an event"}',
    });
    const data = employee();
    await hire(data);
    const event = lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      effectiveAt: new Date(dated.start.getTime() + 60_000).toISOString(),
    });
    await dated.fx.apply(event);
    at(2 * 60_000);
    const failure = await sweep(ports()).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(SweepIncompleteError);
    expect((failure as SweepIncompleteError).report).toMatchObject({ failed: 1 });
    expect((failure as SweepIncompleteError).report.queued).toBeGreaterThanOrEqual(1);
    expect(await dated.fx.schedules.get(keyOf(broken))).toBeDefined();
    expect((await dated.fx.deliverQueued()).map((line) => line.attributes.eventId)).toContain(event.id);
    await dated.fx.schedules.remove(keyOf(broken), 'not-an-event');
  });

  it('a dry run queues, deletes and writes nothing', async () => {
    const data = employee();
    const userId = await hire(data);
    await dated.fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }), GRACE);
    at(31 * DAY_MS);
    expect(await sweep(ports({ dryRun: true }))).toMatchObject({ deleted: 0, queued: 0 });
    expect(userOf(data)).toMatchObject({ id: userId, enabled: false });
    expect((await dated.fx.store.getLink(keyOf(data)))?.status).toBe('disabled');
  });
});
