import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { HR_API_SOURCES, type HrApiSource } from '../../lambdas/contract/settings.js';
import type { ResourceNames } from '../../tools/local/provision.js';

/**
 * Client configuration for the moto_server the global setup started. Every AWS SDK client in a
 * test is built from this, so tests hit a real AWS protocol endpoint over a socket.
 */
export function motoClientConfig() {
  return {
    endpoint: inject('awsEndpoint'),
    region: 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  };
}

/** A resource name no other test uses, so test files can share one moto_server safely. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

/** The local mode's resource names, unique to one test, so runs share one moto_server safely. */
export function uniqueResourceNames(prefix: string): ResourceNames {
  const unique = uniqueName(prefix);
  return {
    queueName: `${unique}-events.fifo`,
    deadLetterQueueName: `${unique}-dlq.fifo`,
    priorityQueueName: `${unique}-terminations.fifo`,
    bulkQueueName: `${unique}-bulk.fifo`,
    bulkDeadLetterQueueName: `${unique}-bulk-dlq.fifo`,
    priorityDeadLetterQueueName: `${unique}-terminations-dlq.fifo`,
    stateTableName: `${unique}-state`,
    apiKeySecretName: `${unique}/api-key`,
    webhookSecretsSecretName: `${unique}/webhook-secrets`,
    scimTokensSecretName: `${unique}/scim-tokens`,
    hrCredentialsSecretNames: Object.fromEntries(
      HR_API_SOURCES.map((source) => [source, `${unique}/${source}-credentials`]),
    ) as Record<HrApiSource, string>,
  };
}
