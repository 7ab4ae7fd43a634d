import {
  CreateSecretCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { WebhookSecretsUnavailableError } from '../../../lambdas/ingest/errors.js';
import { secretsManagerWebhookSecrets } from '../../../lambdas/ingest/webhook-secrets.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { rejectionOf } from '../../support/ingest-fixture.js';

function countingClient() {
  const client = new SecretsManagerClient(motoClientConfig());
  let calls = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      calls += 1;
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  return { client, calls: () => calls };
}

async function createSecret(value: string): Promise<string> {
  const name = uniqueName('webhook-secrets');
  await new SecretsManagerClient(motoClientConfig()).send(
    new CreateSecretCommand({ Name: name, SecretString: value }),
  );
  return name;
}

describe('secretsManagerWebhookSecrets', () => {
  it('fetches once per maxAge, then picks up a rotated value', async () => {
    const secretId = await createSecret(JSON.stringify({ standard: ['whsec_old'], merge: ['k'] }));
    const { client, calls } = countingClient();
    let now = 1_000_000;
    const provider = secretsManagerWebhookSecrets({ client, secretId, maxAgeSeconds: 300, now: () => now });

    const [first, second] = await Promise.all([
      provider.secretsFor('standard'),
      provider.secretsFor('merge'),
    ]);
    expect(first).toEqual(['whsec_old']);
    expect(second).toEqual(['k']);
    expect(calls()).toBe(1);

    await new SecretsManagerClient(motoClientConfig()).send(
      new PutSecretValueCommand({
        SecretId: secretId,
        SecretString: JSON.stringify({ standard: ['whsec_new', 'whsec_old'] }),
      }),
    );
    now += 299_000;
    expect(await provider.secretsFor('standard')).toEqual(['whsec_old']);
    now += 1_000;
    expect(await provider.secretsFor('standard')).toEqual(['whsec_new', 'whsec_old']);
    expect(calls()).toBe(2);
  });

  it('fails with WebhookSecretsUnavailableError, without the values, and retries on the next call', async () => {
    const malformed = await createSecret(JSON.stringify({ standard: 'whsec_c2VjcmV0LXZhbHVl' }));
    const provider = secretsManagerWebhookSecrets({
      client: new SecretsManagerClient(motoClientConfig()),
      secretId: malformed,
      maxAgeSeconds: 300,
    });
    const error = await rejectionOf(provider.secretsFor('standard'));
    expect(error).toBeInstanceOf(WebhookSecretsUnavailableError);
    expect(error.message).toContain('standard');
    expect(error.message).not.toContain('c2VjcmV0');

    const { client, calls } = countingClient();
    const missing = secretsManagerWebhookSecrets({
      client,
      secretId: uniqueName('absent'),
      maxAgeSeconds: 300,
    });
    await expect(missing.secretsFor('standard')).rejects.toBeInstanceOf(WebhookSecretsUnavailableError);
    await expect(missing.secretsFor('standard')).rejects.toBeInstanceOf(WebhookSecretsUnavailableError);
    expect(calls()).toBe(2);
  });

  it('fails for a source that has no secret configured', async () => {
    const secretId = await createSecret(JSON.stringify({ standard: ['whsec_x'] }));
    const provider = secretsManagerWebhookSecrets({
      client: new SecretsManagerClient(motoClientConfig()),
      secretId,
      maxAgeSeconds: 300,
    });
    await expect(provider.secretsFor('merge')).rejects.toThrow(
      'no webhook secret configured for source merge',
    );
  });
});
