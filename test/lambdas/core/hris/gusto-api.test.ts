import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { EmployeeDetailsFetcher } from '../../../../lambdas/core/hris/employee-details.js';
import { gustoFetcherFromSecret, gustoTerminated } from '../../../../lambdas/core/hris/gusto-api.js';
import type { GustoCredentials } from '../../../../lambdas/core/hris/gusto-tokens.js';
import { type GustoFake, startGustoFake } from '../../../../tools/fakes/gusto/server.js';
import { motoClientConfig, uniqueName } from '../../../support/aws.js';

const POLICY = { maxAttempts: 3, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 5_000 };
const deadline = () => Date.now() + 10_000;

describe('gustoTerminated: the flag, unless the last termination is still ahead', () => {
  const now = new Date('2026-11-22T12:00:00Z');
  it('is the flag, with a last day today or later keeping the person active', () => {
    expect(gustoTerminated({ terminated: false }, now)).toBe(false);
    expect(gustoTerminated({ terminated: true }, now)).toBe(true);
    expect(gustoTerminated({ terminated: true, terminations: [{ effective_date: '2026-11-21' }] }, now)).toBe(
      true,
    );
    expect(gustoTerminated({ terminated: true, terminations: [{ effective_date: '2026-11-22' }] }, now)).toBe(
      false,
    );
    // A rehire clears the flag, whatever old terminations the record lists.
    expect(
      gustoTerminated({ terminated: false, terminations: [{ effective_date: '2020-01-01' }] }, now),
    ).toBe(false);
  });
});

describe('Gusto fetcher: OAuth access tokens with rotating refresh tokens (fake over a real socket, secret in moto)', () => {
  let gusto: GustoFake;
  let client: SecretsManagerClient;
  const slept: number[] = [];
  beforeAll(async () => {
    gusto = await startGustoFake();
    client = new SecretsManagerClient(motoClientConfig());
    gusto.employees.set('e-1', { work_email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace' });
  });
  afterAll(async () => {
    await gusto.close();
    client.destroy();
  });
  beforeEach(() => {
    gusto.faults.clear();
    slept.length = 0;
  });

  /** A fresh credentials secret holding the fake's current valid refresh token, and a fetcher (one "worker") on it. */
  let valid: GustoCredentials = JSON.parse('{}');
  async function newSecret(credentials: GustoCredentials): Promise<string> {
    const secretId = uniqueName('gusto-credentials');
    await client.send(new CreateSecretCommand({ Name: secretId, SecretString: JSON.stringify(credentials) }));
    return secretId;
  }
  const worker = (secretId: string, secrets = client): EmployeeDetailsFetcher =>
    gustoFetcherFromSecret({
      client: secrets,
      secretId,
      apiBaseUrl: gusto.apiBaseUrl,
      retry: { policy: POLICY, sleep: async (ms) => void slept.push(ms) },
    });
  /** The latest credentials without an access token: the next fetch must refresh. */
  const needingRefresh = (): GustoCredentials => {
    const { accessToken: _access, expiresAt: _expiry, ...rest } = valid;
    return rest;
  };
  const stored = async (secretId: string): Promise<GustoCredentials> =>
    JSON.parse((await client.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '{}');

  it('refreshes once, stores the rotated refresh token and the access token back, then reuses the token', async () => {
    valid = JSON.parse(gusto.credentials);
    const secretId = await newSecret(valid);
    const fetcher = worker(secretId);
    const before = gusto.tokenCounts.refreshed;
    expect(await fetcher.fetch('e-1', { deadline: deadline() })).toEqual({
      employeeId: 'e-1',
      workEmail: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      terminated: false,
    });
    const after = await stored(secretId);
    expect(after.refreshToken).not.toBe(valid.refreshToken);
    expect(after.accessToken).toBeDefined();
    expect(Date.parse(after.expiresAt ?? '')).toBeGreaterThan(Date.now() + 60 * 60_000);
    await fetcher.fetch('e-1', { deadline: deadline() });
    expect(gusto.tokenCounts.refreshed).toBe(before + 1);
    valid = after;
  });

  it('two workers refreshing at once both succeed and the secret keeps a refresh token that still works', async () => {
    const secretId = await newSecret(valid);
    gusto.expireAccessTokens();
    const [a, b] = [worker(secretId), worker(secretId)];
    const results = await Promise.all([
      a.fetch('e-1', { deadline: deadline() }),
      b.fetch('e-1', { deadline: deadline() }),
    ]);
    expect(results.map((result) => result.workEmail)).toEqual(['ada@example.com', 'ada@example.com']);
    gusto.expireAccessTokens();
    expect((await worker(secretId).fetch('e-1', { deadline: deadline() })).firstName).toBe('Ada');
    valid = await stored(secretId);
  });

  it('on invalid_grant (another worker rotated the token after this one read it) it re-reads the secret and goes on', async () => {
    const secretId = await newSecret(needingRefresh());
    // This worker reads the secret, then the other worker refreshes, stores and uses its token
    // (which revokes the refresh token this worker read) before this worker refreshes.
    let raced = false;
    const racing = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: Parameters<SecretsManagerClient['send']>[0]) => {
          const answer = await target.send(command as GetSecretValueCommand);
          if (!raced && command instanceof GetSecretValueCommand) {
            raced = true;
            await worker(secretId).fetch('e-1', { deadline: deadline() });
          }
          return answer;
        };
      },
    });
    const refusedBefore = gusto.tokenCounts.invalidGrant;
    expect((await worker(secretId, racing).fetch('e-1', { deadline: deadline() })).lastName).toBe('Lovelace');
    expect(gusto.tokenCounts.invalidGrant).toBe(refusedBefore + 1);
    valid = await stored(secretId);
  });

  it('a refresh token nobody holds any more fails as an HR API error naming the secret, never a token', async () => {
    const secretId = await newSecret({ ...needingRefresh(), refreshToken: 'revoked' });
    const error = await worker(secretId)
      .fetch('e-1', { deadline: deadline() })
      .catch((caught: unknown) => caught);
    expect(error).toMatchObject({ name: 'HrApiError' });
    expect(String((error as Error).message)).toContain(secretId);
    expect(String((error as Error).message)).not.toContain(valid.refreshToken);
  });

  it('a refresh whose write-back fails is not used until it is stored (the old refresh token stays valid)', async () => {
    const secretId = await newSecret(needingRefresh());
    let failPut = true;
    const flaky = new Proxy(client, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: Parameters<SecretsManagerClient['send']>[0]) => {
          if (failPut && command instanceof PutSecretValueCommand) throw new Error('throttled');
          return target.send(command as GetSecretValueCommand);
        };
      },
    });
    const fetcher = worker(secretId, flaky);
    const requests = gusto.requests.get('e-1') ?? 0;
    await expect(fetcher.fetch('e-1', { deadline: deadline() })).rejects.toMatchObject({
      name: 'HrApiError',
    });
    expect(gusto.requests.get('e-1') ?? 0).toBe(requests);
    failPut = false;
    expect((await fetcher.fetch('e-1', { deadline: deadline() })).firstName).toBe('Ada');
    valid = await stored(secretId);
    expect(valid.refreshToken).not.toBe(JSON.parse(gusto.credentials).refreshToken);
  });

  it('a 401 from the API drops the token and the call is made once more with a fresh one', async () => {
    const secretId = await newSecret(valid);
    const fetcher = worker(secretId);
    await fetcher.fetch('e-1', { deadline: deadline() });
    gusto.expireAccessTokens();
    expect((await fetcher.fetch('e-1', { deadline: deadline() })).firstName).toBe('Ada');
    valid = await stored(secretId);
  });

  it("honours a 429's Retry-After, and a terminated record past its last day is terminated", async () => {
    const secretId = await newSecret(valid);
    gusto.employees.set('e-2', {
      email: 'grace@example.com',
      first_name: 'Grace',
      last_name: 'Hopper',
      terminated: true,
      terminations: [{ effective_date: '2020-01-31' }],
    });
    gusto.faults.set('getEmployee', { script: [429], retryAfterSeconds: 2 });
    expect(await worker(secretId).fetch('e-2', { deadline: deadline() })).toMatchObject({
      workEmail: 'grace@example.com',
      terminated: true,
    });
    expect(slept).toEqual([2_000]);
    valid = await stored(secretId);
  });

  it('a 404 is HrEmployeeNotFoundError, never a termination', async () => {
    const secretId = await newSecret(valid);
    await expect(worker(secretId).fetch('nobody', { deadline: deadline() })).rejects.toMatchObject({
      name: 'HrEmployeeNotFoundError',
    });
    valid = await stored(secretId);
  });
});
