import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { DEAD_LETTER_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import type { QueuedEvent } from '../../../lambdas/core/events/details-pending-event.js';
import { personioFetcherFromSecret } from '../../../lambdas/core/hris/personio-api.js';
import { personioSource } from '../../../lambdas/ingest/sources/personio.js';
import {
  createWorkerHandler,
  type WorkerDependencies,
  workerDependenciesFromEnv,
} from '../../../lambdas/worker/handler.js';
import {
  type PersonioFake,
  personioNotification,
  startPersonioFake,
} from '../../../tools/fakes/personio/server.js';
import { handlerEnvironment } from '../../../tools/local/provision.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { eventRecord, lambdaContext } from '../../support/records.js';
import { DAY_MS, employee, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const MAX_RECEIVE_COUNT = 3;
const CREDENTIALS = { clientId: 'personio-client', clientSecret: 'personio-secret' };

describe('worker: details-pending events completed from Personio API v2 (fake over a real socket)', () => {
  let fx: WorkerFixture;
  let personio: PersonioFake;
  let details: WorkerDependencies['details'];
  let secretId: string;
  const slept: number[] = [];

  beforeAll(async () => {
    fx = await workerFixture(MAX_RECEIVE_COUNT);
    personio = await startPersonioFake(CREDENTIALS);
    secretId = uniqueName('personio-credentials');
    await fx.aws.secrets.send(
      new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(CREDENTIALS) }),
    );
    details = {
      personio: personioFetcherFromSecret({
        client: fx.aws.secrets,
        secretId,
        apiBaseUrl: personio.apiBaseUrl,
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
    await personio.close();
    await fx.close();
  });
  beforeEach(() => {
    personio.faults.clear();
    slept.length = 0;
  });

  /** The event ingest queues for a Personio notification, as the adapter maps it. */
  const notified = (eventName: string, personId: string, occurredAt = new Date()): QueuedEvent => {
    const [event] = personioSource.toEvents(
      personioNotification(eventName, personId, { occurredAt }),
      new Date(),
    );
    if (event === undefined) throw new Error(`${eventName} maps to no event`);
    return event;
  };
  /** A person Personio knows (active), and the person.created notification's event. */
  function known() {
    const data = employee();
    personio.employees.set(data.employeeId, {
      email: data.workEmail,
      first_name: data.firstName,
      last_name: data.lastName,
    });
    return { data, event: notified('person.created', data.employeeId) };
  }
  const dlqFor = async (eventId: string) =>
    (await fx.aws.deadLetters()).filter(
      (message) => message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.eventId]?.StringValue === eventId,
    );
  const attribute = (message: Awaited<ReturnType<typeof dlqFor>>[number] | undefined, name: string) =>
    message?.MessageAttributes?.[name]?.StringValue;

  it('a hire is created from the fetched person; tokens are reused across events', async () => {
    const { data, event } = known();
    const line = await fx.apply(event, { details });
    expect(line.attributes).toMatchObject({ outcome: 'created', eventType: 'employee.hired' });
    expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({ first_name: 'Grace', last_name: 'Hopper' });
    const tokensBefore = personio.tokenRequests();
    const second = known();
    await fx.apply(second.event, { details });
    expect(personio.tokenRequests()).toBe(tokensBefore);
    expect(personio.requests.get(second.data.employeeId)).toBe(2);
  });

  it('a refused token (expired, revoked) is renewed once and the fetch goes on', async () => {
    const { data, event } = known();
    personio.revokeTokens();
    const tokensBefore = personio.tokenRequests();
    const line = await fx.apply(event, { details });
    expect(line.attributes).toMatchObject({ outcome: 'created' });
    expect(personio.tokenRequests()).toBe(tokensBefore + 1);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('wrong credentials: the token request fails, the event is redelivered, nothing is applied', async () => {
    const wrongId = uniqueName('personio-wrong');
    await fx.aws.secrets.send(
      new CreateSecretCommand({
        Name: wrongId,
        SecretString: JSON.stringify({ ...CREDENTIALS, clientSecret: 'not-it' }),
      }),
    );
    const wrong = {
      personio: personioFetcherFromSecret({
        client: fx.aws.secrets,
        secretId: wrongId,
        apiBaseUrl: personio.apiBaseUrl,
      }),
    };
    const { data, event } = known();
    const response = await fx.handler({ details: wrong })([eventRecord(event, 1)]);
    expect(response.batchItemFailures).toHaveLength(1);
    expect(personio.requests.get(data.employeeId)).toBeUndefined();
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
  });

  it("a 429 (on the API or the token endpoint) is retried after Personio's Retry-After", async () => {
    const { data, event } = known();
    personio.faults.set('listEmployments', { script: [429], retryAfterSeconds: 2 });
    const line = await fx.apply(event, { details });
    expect(line.attributes).toMatchObject({ outcome: 'created' });
    expect(slept).toEqual([2_000]);
    expect(personio.requests.get(data.employeeId)).toBe(3);

    slept.length = 0;
    personio.revokeTokens();
    personio.faults.set('token', { script: [429], retryAfterSeconds: 1 });
    const next = known();
    expect((await fx.apply(next.event, { details })).attributes).toMatchObject({ outcome: 'created' });
    expect(slept).toEqual([1_000]);
  });

  it('employment.terminated on the effective date: an INACTIVE employment (or a reached date) is a termination', async () => {
    for (const ended of [{ status: 'INACTIVE' as const }, { termination_date: '2020-01-31' }]) {
      const { data, event } = known();
      await fx.apply(event, { details });
      personio.employees.set(data.employeeId, { ...personio.employees.get(data.employeeId), ...ended });
      const line = await fx.apply(notified('employment.terminated', data.employeeId), { details });
      expect(line.attributes).toMatchObject({ eventType: 'employee.terminated', outcome: 'deleted' });
      expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    }
  });

  it('a future termination date, ONBOARDING and LEAVE are not terminations', async () => {
    for (const working of [
      { termination_date: '2099-01-31' },
      { status: 'ONBOARDING' as const },
      { status: 'LEAVE' as const },
    ]) {
      const { data, event } = known();
      personio.employees.set(data.employeeId, { ...personio.employees.get(data.employeeId), ...working });
      const line = await fx.apply(event, { details });
      expect(line.attributes).toMatchObject({ eventType: 'employee.hired', outcome: 'created' });
    }
  });

  it('an active person without an email is dead-lettered as permanent, naming the field', async () => {
    const { data, event } = known();
    personio.employees.set(data.employeeId, { ...personio.employees.get(data.employeeId), email: null });
    await fx.handler({ details })([eventRecord(event, 1)]);
    const [message] = await dlqFor(event.id);
    expect(attribute(message, DEAD_LETTER_ATTRIBUTES.failureKind)).toBe('permanent');
    expect(attribute(message, DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe(
      'the personio record of an active employee has no workEmail',
    );
  });

  it("Personio's retries for up to 3 days are not applied twice: a duplicate, or stale once a newer event landed", async () => {
    const { data, event } = known();
    await fx.apply(event, { details });
    fx.now = new Date(Date.now() + 3 * DAY_MS);
    try {
      const again = await fx.apply(structuredClone(event), { details });
      expect(again.attributes).toMatchObject({ outcome: 'duplicate' });
      const change = notified('person.updated', data.employeeId);
      await fx.apply(change, { details });
      // More events than the link remembers ids of: the retry is older than the last one applied.
      for (let index = 0; index < 10; index += 1)
        await fx.apply(notified('person.updated', data.employeeId), { details });
      const lateRetry = await fx.apply(structuredClone(change), { details });
      expect(lateRetry.attributes).toMatchObject({ outcome: 'stale' });
    } finally {
      fx.now = undefined;
    }
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('the Lambda wiring fetches from the Personio API and credentials its environment names', async () => {
    const environment = {
      ...handlerEnvironment(motoClientConfig(), fx.aws.resources, {
        baseUrl: fx.sandbox.url,
        accountId: fx.sandbox.accountId,
      }),
      [ENV.hrApis]: JSON.stringify({
        personio: { apiBaseUrl: personio.apiBaseUrl, credentialsSecretId: secretId },
      }),
    };
    const handler = createWorkerHandler(workerDependenciesFromEnv(environment, motoClientConfig()));
    const { data, event } = known();
    const response = await handler({ Records: [eventRecord(event)] }, lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });
});
