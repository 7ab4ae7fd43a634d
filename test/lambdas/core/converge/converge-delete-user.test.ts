import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TerminationData } from '../../../../lambdas/core/events/lifecycle-event.js';
import type { DeletionBrake } from '../../../../lambdas/core/state/deletion-brake.js';
import {
  employee,
  keyOf,
  lifecycleEvent,
  type WorkerFixture,
  workerFixture,
} from '../../../support/worker-fixture.js';

/** A brake that holds every termination: an identity provider's mass DELETE. */
const closedBrake: DeletionBrake = {
  admit: async () => ({ admitted: false, recent: 50, limit: 5 }),
  inspect: async () => ({ admitted: false, recent: 50, limit: 5 }),
};

describe('converge: a termination whose identity is gone (data.deleteUser) deletes under any policy', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(() => fx.close());

  const identityGone = (employeeId: string): TerminationData => ({ employeeId, deleteUser: true });

  it('under disable: the deactivation disables, a second termination changes nothing, the DELETE deletes', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const disable = { policy: 'disable' } as const;
    const deactivated = await fx.apply(lifecycleEvent('employee.terminated', data), disable);
    expect(deactivated.attributes.outcome).toBe('disabled');
    const again = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
    expect((await fx.apply(again, disable)).attributes.outcome).toBe('unchanged');
    expect(fx.usersWithEmail(data.workEmail)).toEqual([expect.objectContaining({ enabled: false })]);

    const deleted = await fx.apply(
      lifecycleEvent('employee.terminated', identityGone(data.employeeId)),
      disable,
    );
    expect(deleted.attributes.outcome).toBe('deleted');
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    expect(await fx.store.getLink(keyOf(data))).toMatchObject({ status: 'deleted' });
  });

  it('under disable-then-delete: deletes at once, with no grace period left for the sweep', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const grace = { policy: 'disable-then-delete', deleteGraceDays: 30 } as const;
    const line = await fx.apply(lifecycleEvent('employee.terminated', identityGone(data.employeeId)), grace);
    expect(line.attributes.outcome).toBe('deleted');
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    expect(await fx.store.getLink(keyOf(data))).not.toHaveProperty('deleteAfter');
  });

  it('is held by the deletion brake like any termination, and deletes nothing then', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const event = lifecycleEvent('employee.terminated', identityGone(data.employeeId));
    const line = await fx.apply(event, { policy: 'disable', brake: closedBrake });
    expect(line.attributes.outcome).toBe('held');
    expect(fx.usersWithEmail(data.workEmail)).toEqual([expect.objectContaining({ enabled: true })]);
    const held = [];
    for await (const hold of fx.holds.list()) if (hold.employeeKey === keyOf(data)) held.push(hold.eventId);
    expect(held).toEqual([event.id]);
  });
});
