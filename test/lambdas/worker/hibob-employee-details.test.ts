import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { createDetailsPendingEvent } from '../../../lambdas/core/events/details-pending-event.js';
import { hiBobFetcherFromSecret } from '../../../lambdas/core/hris/hibob-api.js';
import {
  createWorkerHandler,
  type WorkerDependencies,
  workerDependenciesFromEnv,
} from '../../../lambdas/worker/handler.js';
import { type HiBobFake, startHiBobFake } from '../../../tools/fakes/hibob/server.js';
import { handlerEnvironment } from '../../../tools/local/provision.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { eventRecord, lambdaContext } from '../../support/records.js';
import { employee, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const CREDENTIALS = { serviceUserId: 'SERVICE-7', token: 'hibob-service-token' };

describe('worker: details-pending events completed from HiBob (fake over a real socket)', () => {
  let fx: WorkerFixture;
  let bob: HiBobFake;
  let details: WorkerDependencies['details'];
  let secretId: string;
  const slept: number[] = [];

  beforeAll(async () => {
    fx = await workerFixture(3);
    bob = await startHiBobFake(CREDENTIALS);
    secretId = uniqueName('hibob-credentials');
    await fx.aws.secrets.send(
      new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(CREDENTIALS) }),
    );
    details = {
      hibob: hiBobFetcherFromSecret({
        client: fx.aws.secrets,
        secretId,
        apiBaseUrl: bob.apiBaseUrl,
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
    await bob.close();
    await fx.close();
  });
  beforeEach(() => {
    bob.faults.clear();
    slept.length = 0;
  });

  /** An employee HiBob knows (employed), and the webhook's details-pending event for it. */
  function known(type: 'employee.hired' | 'employee.changed' = 'employee.hired') {
    const data = employee();
    bob.employees.set(data.employeeId, {
      email: data.workEmail,
      firstName: data.firstName,
      surname: data.lastName,
    });
    return { data, event: pending(type, data.employeeId) };
  }
  const pending = (type: 'employee.hired' | 'employee.changed', employeeId: string) =>
    createDetailsPendingEvent({ type, detailsFrom: 'hibob', employeeId, source: 'hibob' });

  it('a hire is created from the fetched record (surname as last name)', async () => {
    const { data, event } = known();
    const line = await fx.apply(event, { details });
    expect(line.attributes).toMatchObject({ outcome: 'created', eventType: 'employee.hired' });
    expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({ first_name: 'Grace', last_name: 'Hopper' });
  });

  it('employee.left on its effective date (lifecycle terminated or garden leave) is a termination', async () => {
    for (const lifecycleStatus of ['terminated', 'garden leave']) {
      const { data, event } = known();
      await fx.apply(event, { details });
      bob.employees.set(data.employeeId, {
        ...bob.employees.get(data.employeeId),
        internal: { status: 'Inactive', lifecycleStatus, terminationDate: null },
      });
      const line = await fx.apply(pending('employee.changed', data.employeeId), { details });
      expect(line.attributes).toMatchObject({ eventType: 'employee.terminated', outcome: 'deleted' });
      expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    }
  });

  it('a person on leave (Inactive, lifecycle leave) keeps the user', async () => {
    const { data, event } = known();
    await fx.apply(event, { details });
    bob.employees.set(data.employeeId, {
      ...bob.employees.get(data.employeeId),
      internal: { status: 'Inactive', lifecycleStatus: 'leave' },
    });
    const line = await fx.apply(pending('employee.changed', data.employeeId), { details });
    expect(line.attributes).toMatchObject({ eventType: 'employee.changed' });
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it("an outage is ridden out, and a 429 is retried after HiBob's Retry-After", async () => {
    const { data, event } = known();
    bob.faults.set('readEmployee', { errorRate: 1, errorStatuses: [503] });
    const during = await fx.handler({ details })([eventRecord(event, 1)]);
    expect(during.batchItemFailures).toHaveLength(1);
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    bob.faults.set('readEmployee', { script: [429], retryAfterSeconds: 2 });
    slept.length = 0;
    const healed = await fx.handler({ details })([eventRecord(event, 2)]);
    expect(healed.batchItemFailures).toEqual([]);
    expect(slept).toEqual([2_000]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('the Lambda wiring fetches from the HiBob API and credentials its environment names', async () => {
    const environment = {
      ...handlerEnvironment(motoClientConfig(), fx.aws.resources, {
        baseUrl: fx.sandbox.url,
        accountId: fx.sandbox.accountId,
      }),
      [ENV.hrApis]: JSON.stringify({ hibob: { apiBaseUrl: bob.apiBaseUrl, credentialsSecretId: secretId } }),
    };
    const handler = createWorkerHandler(workerDependenciesFromEnv(environment, motoClientConfig()));
    const { data, event } = known();
    const response = await handler({ Records: [eventRecord(event)] }, lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });
});
