import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxRoute } from '../../../tools/sandbox/index.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const SEEDED_USERS = 10_000;

describe(`API calls per event with ${SEEDED_USERS} users in the account`, () => {
  let fx: WorkerFixture;
  const figures: Record<string, Partial<Record<SandboxRoute, number>> & { total: number }> = {};

  beforeAll(async () => {
    fx = await workerFixture();
    fx.sandbox.control.seedUsers(SEEDED_USERS);
  });
  afterAll(async () => {
    console.log(`API calls per event (${SEEDED_USERS} users seeded):\n${JSON.stringify(figures, null, 2)}`);
    await fx.close();
  });

  /** Requests the sandbox received while one event was applied, by route (zero routes left out). */
  async function measure(name: string, run: () => Promise<unknown>): Promise<number> {
    fx.sandbox.control.resetRequestCounts();
    await run();
    const counts = fx.sandbox.control.requestCounts();
    const used = Object.fromEntries(Object.entries(counts).filter(([, count]) => count > 0));
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    figures[name] = { ...used, total };
    return total;
  }

  it('new hire 1, change 2 (1 when nothing differs), terminate 1: independent of account size', async () => {
    const data = employee();
    expect(fx.sandbox.control.users().length).toBeGreaterThanOrEqual(SEEDED_USERS);
    expect(await measure('hire (new)', () => fx.apply(lifecycleEvent('employee.hired', data)))).toBe(1);
    expect(
      await measure('change (differs)', () =>
        fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Changed' })),
      ),
    ).toBe(2);
    expect(
      await measure('change (nothing differs)', () =>
        fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Changed' })),
      ),
    ).toBe(1);
    expect(
      await measure('terminate (delete)', () =>
        fx.apply(lifecycleEvent('employee.terminated', { employeeId: data.employeeId })),
      ),
    ).toBe(1);
    expect(figures['hire (new)']).toEqual({ createUser: 1, total: 1 });
    expect(figures['change (differs)']).toEqual({ getUser: 1, updateUser: 1, total: 2 });
    expect(figures['terminate (delete)']).toEqual({ deleteUser: 1, total: 1 });
  });
});
