import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CpaasAttempt,
  CpaasClient,
  type CpaasClientOptions,
} from '../../../../lambdas/core/cpaas/client.js';
import {
  CpaasAuthError,
  CpaasError,
  CpaasNetworkError,
  CpaasNotFoundError,
  CpaasRequestValidationError,
  CpaasServerError,
  CpaasTimeoutError,
  CpaasValidationError,
  isDuplicateEmailError,
} from '../../../../lambdas/core/cpaas/errors.js';
import { mergeUserUpdate } from '../../../../lambdas/core/cpaas/user-merge.js';
import { type RunningSandbox, type SandboxRoute, startSandbox } from '../../../../tools/sandbox/index.js';

const API_KEY = 'sk-live-ZZtopSecretKey0123456789';
const fastRetry = { baseDelayMs: 5, maxDelayMs: 20 };

let sandbox: RunningSandbox;
const clients: CpaasClient[] = [];

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY, seed: 7 });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.control.reset();
});
afterEach(async () => {
  for (const client of clients.splice(0)) await client.close();
});

function clientFor(overrides: Partial<CpaasClientOptions> = {}): CpaasClient {
  const client = new CpaasClient({
    baseUrl: sandbox.url,
    accountId: sandbox.accountId,
    apiKey: API_KEY,
    allowInsecureHttp: true,
    retry: fastRetry,
    ...overrides,
  });
  clients.push(client);
  return client;
}

function count(route: SandboxRoute): number {
  return sandbox.control.requestCounts()[route];
}

function totalRequests(): number {
  return Object.values(sandbox.control.requestCounts()).reduce((sum, n) => sum + n, 0);
}

const person = (n: number) => ({
  email: `person${n}@example.test`,
  first_name: `First${n}`,
  last_name: `Last${n}`,
});

async function failure(promise: Promise<unknown>): Promise<CpaasError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(CpaasError);
  return error as CpaasError;
}

describe('CpaasClient against the sandbox: the six endpoints', () => {
  it('creates, reads, lists, updates (read-merge-write), impersonates and deletes a user', async () => {
    const client = clientFor();
    const created = await client.createUser({
      ...person(1),
      presence_id: '1001',
      caller_id: { internal: { number: '1001' }, external: { number: '+15550101' } },
    });
    expect(created.id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(created).toMatchObject({ email: 'person1@example.test', presence_id: '1001' });

    expect(await client.getUser(created.id)).toMatchObject({ id: created.id, first_name: 'First1' });

    const page = await client.listUsers({ pageSize: 10 });
    expect(page.data.map((user) => user.id)).toEqual([created.id]);
    expect(page.next_start_key).toBeUndefined();

    const current = await client.getUser(created.id);
    const updated = await client.updateUser(
      created.id,
      mergeUserUpdate(current, { caller_id: { internal: { number: '2002' } }, enabled: false }),
    );
    expect(updated).toMatchObject({
      enabled: false,
      presence_id: '1001',
      caller_id: { internal: { number: '2002' }, external: { number: '+15550101' } },
    });

    const { authToken } = await client.impersonateUser(created.id);
    expect(authToken).toEqual(expect.any(String));
    expect(authToken.length).toBeGreaterThan(0);

    expect((await client.deleteUser(created.id)).id).toBe(created.id);
    expect(await failure(client.getUser(created.id))).toBeInstanceOf(CpaasNotFoundError);
    expect(sandbox.control.users()).toEqual([]);
  });

  it('pages through 120 users with next_start_key, fetching each page once', async () => {
    sandbox.control.seedUsers(120);
    const client = clientFor();
    const first = await client.listUsers({ pageSize: 50 });
    expect(first.data).toHaveLength(50);
    expect(first.next_start_key).toEqual(expect.any(String));
    sandbox.control.resetRequestCounts();

    const ids: string[] = [];
    for await (const user of client.iterateUsers({ pageSize: 50 })) ids.push(user.id);
    expect(ids).toHaveLength(120);
    expect(new Set(ids).size).toBe(120);
    expect(new Set(ids)).toEqual(new Set(sandbox.control.users().map((user) => user.id)));
    expect(count('listUsers')).toBe(3);
  });

  it('sends the bare key when authPrefix is empty, and asks a key function on each call', async () => {
    let asked = 0;
    const client = clientFor({
      authPrefix: '',
      apiKey: async () => {
        asked += 1;
        return API_KEY;
      },
    });
    await client.listUsers();
    await client.listUsers();
    expect(asked).toBe(2);
  });
});

describe('CpaasClient: requests that break the contract never reach the network', () => {
  it('rejects bad ids, bodies and page sizes with CpaasRequestValidationError naming the fields', async () => {
    const client = clientFor();
    const attempts = [
      client.createUser({ email: 'x', first_name: 'A'.repeat(129), last_name: 'B' }),
      client.createUser({ first_name: 'A' } as never),
      client.getUser('../../admin'),
      client.updateUser('short', person(2)),
      client.updateUser('a'.repeat(32), { ...person(2), email: 'e'.repeat(255) }),
      client.deleteUser('a'.repeat(31)),
      client.impersonateUser('a/b'.padEnd(32, 'c')),
      client.listUsers({ pageSize: 51 }),
      client.listUsers({ pageSize: 0 }),
    ];
    const errors = await Promise.all(attempts.map(failure));
    for (const error of errors) expect(error).toBeInstanceOf(CpaasRequestValidationError);
    expect(errors[0]?.message).toMatch(/user\.email: .*; user\.first_name: /);
    expect(errors[0]?.errors).toEqual([
      expect.objectContaining({ path: 'user.email' }),
      expect.objectContaining({ path: 'user.first_name' }),
    ]);
    expect(errors[1]?.message).toMatch(/user\.email: .*user\.last_name: /s);
    expect(errors[2]?.message).toContain('userId: must be 32 alphanumeric characters');
    expect(errors[7]?.message).toContain('params.pageSize');
    expect(totalRequests()).toBe(0);
  });
});

describe('CpaasClient: API errors become typed errors', () => {
  it('duplicate email -> CpaasValidationError with vendor code, message and request id', async () => {
    const client = clientFor();
    await client.createUser(person(3));
    const error = await failure(client.createUser({ ...person(4), email: 'PERSON3@example.test' }));
    expect(error).toBeInstanceOf(CpaasValidationError);
    expect(isDuplicateEmailError(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, method: 'POST', retryable: false });
    expect(error.requestId).toEqual(expect.any(String));
    expect(error.message).toMatch(
      new RegExp(
        `^CPaaS API 400 on POST /v1/account/${sandbox.accountId}/user: .*email already exists.* \\(error_code \\d+, request_id ${error.requestId}\\)$`,
      ),
    );
    expect(error.message).not.toContain('person3@example.test');
  });

  it('wrong key -> CpaasAuthError (401), not retried', async () => {
    const error = await failure(clientFor({ apiKey: 'wrong-key-123' }).listUsers());
    expect(error).toBeInstanceOf(CpaasAuthError);
    expect(error.status).toBe(401);
    expect(count('listUsers')).toBe(1);
  });

  it('unknown user -> CpaasNotFoundError (404), not retried', async () => {
    const error = await failure(clientFor().getUser('Z'.repeat(32)));
    expect(error).toBeInstanceOf(CpaasNotFoundError);
    expect(error).toMatchObject({
      status: 404,
      path: `/v1/account/${sandbox.accountId}/user/${'Z'.repeat(32)}`,
    });
    expect(count('getUser')).toBe(1);
  });
});

describe('CpaasClient: retries', () => {
  it('honours Retry-After on 429 before retrying a GET', async () => {
    sandbox.control.setFaults('getUser', { script: [429], retryAfterSeconds: 1 });
    const client = clientFor();
    const { id } = await client.createUser(person(5));
    const started = performance.now();
    expect((await client.getUser(id)).id).toBe(id);
    const waited = performance.now() - started;
    expect(waited).toBeGreaterThanOrEqual(900);
    expect(waited).toBeLessThan(5_000);
    expect(count('getUser')).toBe(2);
  });

  it('backs off and retries GET, PUT and DELETE on 5xx and resets until they succeed', async () => {
    const attempts: CpaasAttempt[] = [];
    const client = clientFor({ onAttempt: (attempt) => attempts.push(attempt) });
    const { id } = await client.createUser(person(6));
    sandbox.control.setFaults('getUser', { script: [503, 502, 500] });
    sandbox.control.setFaults('updateUser', { script: ['reset'] });
    sandbox.control.setFaults('deleteUser', { script: [500] });

    const user = await client.getUser(id);
    await client.updateUser(id, mergeUserUpdate(user, { timezone: 'Europe/Paris' }));
    await client.deleteUser(id);

    expect(count('getUser')).toBe(4);
    expect(count('updateUser')).toBe(2);
    expect(count('deleteUser')).toBe(2);
    expect(sandbox.control.users()).toEqual([]);
    const retried = attempts.filter((attempt) => attempt.retryInMs !== undefined);
    expect(retried.map((attempt) => [attempt.method, attempt.error])).toEqual([
      ['GET', 'CpaasServerError'],
      ['GET', 'CpaasServerError'],
      ['GET', 'CpaasServerError'],
      ['PUT', 'CpaasNetworkError'],
      ['DELETE', 'CpaasServerError'],
    ]);
    for (const attempt of retried) expect(attempt.retryInMs).toBeLessThanOrEqual(fastRetry.maxDelayMs);
  });

  it('never retries POST: one create and one impersonate request after a 503 or a reset', async () => {
    const client = clientFor();
    sandbox.control.setFaults('createUser', { script: [503] });
    expect(await failure(client.createUser(person(7)))).toBeInstanceOf(CpaasServerError);
    expect(count('createUser')).toBe(1);

    sandbox.control.setFaults('createUser', { script: ['reset'], applyAfterHandling: true });
    expect(await failure(client.createUser(person(8)))).toBeInstanceOf(CpaasNetworkError);
    expect(count('createUser')).toBe(2);
    // The lost answer is why POST is never repeated: the user was made.
    expect(sandbox.control.users().map((user) => user.email)).toContain('person8@example.test');

    const { id } = sandbox.control.users()[0] as { id: string };
    sandbox.control.setFaults('impersonateUser', { script: [502] });
    expect(await failure(client.impersonateUser(id))).toBeInstanceOf(CpaasServerError);
    expect(count('impersonateUser')).toBe(1);
  });
});

describe('CpaasClient: time budget', () => {
  it('gives up on a hanging API within the deadline with CpaasTimeoutError', async () => {
    sandbox.control.setFaults('listUsers', { hangRate: 1 });
    const started = Date.now();
    const error = await failure(clientFor().listUsers({}, { deadline: started + 600 }));
    const elapsed = Date.now() - started;
    expect(error).toBeInstanceOf(CpaasTimeoutError);
    expect(error.message).toMatch(/ran out of its deadline/);
    expect(elapsed).toBeGreaterThanOrEqual(550);
    expect(elapsed).toBeLessThan(1_500);
  });
});
