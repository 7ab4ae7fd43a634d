import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, scimEnvironment } from '../../../lambdas/contract/environment.js';
import { ConfigurationError } from '../../../lambdas/contract/errors.js';
import { silentLogger } from '../../../lambdas/core/telemetry/logger.js';
import { createScimHandler, scimDependenciesFromEnv } from '../../../lambdas/scim/handler.js';
import { startIngestServer } from '../../../tools/local/http-server.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { type AwsFixture, awsFixture } from '../../support/aws-fixture.js';
import { newScimToken, scimUser, sqsTestQueue } from '../../support/scim-fixture.js';

let aws: AwsFixture;
beforeAll(async () => {
  aws = await awsFixture();
});
afterAll(() => aws.destroy());

describe('scimDependenciesFromEnv', () => {
  it('names a missing or malformed variable', () => {
    const queue = () => sqsTestQueue(aws.sqs, aws.resources.queueUrl);
    const env = scimEnvironment({ stateTableName: 't', queueUrl: 'q', tokensSecretId: 's' });
    const { [ENV.scimTokensSecretId]: _, ...missing } = env;
    expect(() => scimDependenciesFromEnv(queue, missing)).toThrow(
      new ConfigurationError(`environment variable ${ENV.scimTokensSecretId} is not set`),
    );
    expect(() => scimDependenciesFromEnv(queue, { ...env, [ENV.secretCacheSeconds]: 'soon' })).toThrow(
      ConfigurationError,
    );
  });

  it('wires the state table, the queue and the tokens secret the environment names', async () => {
    const token = newScimToken();
    const tokensSecretId = uniqueName('scim-tokens');
    await aws.secrets.send(
      new CreateSecretCommand({ Name: tokensSecretId, SecretString: JSON.stringify([token]) }),
    );
    const env = scimEnvironment({
      stateTableName: aws.resources.stateTableName,
      queueUrl: aws.resources.queueUrl,
      tokensSecretId,
    });
    const deps = scimDependenciesFromEnv((url) => sqsTestQueue(aws.sqs, url), env, motoClientConfig());
    const server = await startIngestServer({
      port: 0,
      handler: createScimHandler({ ...deps, logger: silentLogger, urlScheme: 'http' }),
    });
    try {
      const response = await fetch(`${server.url}/scim/v2/Users`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(scimUser('wired@example.com')),
      });
      expect(response.status).toBe(201);
    } finally {
      await server.close();
    }
  });
});
