import { DescribeTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { DEFAULTS } from '../../../lambdas/contract/settings.js';
import { STATE_TABLE_KEYS } from '../../../lambdas/contract/state-table.js';
import { generateStandardWebhookSecret } from '../../../lambdas/ingest/sources/standard-webhooks.js';
import { generateScimToken } from '../../../lambdas/scim/bearer-tokens.js';
import { handlerEnvironment, provisionLocalResources } from '../../../tools/local/provision.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';

describe('provisionLocalResources', () => {
  it('creates the FIFO queue redriving to a FIFO DLQ after the shared maxReceiveCount', async () => {
    const aws = motoClientConfig();
    const resources = await provisionLocalResources(aws, {
      names: uniqueResourceNames('prov'),
      apiKey: 'key',
      webhookSecrets: {},
      visibilityTimeoutSeconds: 3,
    });
    const sqs = new SQSClient(aws);
    const { Attributes: queue } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.queueUrl, AttributeNames: ['All'] }),
    );
    const { Attributes: dlq } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: resources.deadLetterQueueUrl, AttributeNames: ['All'] }),
    );
    expect(queue?.FifoQueue).toBe('true');
    expect(dlq?.FifoQueue).toBe('true');
    expect(queue?.VisibilityTimeout).toBe('3');
    expect(JSON.parse(queue?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: resources.deadLetterQueueArn,
      maxReceiveCount: DEFAULTS.maxReceiveCount,
    });
    expect(dlq?.MessageRetentionPeriod).toBe(String(DEFAULTS.deadLetterRetentionDays * 86_400));
  });

  it('creates the state table with the shared key and TTL attribute, and stores the secrets', async () => {
    const aws = motoClientConfig();
    const webhookSecret = generateStandardWebhookSecret();
    const scimToken = generateScimToken();
    const resources = await provisionLocalResources(aws, {
      names: uniqueResourceNames('prov'),
      apiKey: 'the-api-key',
      webhookSecrets: { standard: [webhookSecret] },
      scimToken,
    });
    const dynamodb = new DynamoDBClient(aws);
    const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: resources.stateTableName }));
    expect(Table?.KeySchema).toEqual([{ AttributeName: STATE_TABLE_KEYS.partitionKey, KeyType: 'HASH' }]);
    expect(Table?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema])).toEqual([
      [
        STATE_TABLE_KEYS.dueIndexName,
        [
          { AttributeName: STATE_TABLE_KEYS.dueIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: STATE_TABLE_KEYS.dueIndexSortKey, KeyType: 'RANGE' },
        ],
      ],
      [
        STATE_TABLE_KEYS.scimIndexName,
        [
          { AttributeName: STATE_TABLE_KEYS.scimIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: STATE_TABLE_KEYS.scimIndexSortKey, KeyType: 'RANGE' },
        ],
      ],
    ]);
    const ttl = await dynamodb.send(new DescribeTimeToLiveCommand({ TableName: resources.stateTableName }));
    expect(ttl.TimeToLiveDescription?.AttributeName).toBe(STATE_TABLE_KEYS.ttlAttribute);
    expect(ttl.TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');

    const secrets = new SecretsManagerClient(aws);
    const apiKey = await secrets.send(new GetSecretValueCommand({ SecretId: resources.apiKeySecretId }));
    expect(apiKey.SecretString).toBe('the-api-key');
    const hooks = await secrets.send(
      new GetSecretValueCommand({ SecretId: resources.webhookSecretsSecretId }),
    );
    expect(JSON.parse(hooks.SecretString ?? '')).toEqual({ standard: [webhookSecret] });
    expect(webhookSecret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    const tokens = await secrets.send(new GetSecretValueCommand({ SecretId: resources.scimTokensSecretId }));
    expect(JSON.parse(tokens.SecretString ?? '')).toEqual({ current: scimToken });
    expect(scimToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('can run again on the same endpoint: reuses resources and updates the secrets', async () => {
    const aws = motoClientConfig();
    const names = uniqueResourceNames('prov');
    const first = await provisionLocalResources(aws, { names, apiKey: 'old', webhookSecrets: {} });
    const second = await provisionLocalResources(aws, { names, apiKey: 'new', webhookSecrets: {} });
    expect(second.queueUrl).toBe(first.queueUrl);
    const secrets = new SecretsManagerClient(aws);
    const apiKey = await secrets.send(new GetSecretValueCommand({ SecretId: names.apiKeySecretName }));
    expect(apiKey.SecretString).toBe('new');
  });

  it('gives the handlers their environment from the shared ENV names', async () => {
    const aws = motoClientConfig();
    const resources = await provisionLocalResources(aws, {
      names: uniqueResourceNames('prov'),
      apiKey: 'k',
      webhookSecrets: {},
    });
    const env = handlerEnvironment(aws, resources, {
      baseUrl: 'http://127.0.0.1:9',
      accountId: 'a'.repeat(32),
    });
    expect(env[ENV.queueUrl]).toBe(resources.queueUrl);
    expect(env[ENV.stateTableName]).toBe(resources.stateTableName);
    expect(env[ENV.priorityQueueUrl]).toBe(resources.priority.queueUrl);
    expect(env[ENV.scimTokensSecretId]).toBe(resources.scimTokensSecretId);
    expect(env[ENV.cpaasAllowInsecureHttp]).toBe('true');
    expect(env.AWS_ENDPOINT_URL).toBe(aws.endpoint);
  });
});
