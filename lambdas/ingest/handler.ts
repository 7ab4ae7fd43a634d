import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ingestSettingsFromEnv } from '../contract/environment.js';
import { SERVICE_NAMES } from '../contract/settings.js';
import type { AwsClientConfig } from '../core/config/aws-client-config.js';
import { QueueUnavailableError } from '../core/events/errors.js';
import type { EventQueue } from '../core/events/event-queue.js';
import { sqsLaneRoutedQueue } from '../core/events/lane-routed-queue.js';
import { InvalidLifecycleEventError } from '../core/events/lifecycle-event.js';
import { type Logger, powertoolsLogger, silentLogger } from '../core/telemetry/logger.js';
import {
  SourceNotConfiguredError,
  WebhookSecretsUnavailableError,
  WebhookVerificationError,
} from './errors.js';
import { bambooHrSource } from './sources/bamboohr.js';
import { mergeSource } from './sources/merge.js';
import type { SourceAdapter } from './sources/source-adapter.js';
import { standardWebhooksSource } from './sources/standard-webhooks.js';
import { secretsManagerWebhookSecrets, type WebhookSecretsProvider } from './webhook-secrets.js';

/** Largest webhook body accepted (1 MiB, SQS's message limit); larger answers 413 before any work. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * Most events one request may carry; more answers 413 and queues nothing, so the sender splits the
 * request instead of retrying it. About 4,100 minimal events fit in 1 MiB, too many to enqueue
 * with margin inside the ingest Lambda's 10 s timeout; 1,000 go in 10 rounds of 10 parallel
 * batches (`SQS_SEND_LANES`), measured in `npm run bench` (docs/performance.md, row 8).
 */
export const MAX_EVENTS_PER_REQUEST = 1000;

/** Every source served at `POST /webhooks/{name}`. */
export const DEFAULT_SOURCES: readonly SourceAdapter[] = [
  standardWebhooksSource,
  mergeSource,
  bambooHrSource,
];

export interface IngestDependencies {
  sources?: readonly SourceAdapter[];
  secrets: WebhookSecretsProvider;
  queue: EventQueue;
  /** Injected so the spec's fixed-timestamp test vectors verify. */
  now?: () => Date;
  logger?: Logger;
}

export type IngestHandler = (
  event: APIGatewayProxyEventV2,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

function reply(
  statusCode: number,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers']): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value;
  return result;
}

const WEBHOOK_PATH = /(?:^|\/)webhooks\/([^/]+)\/?$/;
const HEALTH_PATH = /(?:^|\/)healthz\/?$/;
/** `application/json` or any `+json` type, with or without parameters such as a charset. */
const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Builds the ingest handler from its ports, so the Lambda, the local HTTP server and the tests
 * run the same code. Order matters: size, then signature on the raw bytes, then JSON, then schema,
 * then the event count, then the queue; a 202 is only sent once SQS holds every event of the
 * request. The count is checked on the mapped events, so the cap is the same for every source.
 */
export function createIngestHandler(deps: IngestDependencies): IngestHandler {
  const sources = new Map<string, SourceAdapter>(
    (deps.sources ?? DEFAULT_SOURCES).map((source) => [source.name, source]),
  );
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;

  async function ingest(
    source: SourceAdapter,
    event: APIGatewayProxyEventV2,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (rawBody.length > MAX_WEBHOOK_BODY_BYTES) {
      return reply(413, { error: `body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes` });
    }
    const headers = lowerCaseHeaders(event.headers);
    if (!JSON_MEDIA_TYPE.test(headers['content-type'] ?? '')) {
      return reply(415, { error: 'content-type must be application/json' });
    }
    const at = now();
    source.verify(rawBody, headers, await deps.secrets.secretsFor(source.name), at);

    let text: string;
    try {
      // Fatal: a replacement character silently stored in a name is worse than a 400.
      text = STRICT_UTF8.decode(rawBody);
    } catch {
      return reply(400, { error: 'body is not valid UTF-8' });
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return reply(400, { error: 'body is not JSON' });
    }
    const events = source.toEvents(body, at, headers);
    if (events.length > MAX_EVENTS_PER_REQUEST) {
      return reply(413, { error: 'too many events in one request', limit: MAX_EVENTS_PER_REQUEST });
    }
    await deps.queue.enqueue(events);
    const accepted = events.map((event) => event.id);
    logger.info('webhook accepted', { source: source.name, eventIds: accepted });
    return reply(202, { accepted });
  }

  return async (event) => {
    const method = event.requestContext.http.method.toUpperCase();
    const path = event.rawPath ?? event.requestContext.http.path;
    if (HEALTH_PATH.test(path)) {
      return method === 'GET'
        ? reply(200, { status: 'ok' })
        : reply(405, { error: 'method not allowed' }, { allow: 'GET' });
    }
    const name = WEBHOOK_PATH.exec(path)?.[1];
    if (name === undefined) return reply(404, { error: 'not found' });
    const source = sources.get(name);
    if (!source) return reply(404, { error: 'unknown source' });
    if (method !== 'POST') return reply(405, { error: 'method not allowed' }, { allow: 'POST' });

    try {
      return await ingest(source, event);
    } catch (error) {
      const attributes = {
        source: source.name,
        errorName: (error as Error).name,
        reason: (error as Error).message,
      };
      if (error instanceof WebhookVerificationError) {
        logger.warn('webhook rejected', attributes);
        return reply(401, { error: 'signature verification failed', reason: error.failure });
      }
      if (error instanceof SourceNotConfiguredError) {
        logger.error('webhook for a source that is not configured: add its signing secret', attributes);
        return reply(404, { error: 'source not configured' });
      }
      if (error instanceof InvalidLifecycleEventError) {
        logger.info('webhook invalid', {
          source: source.name,
          issues: error.issues.map((issue) => issue.path),
        });
        return reply(422, { error: 'invalid payload', issues: error.issues });
      }
      if (error instanceof QueueUnavailableError || error instanceof WebhookSecretsUnavailableError) {
        logger.error('webhook not accepted, sender should retry', attributes);
        return reply(503, { error: 'temporarily unavailable, retry later' });
      }
      logger.error('webhook failed', attributes);
      return reply(500, { error: 'internal error' });
    }
  };
}

/**
 * The production wiring from the Lambda's environment (`ingestSettingsFromEnv`: the lanes' queue
 * URLs, secrets id, cache age); a missing or malformed variable throws `ConfigurationError` naming it.
 */
export function ingestDependenciesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clientConfig: AwsClientConfig = {},
): IngestDependencies {
  const settings = ingestSettingsFromEnv(env);
  return {
    secrets: secretsManagerWebhookSecrets({
      client: new SecretsManagerClient(clientConfig),
      secretId: settings.webhookSecretsSecretId,
      maxAgeSeconds: settings.secretCacheSeconds,
    }),
    queue: sqsLaneRoutedQueue(new SQSClient(clientConfig), {
      standard: settings.queueUrl,
      priority: settings.priorityQueueUrl,
    }),
    logger: powertoolsLogger(SERVICE_NAMES.ingest),
  };
}

let envHandler: IngestHandler | undefined;

/**
 * Lambda entry point (Function URL or HTTP API, payload 2.0). Reads the environment on the first
 * call, not at import, so importing the module (tests, bundling checks) needs no configuration.
 */
export async function handler(
  event: APIGatewayProxyEventV2,
  context?: Context,
): Promise<APIGatewayProxyStructuredResultV2> {
  envHandler ??= createIngestHandler(ingestDependenciesFromEnv());
  return envHandler(event, context);
}
