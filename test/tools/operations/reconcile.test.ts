import { describe, expect, it } from 'vitest';
import {
  type EmployeeData,
  type LifecycleEvent,
  parseLifecycleEvent,
} from '../../../lambdas/core/events/lifecycle-event.js';
import type { EmployeeLink } from '../../../lambdas/core/state/state-store.js';
import { DeletionThresholdError } from '../../../tools/operations/errors.js';
import { applyReconcilePlan, formatPlan, planReconcile } from '../../../tools/operations/reconcile.js';

const employee = (id: string, extra: Partial<EmployeeData> = {}): EmployeeData => ({
  employeeId: id,
  workEmail: `${id}@example.com`,
  firstName: 'First',
  lastName: `Last-${id}`,
  ...extra,
});
const user = (id: string, fields: Record<string, unknown> = {}) => ({ id, enabled: true, ...fields });
const link = (
  employeeId: string,
  cpaasUserId: string,
  status: EmployeeLink['status'] = 'active',
): EmployeeLink => ({
  employeeKey: `default:${employeeId}`,
  cpaasUserId,
  status,
  lastEventId: 'evt',
  lastEventTime: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('planReconcile', () => {
  const roster = [
    employee('same'),
    employee('renamed'),
    employee('new'),
    employee('adoptable'),
    employee('extension', { extension: '204' }),
  ];
  const users = [
    user('u-same', { email: 'same@example.com', first_name: 'First', last_name: 'Last-same' }),
    user('u-renamed', { email: 'renamed@example.com', first_name: 'Old', last_name: 'Last-renamed' }),
    user('u-adopt', { email: 'ADOPTABLE@example.com', first_name: 'x', last_name: 'y' }),
    user('u-ext', { email: 'extension@example.com', first_name: 'First', last_name: 'Last-extension' }),
    user('u-left', { email: 'left@example.com' }),
    user('u-left-disabled', { email: 'gone@example.com', enabled: false }),
    user('u-admin', { email: 'admin@example.com' }),
  ];
  const links = [
    link('same', 'u-same'),
    link('renamed', 'u-renamed'),
    link('extension', 'u-ext'),
    link('left', 'u-left'),
    link('gone', 'u-left-disabled'),
  ];

  it('sorts each employee and user into create, adopt, update, deprovision, unchanged, unmanaged', () => {
    const plan = planReconcile({ roster, users, links });
    expect(plan.changes).toEqual([
      { action: 'update', employee: roster[1], userId: 'u-renamed', fields: ['first_name'] },
      { action: 'create', employee: roster[2] },
      { action: 'adopt', employee: roster[3], userId: 'u-adopt' },
      { action: 'update', employee: roster[4], userId: 'u-ext', fields: ['presence_id'] },
      { action: 'deprovision', employeeId: 'left', userId: 'u-left' },
    ]);
    expect(plan.unchanged).toBe(1);
    expect(plan.unmanagedUserIds).toEqual(['u-admin']);
  });

  it('ignores finished terminations and links of another tenant', () => {
    const plan = planReconcile({
      roster: [],
      users: [user('u-1'), user('u-2')],
      links: [link('done', 'u-1', 'deleted'), { ...link('other', 'u-2'), employeeKey: 'acme:other' }],
    });
    expect(plan.changes).toEqual([]);
    expect(plan.unmanagedUserIds).toEqual(['u-1']);
  });

  it('re-creates a linked user that was deleted behind its back', () => {
    const plan = planReconcile({ roster: [employee('e')], users: [], links: [link('e', 'u-deleted')] });
    expect(plan.changes).toEqual([{ action: 'create', employee: employee('e') }]);
  });

  it('prints a plan with ids and field names only', () => {
    const text = formatPlan(planReconcile({ roster, users, links }));
    expect(text).toContain('+ create       new');
    expect(text).toContain('~ update       renamed (user u-renamed): first_name');
    expect(text).toContain('- deprovision  left (user u-left): not in the roster');
    expect(text).toContain(
      'Plan: 1 to create, 1 to adopt, 2 to update, 1 to deprovision; 1 unchanged; 1 CPaaS user(s)',
    );
    expect(text).not.toContain('@example.com');
  });
});

describe('applyReconcilePlan', () => {
  const queue = () => {
    const sent: LifecycleEvent[] = [];
    return { sent, enqueue: async (events: readonly LifecycleEvent[]) => void sent.push(...events) };
  };

  it('enqueues one canonical event per change', async () => {
    const target = queue();
    const plan = planReconcile({
      roster: [employee('new')],
      users: [user('u-left')],
      links: [link('left', 'u-left')],
    });
    await applyReconcilePlan(plan, { queue: target });
    expect(target.sent.map((event) => [event.type, event.subject])).toEqual([
      ['employee.hired', 'new'],
      ['employee.terminated', 'left'],
    ]);
    for (const event of target.sent) expect(parseLifecycleEvent(JSON.stringify(event))).toEqual(event);
  });

  it('refuses to deprovision more than allowed, before sending anything', async () => {
    const target = queue();
    const users = Array.from({ length: 11 }, (_, index) => user(`u${index}`));
    const links = users.map((entry, index) => link(`left${index}`, entry.id));
    const plan = planReconcile({ roster: [employee('new')], users, links });
    await expect(applyReconcilePlan(plan, { queue: target })).rejects.toThrow(DeletionThresholdError);
    expect(target.sent).toHaveLength(0);
    await applyReconcilePlan(plan, { queue: target, allowDeletes: 11 });
    expect(target.sent).toHaveLength(12);
  });
});
