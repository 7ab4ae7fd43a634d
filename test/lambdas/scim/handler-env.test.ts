import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV, scimEnvironment } from '../../../lambdas/contract/environment.js';
import { ConfigurationError } from '../../../lambdas/contract/errors.js';
import { scimTokensSecretString } from '../../../lambdas/scim/bearer-tokens.js';
import { handler, scimDependenciesFromEnv } from '../../../lambdas/scim/handler.js';
import { startIngestServer } from '../../../tools/local/http-server.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { type AwsFixture, awsFixture } from '../../support/aws-fixture.js';
import { drainQueue } from '../../support/ingest-fixture.js';
import { newScimToken, patchOp, scimUser } from '../../support/scim-fixture.js';

let aws: AwsFixture;
const saved = { ...process.env };
beforeAll(async () => {
  aws = await awsFixture();
});
afterAll(async () => {
  process.env = saved;
  await aws.destroy();
});

describe('scimDependenciesFromEnv', () => {
  it('names a missing or malformed variable', () => {
    const env = scimEnvironment({
      stateTableName: 't',
      queueUrl: 'q',
      priorityQueueUrl: 'p',
      tokensSecretId: 's',
    });
    for (const name of [ENV.scimTokensSecretId, ENV.priorityQueueUrl]) {
      const { [name]: _, ...missing } = env;
      expect(() => scimDependenciesFromEnv(missing)).toThrow(
        new ConfigurationError(`environment variable ${name} is not set`),
      );
    }
    expect(() => scimDependenciesFromEnv({ ...env, [ENV.secretCacheSeconds]: 'soon' })).toThrow(
      ConfigurationError,
    );
  });
});

describe('the Lambda entry point', () => {
  it('reads its configuration on first use, not at import; a deactivation goes on the priority lane', async () => {
    const server = await startIngestServer({ port: 0, handler });
    const token = newScimToken();
    const send = (method: string, path: string, body: unknown) =>
      fetch(`${server.url}/scim/v2${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' },
        body: JSON.stringify(body),
      });
    try {
      for (const name of [ENV.stateTableName, ENV.queueUrl, ENV.priorityQueueUrl, ENV.scimTokensSecretId]) {
        delete process.env[name];
      }
      expect((await send('POST', '/Users', scimUser('env@example.com'))).status).toBe(500);

      const tokensSecretId = uniqueName('scim-tokens');
      await aws.secrets.send(
        new CreateSecretCommand({ Name: tokensSecretId, SecretString: scimTokensSecretString(token) }),
      );
      const config = motoClientConfig();
      Object.assign(process.env, {
        ...scimEnvironment({
          stateTableName: aws.resources.stateTableName,
          queueUrl: aws.queueUrls.standard,
          priorityQueueUrl: aws.queueUrls.priority,
          tokensSecretId,
        }),
        AWS_ENDPOINT_URL: config.endpoint,
        AWS_REGION: config.region,
        AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      });
      const created = await send('POST', '/Users', scimUser('env@example.com'));
      expect(created.status).toBe(201);
      const { id } = (await created.json()) as { id: string };
      const deactivated = await send(
        'PATCH',
        `/Users/${id}`,
        patchOp({ op: 'replace', path: 'active', value: false }),
      );
      expect(deactivated.status).toBe(200);

      const types = async (url: string) =>
        (await drainQueue(aws.sqs, url)).map((message) => JSON.parse(message.body).type);
      expect(await types(aws.queueUrls.standard)).toEqual(['employee.hired']);
      expect(await types(aws.queueUrls.priority)).toEqual(['employee.terminated']);
    } finally {
      await server.close();
    }
  });
});
