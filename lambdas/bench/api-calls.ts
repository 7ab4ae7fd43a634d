import { createLifecycleEvent, type LifecycleEvent } from '../events/lifecycle-event.js';
import { newEmployee, type WorkerHarness } from './worker-harness.js';

export interface ApiCallsPerEvent {
  readonly step: string;
  readonly calls: number;
  /** The ceiling for this event type. */
  readonly target: number;
}

async function callsFor(harness: WorkerHarness, event: LifecycleEvent): Promise<number> {
  harness.sandbox.control.resetRequestCounts();
  await harness.invoke([event]);
  return Object.values(harness.sandbox.control.requestCounts()).reduce((sum, count) => sum + count, 0);
}

/**
 * CPaaS calls per event type on an account that already holds `seeded` users: the worker must go
 * by its stored link, never by listing the account, so the count does not grow with the account.
 */
export async function measureApiCalls(harness: WorkerHarness, seeded: number): Promise<ApiCallsPerEvent[]> {
  harness.sandbox.control.seedUsers(seeded, { emailDomain: 'seeded.example.com' });
  const data = newEmployee();
  const event = (type: 'employee.hired' | 'employee.changed', changes: Partial<typeof data> = {}) =>
    createLifecycleEvent({ type, data: { ...data, ...changes }, source: 'bench' });
  return [
    { step: 'new hire', calls: await callsFor(harness, event('employee.hired')), target: 1 },
    {
      step: 'change (name)',
      calls: await callsFor(harness, event('employee.changed', { lastName: 'Renamed' })),
      target: 2,
    },
    {
      step: 'change (email)',
      calls: await callsFor(
        harness,
        event('employee.changed', { lastName: 'Renamed', workEmail: `new.${data.workEmail}` }),
      ),
      target: 2,
    },
    {
      step: 'change (nothing new)',
      calls: await callsFor(
        harness,
        event('employee.changed', { lastName: 'Renamed', workEmail: `new.${data.workEmail}` }),
      ),
      target: 2,
    },
    {
      step: 'terminate',
      calls: await callsFor(
        harness,
        createLifecycleEvent({
          type: 'employee.terminated',
          data: { employeeId: data.employeeId },
          source: 'bench',
        }),
      ),
      target: 1,
    },
  ];
}
