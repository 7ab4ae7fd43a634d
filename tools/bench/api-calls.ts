import { createLifecycleEvent, type LifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { writeUnitsOf } from './cost.js';
import { countAwsCalls } from './http-call-counter.js';
import { newEmployee, type WorkerHarness } from './worker-harness.js';

export interface ApiCallsPerEvent {
  readonly step: string;
  readonly calls: number;
  /** The ceiling for this event type. */
  readonly target: number;
  /** DynamoDB write units this one event cost (issue #16: at most 1 for a change, 0 for a no-op). */
  readonly writeUnits: number;
  /** Its `--json` key under `writeUnitsPerEvent`: the four kinds issue #16 names, and a stale one. */
  readonly kind?: 'hire' | 'change' | 'noop' | 'terminate' | 'stale';
}

const DYNAMODB_TARGET = 'DynamoDB_20120810.';

/** CPaaS calls and DynamoDB write units of one event through the worker. */
async function callsFor(
  harness: WorkerHarness,
  event: LifecycleEvent,
): Promise<{ calls: number; writeUnits: number }> {
  harness.sandbox.control.resetRequestCounts();
  const aws = countAwsCalls();
  try {
    await harness.invoke([event]);
  } finally {
    aws.stop();
  }
  const dynamo = Object.fromEntries(
    aws
      .targets()
      .filter(([target]) => target.startsWith(DYNAMODB_TARGET))
      .map(([target, count]) => [target.slice(DYNAMODB_TARGET.length), count]),
  );
  return {
    calls: Object.values(harness.sandbox.control.requestCounts()).reduce((sum, count) => sum + count, 0),
    writeUnits: writeUnitsOf(dynamo),
  };
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
  const step = async (
    name: string,
    lifecycleEvent: LifecycleEvent,
    target: number,
    kind?: ApiCallsPerEvent['kind'],
  ): Promise<ApiCallsPerEvent> => ({
    step: name,
    ...(await callsFor(harness, lifecycleEvent)),
    target,
    ...(kind === undefined ? {} : { kind }),
  });
  const moved = { lastName: 'Renamed', workEmail: `new.${data.workEmail}` };
  const hire = event('employee.hired');
  const steps = [
    await step('new hire', hire, 1, 'hire'),
    await step('change (name)', event('employee.changed', { lastName: 'Renamed' }), 2, 'change'),
    await step('change (email)', event('employee.changed', moved), 2),
    await step('change (nothing new)', event('employee.changed', moved), 2, 'noop'),
    await step(
      'terminate',
      createLifecycleEvent({
        type: 'employee.terminated',
        data: { employeeId: data.employeeId },
        source: 'bench',
      }),
      1,
      'terminate',
    ),
  ];
  awsCalls.stop();
  // After the count the cost row prices: an event that waited on another lane while a newer one
  // was applied is rare, and pricing it would make the average event look cheaper than it is.
  const late = await step(
    'change older than the last applied (stale)',
    createLifecycleEvent({
      type: 'employee.changed',
      data: { ...data, lastName: 'Late' },
      source: 'bench',
      time: new Date(Date.parse(hire.time) - 60_000).toISOString(),
    }),
    0,
    'stale',
  );
  // DynamoDB calls of these five clean single events: what the cost row prices per event.
  const dynamoCallsPerEvent = Object.fromEntries(
    awsCalls
      .targets()
      .filter(([target]) => target.startsWith(DYNAMODB_TARGET))
      .map(([target, count]) => [target.slice(DYNAMODB_TARGET.length), count / steps.length]),
  );
  return { steps: [...steps, late], dynamoCallsPerEvent };
}
