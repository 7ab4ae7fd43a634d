import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTES, HR_API_SOURCES } from '../../../lambdas/contract/settings.js';
import { createDetailsPendingEvent } from '../../../lambdas/core/events/details-pending-event.js';
import { loadFetcherFromSecret } from '../../../lambdas/core/hris/hr-api-fetchers.js';
import type { WorkerDependencies } from '../../../lambdas/worker/handler.js';
import {
  clearFakeFaults,
  deleteFakePerson,
  putFakePerson,
  setFakeFaults,
} from '../../../tools/fakes/hr-fake-driver.js';
import { type RunningHrFake, startHrFake } from '../../../tools/fakes/hr-fakes.js';
import { uniqueName } from '../../support/aws.js';
import { eventRecord } from '../../support/records.js';
import { employee, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const MAX_RECEIVE_COUNT = 3;
/** Each fetch tries three times, without real waits. */
const QUICK_RETRY = {
  policy: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 5 },
  sleep: async () => {},
};

/**
 * What every HR API source promises the worker, whatever the provider: an outage delays, never
 * loses or terminates; a record it cannot read is never taken for a leaver; a missing record is
 * permanent; a record the provider marks as a leaver ends access. Each provider's fake (the one
 * the local mode runs) is driven over its control routes, and its fetcher is made by the factory
 * the worker loads (`loadFetcherFromSecret`), from a credentials secret, with quick retries.
 */
describe.each(HR_API_SOURCES)('worker: details-pending events from %s (its fake, real sockets)', (source) => {
  let fx: WorkerFixture;
  let fake: RunningHrFake;
  let details: WorkerDependencies['details'];

  beforeAll(async () => {
    fx = await workerFixture(MAX_RECEIVE_COUNT);
    fake = await startHrFake(source);
    const secretId = uniqueName(`${source}-credentials`);
    await fx.aws.secrets.send(new CreateSecretCommand({ Name: secretId, SecretString: fake.credentials }));
    const fetcher = (await loadFetcherFromSecret(source))({
      client: fx.aws.secrets,
      secretId,
      apiBaseUrl: fake.apiBaseUrl,
      retry: QUICK_RETRY,
    });
    details = { [source]: fetcher };
  });
  afterAll(async () => {
    await fake?.close();
    await fx?.close();
  });
  beforeEach(() => clearFakeFaults(fake));

  const pending = (type: 'employee.hired' | 'employee.changed', employeeId: string) =>
    createDetailsPendingEvent({ type, detailsFrom: source, employeeId, source });
  /** A person the provider holds as employed, and their hire as the webhook announces it. */
  async function known() {
    const data = employee();
    await putFakePerson(source, fake, data.employeeId, data);
    return { data, hire: pending('employee.hired', data.employeeId) };
  }
  const deadLettered = async (eventId: string) =>
    (await fx.aws.deadLetters())
      .filter(
        (message) => message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.eventId]?.StringValue === eventId,
      )
      .map((message) => ({
        failureKind: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.failureKind]?.StringValue,
        errorClass: message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorClass]?.StringValue,
      }));

  it('a hire is created from the fetched record', async () => {
    const { data, hire } = await known();
    const line = await fx.apply(hire, { details });
    expect(line.attributes).toMatchObject({ outcome: 'created', eventType: 'employee.hired' });
    expect(fx.usersWithEmail(data.workEmail)[0]).toMatchObject({
      first_name: data.firstName,
      last_name: data.lastName,
    });
  });

  it('an outage delays the event (redelivered, nothing dead-lettered) and it is applied once it heals', async () => {
    const { data, hire } = await known();
    await setFakeFaults(fake, { errorRate: 1, errorStatuses: [503] });
    const during = await fx.handler({ details })([eventRecord(hire, 1)]);
    expect(during.batchItemFailures).toHaveLength(1);
    expect(await deadLettered(hire.id)).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    await clearFakeFaults(fake);
    const healed = await fx.handler({ details })([eventRecord(hire, 2)]);
    expect(healed.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('a change still unreadable on its last attempt is dead-lettered as exhausted, never a termination', async () => {
    const { data, hire } = await known();
    await fx.apply(hire, { details });
    const change = pending('employee.changed', data.employeeId);
    await setFakeFaults(fake, { errorRate: 1, errorStatuses: [500] });
    const last = await fx.handler({ details })([eventRecord(change, MAX_RECEIVE_COUNT)]);
    expect(last.batchItemFailures).toEqual([]);
    expect(await deadLettered(change.id)).toEqual([{ failureKind: 'exhausted', errorClass: 'HrApiError' }]);
    expect(fx.usersWithEmail(data.workEmail)[0]?.enabled).not.toBe(false);
  });

  it('a change of a record the API no longer has is dead-lettered at once as permanent, and the user is kept', async () => {
    const { data, hire } = await known();
    await fx.apply(hire, { details });
    await deleteFakePerson(fake, data.employeeId);
    const change = pending('employee.changed', data.employeeId);
    const response = await fx.handler({ details })([eventRecord(change, 1)]);
    expect(response.batchItemFailures).toEqual([]);
    expect(await deadLettered(change.id)).toEqual([
      { failureKind: 'permanent', errorClass: 'HrEmployeeNotFoundError' },
    ]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  it('a change whose fetched record the provider marks as a leaver ends access', async () => {
    const { data, hire } = await known();
    await fx.apply(hire, { details });
    await putFakePerson(source, fake, data.employeeId, { ...data, terminated: true });
    const line = await fx.apply(pending('employee.changed', data.employeeId), { details });
    expect(line.attributes).toMatchObject({ eventType: 'employee.terminated', outcome: 'deleted' });
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
  });
});
