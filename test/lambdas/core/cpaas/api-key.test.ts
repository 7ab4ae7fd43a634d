import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretsManagerApiKey, withKeyRefresh } from '../../../../lambdas/core/cpaas/api-key.js';
import { CpaasAuthError } from '../../../../lambdas/core/cpaas/errors.js';
import type { CpaasUsersApi } from '../../../../lambdas/core/cpaas/users-api.js';
import { motoClientConfig } from '../../../support/aws.js';
import { type AwsFixture, awsFixture } from '../../../support/aws-fixture.js';

describe('SecretsManagerApiKey (moto)', () => {
  let aws: AwsFixture;
  beforeAll(async () => {
    aws = await awsFixture('key-one');
  });
  afterAll(() => aws.destroy());

  const rotate = (value: string) =>
    aws.secrets.send(
      new PutSecretValueCommand({ SecretId: aws.resources.apiKeySecretId, SecretString: value }),
    );

  it('caches the key for its max age and reloads it after', async () => {
    let now = 0;
    const keys = new SecretsManagerApiKey({
      client: aws.secrets,
      secretId: aws.resources.apiKeySecretId,
      cacheSeconds: 300,
      now: () => now,
    });
    expect(await keys.get()).toBe('key-one');
    await rotate('key-two');
    now = 299_000;
    expect(await keys.get()).toBe('key-one');
    now = 300_000;
    expect(await keys.get()).toBe('key-two');
    await rotate('key-one');
  });

  it('on 401 refreshes once, retries once, and concurrent failures share one GetSecretValue', async () => {
    const client = new SecretsManagerClient(motoClientConfig());
    let fetches = 0;
    client.middlewareStack.add(
      (next) => (args) => {
        fetches += 1;
        return next(args);
      },
      { step: 'initialize' },
    );
    const keys = new SecretsManagerApiKey({ client, secretId: aws.resources.apiKeySecretId });
    expect(await keys.get()).toBe('key-one');
    let serverKey = 'key-three';
    await rotate(serverKey);
    const api = {
      async getUser(userId: string) {
        if ((await keys.get()) !== serverKey) throw new CpaasAuthError('CPaaS API 401', { status: 401 });
        return { id: userId };
      },
    } as unknown as CpaasUsersApi;
    const refreshing = withKeyRefresh(api, keys);
    const users = await Promise.all(['a', 'b', 'c'].map((id) => refreshing.getUser(id)));
    expect(users.map((user) => user.id)).toEqual(['a', 'b', 'c']);
    expect(fetches).toBe(2);

    // Rotation still in progress: the stored key is not yet the one the API accepts.
    await rotate('key-four');
    serverKey = 'key-five';
    await expect(refreshing.getUser('d')).rejects.toBeInstanceOf(CpaasAuthError);
    expect(fetches).toBe(3);
    client.destroy();
  });
});
