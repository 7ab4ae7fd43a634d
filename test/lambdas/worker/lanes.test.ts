import { randomUUID } from 'node:crypto';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sqsLaneRoutedQueue } from '../../../lambdas/core/events/lane-routed-queue.js';
import { type LifecycleEvent, toQueueMessage } from '../../../lambdas/core/events/lifecycle-event.js';
import { eventRecord } from '../../support/records.js';
import {
  employee,
  keyOf,
  type LogLine,
  lifecycleEvent,
  type WorkerFixture,
  workerFixture,
} from '../../support/worker-fixture.js';

/**
 * Terminations travel on the priority lane and may overtake an employee's earlier hire or change
 * on the standard lane. The queues no longer order those two; the worker's event-time guard and
 * the employee lease must.
 */
describe('the worker across the two lanes (sandbox + moto)', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(() => fx.close());
  afterEach(() => fx.sandbox.control.clearFaults());

  const outcomes = (lines: readonly LogLine[]) =>
    lines.map((line) => [line.attributes.eventId, line.attributes.outcome]);

  it('a termination applied before the older change it overtook leaves the user disabled: the change is stale', async () => {
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const change = lifecycleEvent('employee.changed', { ...data, lastName: 'King' });
    const termination = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });

    expect((await fx.apply(termination, { policy: 'disable' })).attributes.outcome).toBe('disabled');
    expect((await fx.apply(change, { policy: 'disable' })).attributes.outcome).toBe('stale');

    expect(fx.usersWithEmail(data.workEmail)).toMatchObject([{ enabled: false, last_name: 'Hopper' }]);
    expect(await fx.store.getLink(keyOf(data))).toMatchObject({
      status: 'disabled',
      lastEventId: termination.id,
    });
  });

  it('a termination that overtakes the hire itself: the hire is stale and no user is ever created', async () => {
    const data = employee();
    const hire = lifecycleEvent('employee.hired', data);
    const termination = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
    await sqsLaneRoutedQueue(fx.aws.sqs, fx.aws.queueUrls).enqueue([hire, termination]);

    expect(outcomes(await fx.deliverLane('priority'))).toEqual([[termination.id, 'unchanged']]);
    expect(outcomes(await fx.deliverLane('standard'))).toEqual([[hire.id, 'stale']]);
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
  });

  it('hire -> terminate -> rehire sent back to back ends active, whichever lane runs first', async () => {
    const data = employee();
    const hire = lifecycleEvent('employee.hired', data);
    const termination = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
    const rehire = lifecycleEvent('employee.hired', { ...data, lastName: 'Rehired' });
    await sqsLaneRoutedQueue(fx.aws.sqs, fx.aws.queueUrls).enqueue([hire, termination, rehire]);

    // The priority lane first: the termination overtakes both hires.
    expect(outcomes(await fx.deliverLane('priority'))).toEqual([[termination.id, 'unchanged']]);
    expect(outcomes(await fx.deliverLane('standard'))).toEqual([
      [hire.id, 'stale'],
      [rehire.id, 'created'],
    ]);
    expect(fx.usersWithEmail(data.workEmail)).toMatchObject([{ enabled: true, last_name: 'Rehired' }]);
    expect(await fx.store.getLink(keyOf(data))).toMatchObject({ status: 'active', lastEventId: rehire.id });

    // The standard lane first: the termination arrives after the rehire and is stale.
    const other = employee();
    const events = [
      lifecycleEvent('employee.hired', other),
      lifecycleEvent('employee.terminated', { employeeId: other.employeeId }),
      lifecycleEvent('employee.hired', { ...other, lastName: 'Rehired' }),
    ];
    await sqsLaneRoutedQueue(fx.aws.sqs, fx.aws.queueUrls).enqueue(events);
    await fx.deliverLane('standard');
    expect(outcomes(await fx.deliverLane('priority'))).toEqual([[events[1]?.id, 'stale']]);
    expect(fx.usersWithEmail(other.workEmail)).toMatchObject([{ enabled: true, last_name: 'Rehired' }]);
  });

  it('duplicates in both lanes apply once', async () => {
    const data = employee();
    const hire = lifecycleEvent('employee.hired', data);
    const termination = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
    const rehire = lifecycleEvent('employee.hired', { ...data, lastName: 'Rehired' });
    // Each event twice, past SQS's five-minute deduplication (an HRIS retrying days later).
    const redelivered = async (event: LifecycleEvent) => {
      const url =
        event.type === 'employee.terminated' ? fx.aws.queueUrls.priority : fx.aws.queueUrls.standard;
      for (let copy = 0; copy < 2; copy += 1) {
        await fx.aws.sqs.send(
          new SendMessageCommand({ QueueUrl: url, ...toQueueMessage(event, randomUUID()) }),
        );
      }
    };
    for (const event of [hire, termination, rehire]) await redelivered(event);

    const lines = [...(await fx.deliverLane('priority')), ...(await fx.deliverLane('standard'))];
    const byEvent = (event: LifecycleEvent) =>
      lines.filter((line) => line.attributes.eventId === event.id).map((line) => line.attributes.outcome);
    expect(byEvent(termination)).toEqual(['unchanged', 'duplicate']);
    // A stale event writes nothing: its copy is stale again, for the same one read.
    expect(byEvent(hire)).toEqual(['stale', 'stale']);
    expect(byEvent(rehire)).toEqual(['created', 'duplicate']);
    expect(fx.usersWithEmail(data.workEmail)).toMatchObject([{ enabled: true, last_name: 'Rehired' }]);
  });

  for (const policy of ['disable', 'delete'] as const) {
    it(`a change and a termination for one employee on the two lanes at the same moment never restore access (policy ${policy})`, async () => {
      const data = employee();
      await fx.apply(lifecycleEvent('employee.hired', data));
      const change = lifecycleEvent('employee.changed', { ...data, lastName: 'King' });
      const termination = lifecycleEvent('employee.terminated', { employeeId: data.employeeId });
      // Slow API calls widen the window in which the two would interleave without the lease.
      fx.sandbox.control.setFaults('*', { latencyMs: 150 });
      const standard = fx.handler({ policy })([eventRecord(change)]);
      const priority = fx.handler({ policy })([eventRecord(termination)]);
      const answers = await Promise.all([standard, priority]);
      expect(answers).toEqual([{ batchItemFailures: [] }, { batchItemFailures: [] }]);

      const users = fx.usersWithEmail(data.workEmail);
      if (policy === 'delete') expect(users).toEqual([]);
      else expect(users).toMatchObject([{ enabled: false }]);
      expect(await fx.store.getLink(keyOf(data))).toMatchObject({
        status: policy === 'delete' ? 'deleted' : 'disabled',
        lastEventId: termination.id,
      });
    });
  }
});
