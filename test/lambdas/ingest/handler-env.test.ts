import { afterAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { ConfigurationError } from '../../../lambdas/contract/errors.js';
import { createLifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { handler, ingestDependenciesFromEnv } from '../../../lambdas/ingest/handler.js';
import { signStandardWebhook } from '../../../lambdas/ingest/sources/standard-webhooks.js';
import { startIngestServer } from '../../../tools/local/http-server.js';
import { motoClientConfig } from '../../support/aws.js';
import {
  countingSqsClient,
  createFifoQueue,
  createSecretsJson,
  drainQueue,
  hireEvent,
  newStandardSecret,
  post,
} from '../../support/ingest-fixture.js';

const saved = { ...process.env };
afterAll(() => {
  process.env = saved;
});

describe('the Lambda entry point', () => {
  it('fails on a bad SECRET_CACHE_SECONDS with the variable name, as the worker does, instead of a default', () => {
    const env = {
      [ENV.queueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo',
      [ENV.priorityQueueUrl]: 'https://sqs.us-east-1.amazonaws.com/123456789012/terminations.fifo',
      [ENV.webhookSecretsSecretId]: 'webhook-secrets',
      [ENV.stateTableName]: 'state',
    };
    for (const bad of ['soon', '0', '-5', '1.5']) {
      const wiring = () => ingestDependenciesFromEnv({ ...env, [ENV.secretCacheSeconds]: bad });
      expect(wiring).toThrow(ConfigurationError);
      expect(wiring).toThrow(`environment variable ${ENV.secretCacheSeconds} must be a positive integer`);
    }
  });

  it('reads its configuration from the environment on first use, not at import; a termination goes on the priority lane', async () => {
    const server = await startIngestServer({ port: 0, handler });
    try {
      const hire = hireEvent('acme', { employeeId: 'env-1' });
      const termination = createLifecycleEvent({
        type: 'employee.terminated',
        source: 'test/ingest',
        tenant: 'acme',
        data: { employeeId: 'env-2' },
      });
      const body = JSON.stringify([hire, termination]);
      const secret = newStandardSecret();
      const sign = () =>
        signStandardWebhook({ secret, msgId: 'msg_env', timestamp: Date.now() / 1000, body });

      for (const name of [
        ENV.queueUrl,
        ENV.priorityQueueUrl,
        ENV.webhookSecretsSecretId,
        ENV.stateTableName,
      ]) {
        delete process.env[name];
      }
      expect((await post(`${server.url}/webhooks/standard`, body, sign())).status).toBe(500);

      const { client } = countingSqsClient();
      const queueUrl = await createFifoQueue(client);
      const priorityQueueUrl = await createFifoQueue(client);
      const config = motoClientConfig();
      Object.assign(process.env, {
        [ENV.queueUrl]: queueUrl,
        [ENV.priorityQueueUrl]: priorityQueueUrl,
        [ENV.webhookSecretsSecretId]: await createSecretsJson({ standard: [secret] }),
        [ENV.stateTableName]: 'no-tenant-is-read-for-the-default-route',
        AWS_ENDPOINT_URL: config.endpoint,
        AWS_REGION: config.region,
        AWS_ACCESS_KEY_ID: config.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: config.credentials.secretAccessKey,
        POWERTOOLS_LOG_LEVEL: 'ERROR',
      });
      expect((await post(`${server.url}/webhooks/standard`, body, sign())).status).toBe(202);
      // The body's tenant is not trusted: the default route's events are the default tenant's.
      expect((await drainQueue(client, queueUrl)).map((message) => message.groupId)).toEqual([
        'default:env-1',
      ]);
      expect((await drainQueue(client, priorityQueueUrl)).map((message) => message.groupId)).toEqual([
        'default:env-2',
      ]);
    } finally {
      await server.close();
    }
  });
});
