import { createLifecycleEvent, type LifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { countAwsCalls } from './http-call-counter.js';
import { newEmployee, type WorkerHarness } from './worker-harness.js';

export interface ApiCallsPerEvent {
  readonly step: string;
  readonly calls: number;
  /** The ceiling for this event type. */
  readonly target: number;
}

const DYNAMODB_TARGET = 'DynamoDB_20120810.';

async function callsFor(harness: WorkerHarness, event: LifecycleEvent): Promise<number> {
  harness.sandbox.control.resetRequestCounts();
  await harness.invoke([event]);
  return Object.values(harness.sandbox.control.requestCounts()).reduce((sum, count) => sum + count, 0);
}

/**
 * CPaaS calls per event type on an account that already holds `seeded` users: the worker must go
 * by its stored link, never by listing the account, so the count does not grow with the account.
 */
export async function measureApiCalls(
  harness: WorkerHarness,
  seeded: number,
): Promise<{ steps: ApiCallsPerEvent[]; dynamoCallsPerEvent: Record<string, number> }> {
  harness.sandbox.control.seedUsers(seeded, { emailDomain: 'seeded.example.com' });
  const data = newEmployee();
  const event = (type: 'employee.hired' | 'employee.changed', changes: Partial<typeof data> = {}) =>
    createLifecycleEvent({ type, data: { ...data, ...changes }, source: 'bench' });
  const awsCalls = countAwsCalls();
  const steps = [
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
  awsCalls.stop();
  // DynamoDB calls of these five clean single events: what the cost row prices per event.
  const dynamoCallsPerEvent = Object.fromEntries(
    awsCalls
      .targets()
      .filter(([target]) => target.startsWith(DYNAMODB_TARGET))
      .map(([target, count]) => [target.slice(DYNAMODB_TARGET.length), count / steps.length]),
  );
  return { steps, dynamoCallsPerEvent };
}
