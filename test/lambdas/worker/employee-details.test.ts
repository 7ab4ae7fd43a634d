import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { DEAD_LETTER_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import { createDetailsPendingEvent } from '../../../lambdas/core/events/details-pending-event.js';
import { bambooHrFetcherFromSecret } from '../../../lambdas/core/hris/bamboohr-api.js';
import {
  createWorkerHandler,
  type WorkerDependencies,
  workerDependenciesFromEnv,
} from '../../../lambdas/worker/handler.js';
import { type BambooHrFake, startBambooHrFake } from '../../../tools/fakes/bamboohr/server.js';
import { handlerEnvironment } from '../../../tools/local/provision.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { eventRecord, lambdaContext } from '../../support/records.js';
import { DAY_MS, employee, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const MAX_RECEIVE_COUNT = 3;
const API_KEY = 'bamboohr-api-key';

describe('worker: details-pending events completed from BambooHR (fake over a real socket)', () => {
  let fx: WorkerFixture;
  let bamboo: BambooHrFake;
  let details: WorkerDependencies['details'];
  let secretId: string;
  const slept: number[] = [];

  beforeAll(async () => {
    fx = await workerFixture(MAX_RECEIVE_COUNT);
    bamboo = await startBambooHrFake({ apiKey: API_KEY });
    secretId = uniqueName('bamboohr-credentials');
    await fx.aws.secrets.send(
      new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify({ apiKey: API_KEY }) }),
    );
    details = {
      bamboohr: bambooHrFetcherFromSecret({
        client: fx.aws.secrets,
        secretId,
        apiBaseUrl: bamboo.apiBaseUrl,
        retry: {
          policy: { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 },
          sleep: async (ms) => {
            slept.push(ms);
          },
        },
      }),
    };
  });
  afterAll(async () => {
    await bamboo.close();
    await fx.close();
  });
  beforeEach(() => {
    bamboo.faults.clear();
    slept.length = 0;
  });

  /** An employee BambooHR knows (active), and the webhook's details-pending event for it. */
  function known(type: 'employee.hired' | 'employee.changed' = 'employee.hired') {
    const data = employee();
    bamboo.employees.set(data.employeeId, {
      workEmail: data.workEmail,
      firstName: data.firstName,
      lastName: data.lastName,
    });
    return { data, event: pending(type, data.employeeId) };
  }
  const pending = (type: 'employee.hired' | 'employee.changed', employeeId: string) =>
    createDetailsPendingEvent({ type, detailsFrom: 'bamboohr', employeeId, source: 'bamboohr' });
  const dlqFor = async (eventId: string) =>
    (await fx.aws.deadLetters()).filter(
      (message) => message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.eventId]?.StringValue === eventId,
    );
  const attribute = (message: Awaited<ReturnType<typeof dlqFor>>[number] | undefined, name: string) =>
    message?.MessageAttributes?.[name]?.StringValue;

  it("a 429 is retried after the API's Retry-After", async () => {
    const { data, event } = known();
    bamboo.faults.set('getEmployee', { script: [429], retryAfterSeconds: 2 });
    const line = await fx.apply(event, { details });
    expect(line.attributes).toMatchObject({ outcome: 'created' });
    expect(slept).toEqual([2_000]);
    expect(bamboo.requests.get(data.employeeId)).toBe(2);
  });

  it('a change whose fetched record is Inactive (or past its termination date) is a termination', async () => {
    for (const ended of [{ status: 'Inactive' as const }, { terminationDate: '2020-01-31' }]) {
      const { data, event } = known();
      await fx.apply(event, { details });
      bamboo.employees.set(data.employeeId, { ...bamboo.employees.get(data.employeeId), ...ended });
      const line = await fx.apply(pending('employee.changed', data.employeeId), { details });
      expect(line.attributes).toMatchObject({ eventType: 'employee.terminated', outcome: 'deleted' });
      expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    }
  });

  it('an active record without a work email is dead-lettered as permanent, naming the field', async () => {
    const { data, event } = known();
    bamboo.employees.set(data.employeeId, { ...bamboo.employees.get(data.employeeId), workEmail: null });
    await fx.handler({ details })([eventRecord(event, 1)]);
    const [message] = await dlqFor(event.id);
    expect(attribute(message, DEAD_LETTER_ATTRIBUTES.failureKind)).toBe('permanent');
    expect(attribute(message, DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe(
      'the bamboohr record of an active employee has no workEmail',
    );
  });

  it('a future termination date is not a termination yet', async () => {
    const { data, event } = known();
    bamboo.employees.set(data.employeeId, {
      ...bamboo.employees.get(data.employeeId),
      terminationDate: '2099-01-31',
    });
    const line = await fx.apply(event, { details });
    expect(line.attributes).toMatchObject({ eventType: 'employee.hired', outcome: 'created' });
  });

  it('a redelivery of the same webhook days later is a duplicate (the processed-event record)', async () => {
    const { data, event } = known();
    await fx.apply(event, { details });
    fx.now = new Date(Date.now() + 3 * DAY_MS);
    const again = await fx.apply(structuredClone(event), { details }).finally(() => {
      fx.now = undefined;
    });
    expect(again.attributes).toMatchObject({ outcome: 'duplicate' });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('the Lambda wiring fetches from the BambooHR API and credentials its environment names', async () => {
    const environment = {
      ...handlerEnvironment(motoClientConfig(), fx.aws.resources, {
        baseUrl: fx.sandbox.url,
        accountId: fx.sandbox.accountId,
      }),
      [ENV.hrApis]: JSON.stringify({
        bamboohr: { apiBaseUrl: bamboo.apiBaseUrl, credentialsSecretId: secretId },
      }),
    };
    const handler = createWorkerHandler(workerDependenciesFromEnv(environment, motoClientConfig()));
    const { data, event } = known();
    const response = await handler({ Records: [eventRecord(event)] }, lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });
});
