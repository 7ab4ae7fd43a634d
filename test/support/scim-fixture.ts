import { randomBytes } from 'node:crypto';
import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { DEFAULT_TENANT_ID } from '../../lambdas/contract/tenants.js';
import type { EventQueue } from '../../lambdas/core/events/event-queue.js';
import { type LifecycleEvent, parseLifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../lambdas/core/events/sqs-event-queue.js';
import { scimUserItemKey } from '../../lambdas/core/state/scim-user-item.js';
import { scimTokensSecretString, secretsManagerScimTokens } from '../../lambdas/scim/bearer-tokens.js';
import { createScimHandler } from '../../lambdas/scim/handler.js';
import { DynamoScimUserStore } from '../../lambdas/scim/user-store.js';
import { type IngestServer, startIngestServer } from '../../tools/local/http-server.js';
import { uniqueName } from './aws.js';
import { type AwsFixture, awsFixture } from './aws-fixture.js';
import { drainQueue } from './ingest-fixture.js';

/** When an injected queue failure strikes: before SQS has the events, or after (a lost answer). */
export type QueueFailure = 'before-send' | 'after-send';

export interface TestEventQueue extends EventQueue {
  /** The next `count` calls fail `when`; then the queue works again. */
  fail(count: number, when: QueueFailure): void;
}

/**
 * The core SQS FIFO queue (`sqsEventQueue`) on one queue, so a test reads every event in order,
 * with failures on demand: an outage before anything is sent, or an answer lost after SQS took it.
 */
export function sqsTestQueue(sqs: SQSClient, queueUrl: string): TestEventQueue {
  const queue = sqsEventQueue(sqs, queueUrl);
  let failures = 0;
  let failure: QueueFailure = 'before-send';
  return {
    fail(count, when) {
      failures = count;
      failure = when;
    },
    async enqueue(events) {
      const failing = failures > 0;
      if (failing) failures -= 1;
      if (failing && failure === 'before-send') throw new Error('queue unavailable (injected)');
      await queue.enqueue(events);
      if (failing) throw new Error('queue answer lost (injected)');
    },
  };
}

export interface ScimFixture {
  readonly aws: AwsFixture;
  readonly server: IngestServer;
  /** `http://127.0.0.1:port/scim/v2` */
  readonly baseUrl: string;
  readonly token: string;
  readonly queue: TestEventQueue;
  /** Every line the handler logged, message and attributes, to show what never appears in them. */
  readonly logLines: unknown[];
  /** Sends a SCIM request with the bearer token; `body` is sent as `application/scim+json`. */
  request(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<ScimResponse>;
  /** Every event now on the queue, in order (received and deleted, so the FIFO group moves on). */
  events(): Promise<LifecycleEvent[]>;
  /** The stored user item as DynamoDB holds it. */
  storedItem(id: string): Promise<Record<string, unknown> | undefined>;
  close(): Promise<void>;
}

export interface ScimResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly json: Record<string, unknown>;
}

/** A random bearer token of the length the tokens secret requires. */
export function newScimToken(): string {
  return randomBytes(32).toString('base64url');
}

export interface ScimFixtureOptions {
  readonly previousToken?: string;
  /** Another fixture's resources (a worker's), left to it to destroy; default: new ones. */
  readonly aws?: AwsFixture;
}

/**
 * A moto state table, FIFO queue and tokens secret (with a previous token, as during a rotation),
 * with the SCIM handler served over node:http.
 */
export async function startScimFixture(options: ScimFixtureOptions = {}): Promise<ScimFixture> {
  const aws = options.aws ?? (await awsFixture());
  const token = newScimToken();
  const secretId = uniqueName('scim-tokens');
  await aws.secrets.send(
    new CreateSecretCommand({
      Name: secretId,
      SecretString: scimTokensSecretString(token, options.previousToken),
    }),
  );
  const queue = sqsTestQueue(aws.sqs, aws.resources.queueUrl);
  const logLines: unknown[] = [];
  const record = (message: string, attributes: Record<string, unknown>) =>
    logLines.push({ message, ...attributes });
  const handler = createScimHandler({
    logger: { debug: record, info: record, warn: record, error: record },
    store: new DynamoScimUserStore({ client: aws.dynamodb, tableName: aws.resources.stateTableName }),
    queue,
    tokens: secretsManagerScimTokens({ client: aws.secrets, secretId, maxAgeSeconds: 60 }),
    urlScheme: 'http',
  });
  const server = await startIngestServer({ port: 0, handler });
  const baseUrl = `${server.url}/scim/v2`;
  const documents = DynamoDBDocumentClient.from(aws.dynamodb);
  return {
    aws,
    server,
    baseUrl,
    token,
    queue,
    logLines,
    async request(method, path, body, headers = {}) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
      };
    },
    async events() {
      const messages = await drainQueue(aws.sqs, aws.resources.queueUrl);
      return messages.map((message) => parseLifecycleEvent(message.body));
    },
    async storedItem(id) {
      const { Item } = await documents.send(
        new GetCommand({
          TableName: aws.resources.stateTableName,
          Key: scimUserItemKey(DEFAULT_TENANT_ID, id),
          ConsistentRead: true,
        }),
      );
      return Item;
    },
    async close() {
      await server.close();
      if (options.aws === undefined) aws.destroy();
    },
  };
}

/** A SCIM core User as Entra or Okta would POST it. */
export function scimUser(userName: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    active: true,
    name: { givenName: 'Ada', familyName: 'Lovelace' },
    emails: [{ type: 'work', value: userName, primary: true }],
    ...overrides,
  };
}

/** A PatchOp body. */
export function patchOp(...operations: Record<string, unknown>[]): Record<string, unknown> {
  return { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: operations };
}
