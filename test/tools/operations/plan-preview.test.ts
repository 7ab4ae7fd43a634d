import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, type TerminationPolicy } from '../../../lambdas/contract/settings.js';
import { STATE_TABLE_KEYS } from '../../../lambdas/contract/state-table.js';
import type { EmployeeData, LifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { DynamoDeletionBrake } from '../../../lambdas/core/state/deletion-brake.js';
import { PreviewWriteError } from '../../../tools/operations/errors.js';
import {
  type PlanPreview,
  type PreviewPorts,
  previewEvent,
  readOnlyPorts,
} from '../../../tools/operations/plan-preview.js';
import type { SandboxRoute } from '../../../tools/sandbox/index.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

let fx: WorkerFixture;

beforeAll(async () => {
  fx = await workerFixture();
});
afterAll(() => fx.close());

const WRITE_ROUTES: readonly SandboxRoute[] = ['createUser', 'updateUser', 'deleteUser', 'impersonateUser'];

function ports(overrides: Partial<PreviewPorts> = {}): PreviewPorts {
  return {
    api: fx.admin,
    store: fx.store,
    schedules: fx.schedules,
    holds: fx.holds,
    brake: new DynamoDeletionBrake({ client: fx.aws.dynamodb, tableName: fx.aws.resources.stateTableName }),
    clock: () => new Date(),
    policy: 'delete',
    deleteGraceDays: DEFAULTS.deleteGraceDays,
    ...overrides,
  };
}

/** Every item of the state table, in key order: the before/after picture of "touched nothing". */
async function tableItems(): Promise<Record<string, AttributeValue>[]> {
  const items: Record<string, AttributeValue>[] = [];
  let startKey: Record<string, AttributeValue> | undefined;
  do {
    const page = await fx.aws.dynamodb.send(
      new ScanCommand({
        TableName: fx.aws.resources.stateTableName,
        ConsistentRead: true,
        ExclusiveStartKey: startKey,
      }),
    );
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  const key = (item: Record<string, AttributeValue>) => item[STATE_TABLE_KEYS.partitionKey]?.S ?? '';
  return items.sort((a, b) => key(a).localeCompare(key(b)));
}

/**
 * Previews the event and proves it touched nothing: no write request reached the sandbox, its
 * users and the state table are exactly as before, and the reads it reports are the ones sent.
 */
async function preview(event: LifecycleEvent, overrides: Partial<PreviewPorts> = {}): Promise<PlanPreview> {
  const items = await tableItems();
  const users = fx.sandbox.control.users();
  fx.sandbox.control.resetRequestCounts();
  const result = await previewEvent(event, ports(overrides));
  const counts = fx.sandbox.control.requestCounts();
  for (const route of WRITE_ROUTES) expect(counts[route], `${route} requests`).toBe(0);
  expect(counts.getUser + counts.listUsers).toBe(result.apiCalls.made.length);
  expect(fx.sandbox.control.users()).toEqual(users);
  expect(await tableItems()).toEqual(items);
  return result;
}

async function hire(data: EmployeeData): Promise<{ event: LifecycleEvent; userId: string }> {
  const event = lifecycleEvent('employee.hired', data);
  const line = await fx.apply(event);
  const userId = fx.usersWithEmail(data.workEmail)[0]?.id;
  if (line.attributes.outcome !== 'created' || userId === undefined) throw new Error('hire failed');
  return { event, userId };
}

const terminated = (data: EmployeeData, effectiveAt?: string) =>
  lifecycleEvent('employee.terminated', {
    employeeId: data.employeeId,
    ...(effectiveAt === undefined ? {} : { effectiveAt }),
  });

/** What the worker then really does with the event, for "the preview cannot drift". */
async function applied(event: LifecycleEvent, policy: TerminationPolicy = 'delete') {
  fx.sandbox.control.resetRequestCounts();
  const line = await fx.apply(event, { policy });
  return { outcome: line.attributes.outcome, counts: fx.sandbox.control.requestCounts() };
}

describe('previewEvent (sandbox + moto): each decision the worker can reach, touching nothing', () => {
  it('created: an employee not linked yet; the worker then creates exactly as previewed', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    const result = await preview(event);
    expect(result.match).toEqual({ employeeKey: `default:${data.employeeId}`, linked: false });
    expect(result.decision).toEqual({ outcome: 'created' });
    expect(result.steps.map((step) => step.action)).toEqual(['create']);
    expect(result.apiCalls).toEqual({ made: [], wouldMake: [{ operation: 'createUser', method: 'POST' }] });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);

    const worker = await applied(event);
    expect(worker.outcome).toBe('created');
    expect(worker.counts.createUser).toBe(1);
  });

  it('updated: linked and fields differ; lists the fields, reads the user, would PUT it', async () => {
    const data = employee();
    const { event: hired, userId } = await hire(data);
    const event = lifecycleEvent('employee.changed', { ...data, lastName: 'Brewster', extension: '4242' });
    const result = await preview(event);
    expect(result.match).toEqual({
      employeeKey: `default:${data.employeeId}`,
      linked: true,
      cpaasUserId: userId,
      status: 'active',
      lastEventId: hired.id,
      lastEventTime: new Date(hired.time).toISOString(),
    });
    expect(result.decision).toEqual({ outcome: 'updated', cpaasUserId: userId });
    expect(result.steps.map((step) => step.action)).toEqual(['read', 'update', 'link']);
    const fields = result.steps[1]?.fields ?? [];
    expect([...fields].sort()).toEqual(['caller_id.internal.number', 'last_name', 'presence_id']);
    expect(result.apiCalls).toEqual({
      made: [{ operation: 'getUser', method: 'GET', userId }],
      wouldMake: [{ operation: 'updateUser', method: 'PUT', userId, fields }],
    });
    expect(fx.usersWithEmail(data.workEmail)[0]?.last_name).toBe('Hopper');

    const worker = await applied(event);
    expect(worker.outcome).toBe('updated');
    expect(worker.counts.updateUser).toBe(1);
  });

  it('unchanged: linked and every managed field already matches; no write planned', async () => {
    const data = employee();
    const { userId } = await hire(data);
    const result = await preview(lifecycleEvent('employee.changed', data));
    expect(result.decision).toEqual({ outcome: 'unchanged', cpaasUserId: userId });
    expect(result.steps.map((step) => step.action)).toEqual(['read', 'none', 'link']);
    expect(result.steps[1]?.reason).toBe('managed fields already match');
    expect(result.apiCalls.wouldMake).toEqual([]);
  });

  it('deleted (policy delete): would DELETE the user, the brake admits it and counts nothing', async () => {
    const data = employee();
    const { userId } = await hire(data);
    const event = terminated(data);
    const result = await preview(event, { policy: 'delete' });
    expect(result.decision).toEqual({ outcome: 'deleted', cpaasUserId: userId });
    expect(result.steps.map((step) => step.action)).toEqual(['delete', 'link']);
    expect(result.brake).toMatchObject({ admitted: true, limit: DEFAULTS.deletionBrake.minimum });
    expect(result.apiCalls).toEqual({
      made: [],
      wouldMake: [{ operation: 'deleteUser', method: 'DELETE', userId }],
    });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);

    const worker = await applied(event, 'delete');
    expect(worker.outcome).toBe('deleted');
    expect(worker.counts.deleteUser).toBe(1);
  });

  it('disabled (policy disable): reads the user and would PUT enabled=false', async () => {
    const data = employee();
    const { userId } = await hire(data);
    const event = terminated(data);
    const result = await preview(event, { policy: 'disable' });
    expect(result.decision).toEqual({ outcome: 'disabled', cpaasUserId: userId });
    expect(result.steps.map((step) => step.action)).toEqual(['read', 'update', 'link']);
    expect(result.apiCalls).toEqual({
      made: [{ operation: 'getUser', method: 'GET', userId }],
      wouldMake: [{ operation: 'updateUser', method: 'PUT', userId, fields: ['enabled'] }],
    });
    expect(fx.usersWithEmail(data.workEmail)[0]?.enabled).toBe(true);

    const worker = await applied(event, 'disable');
    expect(worker.outcome).toBe('disabled');
    expect(fx.usersWithEmail(data.workEmail)[0]?.enabled).toBe(false);
  });

  it('disable-then-delete: a rehire inside the grace period shows the pending deletion and re-enables', async () => {
    const data = employee();
    const { userId } = await hire(data);
    const termination = terminated(data);
    const previewed = await preview(termination, { policy: 'disable-then-delete' });
    expect(previewed.decision).toEqual({ outcome: 'disabled', cpaasUserId: userId });
    const recorded = previewed.steps.find((step) => step.action === 'link');
    expect(recorded?.reason).toMatch(/^record status disabled; the sweep deletes the user after \d{4}-/);
    expect((await applied(termination, 'disable-then-delete')).outcome).toBe('disabled');
    const deleteAfter = (await fx.store.getLink(`default:${data.employeeId}`))?.deleteAfter;
    expect(deleteAfter).toBeDefined();

    const rehire = await preview(lifecycleEvent('employee.hired', data), { policy: 'disable-then-delete' });
    expect(rehire.match).toMatchObject({
      linked: true,
      cpaasUserId: userId,
      status: 'disabled',
      deleteAfter,
    });
    expect(rehire.decision).toEqual({ outcome: 'updated', cpaasUserId: userId });
    expect(rehire.apiCalls.wouldMake).toEqual([
      { operation: 'updateUser', method: 'PUT', userId, fields: ['enabled'] },
    ]);
  });

  it('stale: older than the last applied event; nothing to do, nothing recorded', async () => {
    const data = employee();
    const { event: hired, userId } = await hire(data);
    const older = new Date(Date.parse(hired.time) - 3_600_000).toISOString();
    const result = await preview(lifecycleEvent('employee.changed', data, { time: older }));
    expect(result.decision).toEqual({ outcome: 'stale', cpaasUserId: userId });
    expect(result.steps).toEqual([
      { action: 'none', reason: 'older than the last applied event for this employee' },
    ]);
    expect(result.apiCalls).toEqual({ made: [], wouldMake: [] });
  });

  it('duplicate: an event id already applied costs no API call', async () => {
    const data = employee();
    await hire(data);
    const event = lifecycleEvent('employee.changed', { ...data, firstName: 'Amazing' });
    await fx.apply(event);
    const result = await preview(event);
    expect(result.decision.outcome).toBe('duplicate');
    expect(result.steps).toEqual([{ action: 'none', reason: 'event id already applied' }]);
    expect(result.apiCalls).toEqual({ made: [], wouldMake: [] });
  });

  it('scheduled: a future effectiveAt would be stored for the sweep, and is not', async () => {
    const data = employee();
    const { userId } = await hire(data);
    const due = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const result = await preview(terminated(data, due));
    expect(result.event.effectiveAt).toBe(due);
    expect(result.decision).toEqual({ outcome: 'scheduled', cpaasUserId: userId });
    expect(result.steps).toEqual([
      { action: 'schedule', reason: `takes effect at ${due}; queued again then` },
    ]);
    expect(result.apiCalls).toEqual({ made: [], wouldMake: [] });
  });

  it('a change while a termination is pending: the match shows it, the steps cancel it', async () => {
    const data = employee();
    await hire(data);
    const due = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const pending = terminated(data, due);
    expect((await fx.apply(pending)).attributes.outcome).toBe('scheduled');
    const result = await preview(lifecycleEvent('employee.hired', data));
    expect(result.match.pending).toEqual({ eventId: pending.id, dueAt: due });
    expect(result.decision.outcome).toBe('unchanged');
    expect(result.steps.at(-1)).toEqual({
      action: 'unschedule',
      reason: `cancels the older event pending for ${due}`,
    });
  });

  it('held: past the deletion brake the termination would be held; the window is only inspected', async () => {
    const data = employee();
    const { userId } = await hire(data);
    const tight = new DynamoDeletionBrake({
      client: fx.aws.dynamodb,
      tableName: fx.aws.resources.stateTableName,
      minimum: 1,
      percent: 0,
    });
    await tight.admit({ force: true });
    const before = await tight.inspect();
    const result = await preview(terminated(data), { brake: tight, policy: 'delete' });
    expect(result.decision).toEqual({ outcome: 'held', cpaasUserId: userId });
    expect(result.brake).toEqual({ admitted: false, recent: before.recent, limit: 1 });
    expect(result.steps).toEqual([
      {
        action: 'hold',
        reason: `deletion brake: ${before.recent} terminations in the window, limit 1; held for an operator`,
      },
    ]);
    expect(result.apiCalls.wouldMake).toEqual([]);
    expect(await tight.inspect()).toEqual(before);
  });
});

describe('readOnlyPorts', () => {
  it('refuses every write with PreviewWriteError and sends nothing', async () => {
    const { ports: readOnly } = readOnlyPorts(ports());
    const items = await tableItems();
    fx.sandbox.control.resetRequestCounts();
    const link = {
      employeeKey: 'default:nobody',
      status: 'active' as const,
      lastEventId: 'e1',
      lastEventTime: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    };
    const begin = () =>
      readOnly.store.begin(link.employeeKey, { id: 'e1', time: link.lastEventTime }, Date.now() + 30_000);
    const userId = 'a'.repeat(32);
    const input = { email: 'x@example.com', first_name: 'X', last_name: 'Y' };
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['createUser', () => readOnly.api.createUser(input)],
      ['updateUser', () => readOnly.api.updateUser(userId, input)],
      ['deleteUser', () => readOnly.api.deleteUser(userId)],
      ['impersonateUser', () => readOnly.api.impersonateUser(userId)],
      ['lock (take the employee lease)', async () => (await begin()).lock()],
      ['save link', async () => (await begin()).save(link)],
      ['record event', async () => (await begin()).record()],
      ['mark schedule pending', async () => (await begin()).markSchedulePending()],
      [
        'schedule',
        () =>
          readOnly.schedules.schedule({
            ...link,
            eventId: 'e1',
            eventTime: link.lastEventTime,
            dueAt: link.updatedAt,
            body: '{}',
          }),
      ],
      ['remove schedule', () => readOnly.schedules.remove(link.employeeKey, 'e1')],
      [
        'hold',
        () =>
          readOnly.holds.hold({
            employeeKey: link.employeeKey,
            eventId: 'e1',
            body: '{}',
            heldAt: link.updatedAt,
            recent: 1,
            limit: 1,
          }),
      ],
      ['remove hold', () => readOnly.holds.remove(link.employeeKey, 'e1')],
      ['admit (count a termination)', () => readOnly.brake.admit()],
    ];
    for (const [operation, write] of writes) {
      await expect(write(), operation).rejects.toThrow(PreviewWriteError);
      await expect(write(), operation).rejects.toMatchObject({ operation });
    }
    expect(readOnly.dryRun).toBe(true);
    expect(Object.values(fx.sandbox.control.requestCounts()).every((count) => count === 0)).toBe(true);
    expect(await tableItems()).toEqual(items);
  });
});
