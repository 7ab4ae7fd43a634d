import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Message, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LaneQueueUrls } from '../../lambdas/core/events/lane.js';
import { type ProvisionedResources, provisionLocalResources } from '../../tools/local/provision.js';
import { motoClientConfig, uniqueName } from './aws.js';

export interface AwsFixture {
  readonly resources: ProvisionedResources;
  /** Both lanes' queues, as the producers route to them. */
  readonly queueUrls: LaneQueueUrls;
  readonly dynamodb: DynamoDBClient;
  readonly sqs: SQSClient;
  readonly secrets: SecretsManagerClient;
  /** Every message now in the DLQ, with all attributes. */
  deadLetters(): Promise<Message[]>;
  destroy(): void;
}

/** Uniquely named queues, state table and secrets on the shared moto_server, as the stack creates them. */
export async function awsFixture(apiKey = 'unused-key', maxReceiveCount = 3): Promise<AwsFixture> {
  const aws = motoClientConfig();
  const resources = await provisionLocalResources(aws, {
    apiKey,
    webhookSecrets: { standard: ['whsec_dGVzdA=='] },
    maxReceiveCount,
    names: {
      queueName: `${uniqueName('events')}.fifo`,
      deadLetterQueueName: `${uniqueName('dlq')}.fifo`,
      priorityQueueName: `${uniqueName('terminations')}.fifo`,
      bulkQueueName: `${uniqueName('bulk')}.fifo`,
      bulkDeadLetterQueueName: `${uniqueName('bulk-dlq')}.fifo`,
      priorityDeadLetterQueueName: `${uniqueName('terminations-dlq')}.fifo`,
      stateTableName: uniqueName('state'),
      apiKeySecretName: uniqueName('api-key'),
      webhookSecretsSecretName: uniqueName('webhooks'),
      scimTokensSecretName: uniqueName('scim-tokens'),
    },
  });
  const dynamodb = new DynamoDBClient(aws);
  const sqs = new SQSClient(aws);
  const secrets = new SecretsManagerClient(aws);
  return {
    resources,
    queueUrls: { standard: resources.queueUrl, priority: resources.priority.queueUrl },
    dynamodb,
    sqs,
    secrets,
    async deadLetters() {
      const { Messages } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: resources.deadLetterQueueUrl,
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
          VisibilityTimeout: 0,
        }),
      );
      return Messages ?? [];
    },
    destroy() {
      dynamodb.destroy();
      sqs.destroy();
      secrets.destroy();
    },
  };
}
