import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  MessageSystemAttributeName,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createLifecycleEvent, type LifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../lambdas/core/events/sqs-event-queue.js';
import type { HandshakeStore } from '../../lambdas/core/state/handshake-store.js';
import type { Logger } from '../../lambdas/core/telemetry/logger.js';
import { createIngestHandler } from '../../lambdas/ingest/handler.js';
import {
  generateStandardWebhookSecret,
  signStandardWebhook,
} from '../../lambdas/ingest/sources/standard-webhooks.js';
import { secretsManagerWebhookSecrets, type WebhookSecrets } from '../../lambdas/ingest/webhook-secrets.js';
import { type IngestServer, startIngestServer } from '../../tools/local/http-server.js';
import { motoClientConfig, uniqueName } from './aws.js';

/** A freshly generated `whsec_` secret, as the local mode and `tenants add` issue them. */
export const newStandardSecret = generateStandardWebhookSecret;

/**
 * A SQS client against moto that counts its SendMessageBatch calls and how many are in flight at
 * once, so a test can tell batches sent together from batches sent one after the other.
 */
export function countingSqsClient(config = motoClientConfig()): {
  client: SQSClient;
  batchCalls: () => number;
  batchesInFlight: () => number;
  maxBatchesInFlight: () => number;
} {
  const client = new SQSClient(config);
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendMessageBatchCommand') return next(args);
      calls += 1;
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        return await next(args);
      } finally {
        inFlight -= 1;
      }
    },
    { step: 'initialize', name: 'countSendMessageBatch' },
  );
  return {
    client,
    batchCalls: () => calls,
    batchesInFlight: () => inFlight,
    maxBatchesInFlight: () => maxInFlight,
  };
}

export async function createFifoQueue(client: SQSClient): Promise<string> {
  const { QueueUrl } = await client.send(
    new CreateQueueCommand({ QueueName: `${uniqueName('ingest')}.fifo`, Attributes: { FifoQueue: 'true' } }),
  );
  if (!QueueUrl) throw new Error('moto returned no queue URL');
  return QueueUrl;
}

export async function createSecretsJson(secrets: WebhookSecrets): Promise<string> {
  const name = uniqueName('webhook-secrets');
  await new SecretsManagerClient(motoClientConfig()).send(
    new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(secrets) }),
  );
  return name;
}

export interface QueuedMessage {
  body: string;
  groupId: string | undefined;
  dedupId: string | undefined;
}

/** Drains the queue (receive + delete, so FIFO groups unblock) until it answers empty. */
export async function drainQueue(client: SQSClient, queueUrl: string): Promise<QueuedMessage[]> {
  const messages: QueuedMessage[] = [];
  for (;;) {
    const { Messages = [] } = await client.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: [
          MessageSystemAttributeName.MessageGroupId,
          MessageSystemAttributeName.MessageDeduplicationId,
        ],
      }),
    );
    if (Messages.length === 0) return messages;
    for (const message of Messages) {
      messages.push({
        body: message.Body ?? '',
        groupId: message.Attributes?.MessageGroupId,
        dedupId: message.Attributes?.MessageDeduplicationId,
      });
    }
    await client.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: Messages.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle,
        })),
      }),
    );
  }
}

export interface IngestFixture {
  server: IngestServer;
  sqs: SQSClient;
  queueUrl: string;
  batchCalls: () => number;
  /** Unix seconds the handler believes it is; tests move it. */
  clock: { seconds: number };
  close(): Promise<void>;
}

/** A real ingest stack: moto FIFO queue + moto secret + handler served over node:http. */
export async function startIngestFixture(
  secrets: WebhookSecrets,
  options: {
    queueUrl?: string;
    sqsConfig?: ReturnType<typeof motoClientConfig>;
    secretId?: string;
    handshakes?: HandshakeStore;
    logger?: Logger;
    /** How long the webhook secrets are cached (60 s unless given). */
    cacheSeconds?: number;
  } = {},
): Promise<IngestFixture> {
  const { client, batchCalls } = countingSqsClient(options.sqsConfig);
  const queueUrl = options.queueUrl ?? (await createFifoQueue(client));
  const secretId = options.secretId ?? (await createSecretsJson(secrets));
  const clock = { seconds: Math.floor(Date.now() / 1000) };
  const handler = createIngestHandler({
    secrets: secretsManagerWebhookSecrets({
      client: new SecretsManagerClient(motoClientConfig()),
      secretId,
      maxAgeSeconds: options.cacheSeconds ?? 60,
    }),
    queue: sqsEventQueue(client, queueUrl),
    now: () => new Date(clock.seconds * 1000),
    ...(options.handshakes === undefined ? {} : { handshakes: options.handshakes }),
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  });
  const server = await startIngestServer({ port: 0, handler });
  return { server, sqs: client, queueUrl, batchCalls, clock, close: () => server.close() };
}

let employeeSequence = 0;

/** A valid canonical hire for a new employee of `tenant`. */
export function hireEvent(
  tenant = 'acme',
  overrides: { employeeId?: string; id?: string } = {},
): LifecycleEvent {
  employeeSequence += 1;
  const employeeId = overrides.employeeId ?? `emp-${employeeSequence}`;
  return createLifecycleEvent({
    type: 'employee.hired',
    source: 'test/ingest',
    tenant,
    ...(overrides.id ? { id: overrides.id } : {}),
    data: { employeeId, workEmail: `${employeeId}@example.com`, firstName: 'Ada', lastName: 'Lovelace' },
  });
}

/** A valid canonical change of an existing employee, renaming them to `lastName`. */
export function changeEvent(tenant: string, employeeId: string, lastName: string): LifecycleEvent {
  return createLifecycleEvent({
    type: 'employee.changed',
    source: 'test/ingest',
    tenant,
    data: { employeeId, workEmail: `${employeeId}@example.com`, firstName: 'Ada', lastName },
  });
}

export interface PostResult {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** POSTs raw bytes with the given headers and parses the JSON answer. */
export async function post(
  url: string,
  body: string | Buffer,
  headers: Record<string, string>,
): Promise<PostResult> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as Record<string, unknown>,
  };
}

/** POSTs a body signed per Standard Webhooks at the given unix time (defaults to the fixture clock). */
export function postStandard(
  fixture: IngestFixture,
  body: string,
  secret: string,
  options: { msgId?: string; timestamp?: number } = {},
): Promise<PostResult> {
  const headers = signStandardWebhook({
    secret,
    msgId: options.msgId ?? `msg_${crypto.randomUUID()}`,
    timestamp: options.timestamp ?? fixture.clock.seconds,
    body,
  });
  return post(`${fixture.server.url}/webhooks/standard`, body, headers);
}

/** The error a promise rejects with; fails the test when it resolves. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the promise to reject');
}
