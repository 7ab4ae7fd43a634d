import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { ConfigurationError } from '../../../lambdas/contract/errors.js';
import { handler } from '../../../lambdas/sweep/handler.js';
import { handlerEnvironment } from '../../../tools/local/provision.js';
import { motoClientConfig } from '../../support/aws.js';
import { lambdaContext } from '../../support/records.js';
import {
  employee,
  keyOf,
  lifecycleEvent,
  type WorkerFixture,
  workerFixture,
} from '../../support/worker-fixture.js';

const saved = { ...process.env };

describe('the sweep Lambda entry point', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture();
  });
  afterAll(async () => {
    process.env = saved;
    await fx.close();
  });

  it('names a missing setting, then runs the sweep as deployed once the environment is complete, queuing by lane', async () => {
    const environment = handlerEnvironment(motoClientConfig(), fx.aws.resources, {
      baseUrl: fx.sandbox.url,
      accountId: fx.sandbox.accountId,
    });
    Object.assign(process.env, environment, { POWERTOOLS_LOG_LEVEL: 'ERROR' });
    delete process.env[ENV.queueUrl];
    await expect(handler({}, lambdaContext())).rejects.toThrow(ConfigurationError);
    await expect(handler({}, lambdaContext())).rejects.toThrow(ENV.queueUrl);

    process.env[ENV.queueUrl] = environment[ENV.queueUrl];
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', data));
    const termination = lifecycleEvent('employee.terminated', {
      employeeId: data.employeeId,
      effectiveAt: new Date(Date.now() + 60_000).toISOString(),
    });
    expect((await fx.apply(termination)).attributes.outcome).toBe('scheduled');
    // Due in a minute: the real-time sweep leaves it.
    expect(await handler({}, lambdaContext())).toMatchObject({ queued: 0, failed: 0 });
    const pending = await fx.schedules.get(keyOf(data));
    if (pending === undefined) throw new Error('the schedule should still be pending');

    // Made due now, as the clock would have it a minute later.
    await fx.schedules.remove(keyOf(data), termination.id);
    await fx.schedules.schedule({ ...pending, dueAt: new Date().toISOString() });
    expect(await handler({}, lambdaContext())).toMatchObject({ queued: 1, failed: 0 });
    fx.now = new Date(Date.now() + 120_000);
    // A due termination goes back on the priority lane, not behind the standard lane's backlog.
    expect(await fx.deliverLane('standard')).toEqual([]);
    const lines = await fx.deliverLane('priority');
    expect(lines.map((line) => [line.attributes.eventId, line.attributes.outcome])).toEqual([
      [termination.id, 'deleted'],
    ]);
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
  });
});
