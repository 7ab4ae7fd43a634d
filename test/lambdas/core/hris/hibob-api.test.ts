import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HrApiError, HrEmployeeNotFoundError } from '../../../../lambdas/core/hris/errors.js';
import { hiBobFetcher, hiBobTerminated } from '../../../../lambdas/core/hris/hibob-api.js';
import { type HiBobFake, startHiBobFake } from '../../../../tools/fakes/hibob/server.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const CREDENTIALS = { serviceUserId: 'SERVICE-1', token: 'service-token' };

describe('hiBobTerminated', () => {
  it('terminated or garden leave, or a termination date today or past, is a leaver', () => {
    expect(hiBobTerminated({ lifecycleStatus: 'terminated' }, NOW)).toBe(true);
    expect(hiBobTerminated({ lifecycleStatus: 'Garden leave' }, NOW)).toBe(true);
    expect(hiBobTerminated({ lifecycleStatus: 'employed', terminationDate: '2026-11-22' }, NOW)).toBe(true);
  });

  it('employed, on leave, or a future termination date is not (yet)', () => {
    expect(hiBobTerminated({ lifecycleStatus: 'employed', terminationDate: null }, NOW)).toBe(false);
    expect(hiBobTerminated({ lifecycleStatus: 'leave' }, NOW)).toBe(false);
    expect(hiBobTerminated({ lifecycleStatus: 'employed', terminationDate: '2026-11-23' }, NOW)).toBe(false);
  });
});

describe('hiBobFetcher against the HiBob fake (real socket)', () => {
  let fake: HiBobFake;
  const fetcher = (credentials = CREDENTIALS) =>
    hiBobFetcher({
      apiBaseUrl: fake.apiBaseUrl,
      credentials: async () => credentials,
      clock: () => NOW,
      retry: {
        policy: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1_000 },
        sleep: async () => {},
      },
    });
  const fetchPerson = (id: string, credentials = CREDENTIALS) =>
    fetcher(credentials).fetch(id, { deadline: Date.now() + 5_000 });

  beforeAll(async () => {
    fake = await startHiBobFake(CREDENTIALS);
  });
  afterAll(() => fake.close());
  beforeEach(() => {
    fake.faults.clear();
    fake.employees.clear();
  });

  it('reads work email, names and the lifecycle fields with the service user', async () => {
    fake.employees.set('42', { email: 'ada@example.com', firstName: 'Ada', surname: 'Lovelace' });
    expect(await fetchPerson('42')).toEqual({
      employeeId: '42',
      workEmail: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      terminated: false,
    });
    fake.employees.set('42', { ...fake.employees.get('42'), internal: { lifecycleStatus: 'terminated' } });
    expect(await fetchPerson('42')).toMatchObject({ terminated: true });
  });

  it('a 404 is HrEmployeeNotFoundError, wrong credentials a non-retryable 401', async () => {
    await expect(fetchPerson('missing')).rejects.toBeInstanceOf(HrEmployeeNotFoundError);
    fake.employees.set('42', { email: 'ada@example.com', firstName: 'Ada', surname: 'Lovelace' });
    await expect(fetchPerson('42', { ...CREDENTIALS, token: 'wrong' })).rejects.toMatchObject({
      status: 401,
      retryable: false,
    });
  });

  it('retries a 503, and gives up naming the method and path', async () => {
    fake.employees.set('42', { email: 'ada@example.com', firstName: 'Ada', surname: 'Lovelace' });
    fake.faults.set('readEmployee', { script: [503] });
    expect(await fetchPerson('42')).toMatchObject({ workEmail: 'ada@example.com' });
    fake.faults.set('readEmployee', { errorRate: 1, errorStatuses: [503] });
    await expect(fetchPerson('42')).rejects.toThrow('POST /v1/people/42 answered 503');
  });

  it('a record without its lifecycle fields (a service user without that permission) is an error, never active', async () => {
    fake.employees.set('42', { email: 'ada@example.com', firstName: 'Ada', surname: 'Lovelace' });
    fake.unreadableCategories.add('internal');
    try {
      await expect(fetchPerson('42')).rejects.toThrow('no internal.status');
      await expect(fetchPerson('42')).rejects.toBeInstanceOf(HrApiError);
    } finally {
      fake.unreadableCategories.clear();
    }
  });
});
