import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, describe, expect, it } from 'vitest';
import {
  scimTokensSecretString,
  secretsManagerScimTokens,
  tokenVerifier,
} from '../../../lambdas/scim/bearer-tokens.js';
import { ScimUnauthorizedError, ScimUnavailableError } from '../../../lambdas/scim/errors.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { rejectionOf } from '../../support/ingest-fixture.js';
import { newScimToken } from '../../support/scim-fixture.js';

const client = new SecretsManagerClient(motoClientConfig());
afterAll(() => client.destroy());

async function secretWith(value: string): Promise<string> {
  const name = uniqueName('scim-tokens');
  await client.send(new CreateSecretCommand({ Name: name, SecretString: value }));
  return name;
}

describe('tokenVerifier', () => {
  it('accepts each current token and refuses a missing, empty or other one', async () => {
    const [current, previous] = [newScimToken(), newScimToken()];
    const verifier = tokenVerifier(async () => [current, previous]);
    await verifier.verify(current);
    await verifier.verify(previous);
    for (const token of [undefined, '', newScimToken(), current.slice(1)]) {
      expect(await rejectionOf(verifier.verify(token))).toBeInstanceOf(ScimUnauthorizedError);
    }
  });
});

describe('secretsManagerScimTokens', () => {
  it('reads the tokens once per cache age, so a rotation is seen when the cache expires', async () => {
    const [first, second] = [newScimToken(), newScimToken()];
    const secretId = await secretWith(scimTokensSecretString(first));
    const clock = { now: 0 };
    const verifier = secretsManagerScimTokens({ client, secretId, maxAgeSeconds: 60, now: () => clock.now });
    await verifier.verify(first);
    await client.send(
      new PutSecretValueCommand({ SecretId: secretId, SecretString: scimTokensSecretString(second, first) }),
    );
    expect(await rejectionOf(verifier.verify(second))).toBeInstanceOf(ScimUnauthorizedError);
    clock.now = 60_000;
    await verifier.verify(second);
    await verifier.verify(first);
  });

  it('answers unavailable, naming no value, for a secret that is missing or malformed', async () => {
    const missing = secretsManagerScimTokens({ client, secretId: uniqueName('absent'), maxAgeSeconds: 60 });
    expect(await rejectionOf(missing.verify(newScimToken()))).toBeInstanceOf(ScimUnavailableError);
    const short = 'too-short-to-be-a-token';
    const malformed = secretsManagerScimTokens({
      client,
      secretId: await secretWith(scimTokensSecretString(short)),
      maxAgeSeconds: 60,
    });
    const error = await rejectionOf(malformed.verify(short));
    expect(error).toBeInstanceOf(ScimUnavailableError);
    expect(error.message).toMatch(/is malformed at current$/);
    expect(error.message).not.toContain(short);
  });
});
