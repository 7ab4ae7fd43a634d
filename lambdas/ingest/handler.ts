import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ingestSettingsFromEnv } from '../contract/environment.js';
import { DEFAULTS, SERVICE_NAMES } from '../contract/settings.js';
import { DEFAULT_TENANT_ID } from '../contract/tenants.js';
import type { AwsClientConfig } from '../core/config/aws-client-config.js';
import type { QueuedEvent } from '../core/events/details-pending-event.js';
import { QueueUnavailableError } from '../core/events/errors.js';
import type { EventQueue } from '../core/events/event-queue.js';
import { laneQueueUrlsOf } from '../core/events/lane.js';
import { sqsLaneRoutedQueue } from '../core/events/lane-routed-queue.js';
import { InvalidLifecycleEventError } from '../core/events/lifecycle-event.js';
import { DynamoHandshakeStore, type HandshakeStore } from '../core/state/handshake-store.js';
import { type Logger, powertoolsLogger, silentLogger } from '../core/telemetry/logger.js';
import { cachedTenantRegistry } from '../core/tenants/cached-tenant-registry.js';
import { TenantNotFoundError, TenantRegistryUnavailableError } from '../core/tenants/errors.js';
import { routedTenant, tenantOfAccount, tenantOfPrefix } from '../core/tenants/routed-tenant.js';
import type { Tenant } from '../core/tenants/tenant.js';
import { DynamoTenantRegistry, type TenantRegistry } from '../core/tenants/tenant-registry.js';
import {
  HandshakeNotStoredError,
  SourceNotConfiguredError,
  WebhookSecretsUnavailableError,
  WebhookVerificationError,
} from './errors.js';
import type { SourceAdapter, SourceHandshake } from './sources/source-adapter.js';
import { SOURCE_LOADERS, type SourceLoader } from './sources/source-loaders.js';
import {
  secretsManagerTenantWebhookSecrets,
  secretsManagerWebhookSecrets,
  type TenantWebhookSecrets,
  type WebhookSecretsProvider,
} from './webhook-secrets.js';

/** Largest webhook body accepted (1 MiB, SQS's message limit); larger answers 413 before any work. */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/**
 * Most events one request may carry; more answers 413 and queues nothing, so the sender splits the
 * request instead of retrying it. About 4,100 minimal events fit in 1 MiB, too many to enqueue
 * with margin inside the ingest Lambda's 10 s timeout; 1,000 go in 10 rounds of 10 parallel
 * batches (`SQS_SEND_LANES`), measured in `npm run bench` (docs/performance.md, row 8).
 */
export const MAX_EVENTS_PER_REQUEST = 1000;

/** The registered tenants: their own URLs, and the shared URLs' routing by a provider's account id. */
export interface IngestTenants {
  /** Cache it (`cachedTenantRegistry`): it is read on every request to a tenant's URL. */
  readonly registry: TenantRegistry;
  readonly secrets: TenantWebhookSecrets;
}

export interface IngestDependencies {
  /** The default tenant's signing secrets: the deployment's own, for `/webhooks/{name}`. */
  secrets: WebhookSecretsProvider;
  /** Without it only the default tenant is served, and `/t/{tenant}/...` answers 404. */
  tenants?: IngestTenants;
  queue: EventQueue;
  /**
   * Where a provider's unsigned set-up request (Gusto's verification token) waits for the
   * operator's command; without it such a request is verified like any other, and refused.
   */
  handshakes?: HandshakeStore;
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

/** What a webhook path names: the source, and the registered tenant when it is `/t/{tenant}/...`. */
interface WebhookRoute {
  readonly source: string;
  readonly tenant?: string;
}

/** `[/stage]/webhooks/{source}` or `[/stage]/t/{tenant}/webhooks/{source}`, with or without a trailing slash. */
function webhookRoute(path: string): WebhookRoute | undefined {
  const segments = path.split('/').filter((segment) => segment !== '');
  const source = segments.at(-1);
  if (source === undefined || segments.at(-2) !== 'webhooks') return undefined;
  const prefix = tenantOfPrefix(segments.slice(0, -2));
  return prefix === undefined ? undefined : { source, ...prefix };
}

/** A registered tenant a request is for, with the secrets its webhooks are signed with. */
interface RoutedTenant {
  readonly id: string;
  readonly secrets: WebhookSecretsProvider;
}

const HEALTH_PATH = /(?:^|\/)healthz\/?$/;
/** `application/json` or any `+json` type, with or without parameters such as a charset. */
const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Builds the ingest handler from its ports, so the Lambda, the local HTTP server and the tests
 * run the same code. Order matters: the tenant (a registry read, before any of its secrets), size,
 * a source's set-up handshake (answered 200, nothing queued), then signature on the raw bytes with that tenant's secrets, then JSON, then schema, then the
 * event count, then the queue; a 202 is only sent once SQS holds every event of the request. The
 * count is checked on the mapped events, so the cap is the same for every source.
 * A source's adapter is loaded on its first request (`SOURCE_LOADERS`), so a cold start builds
 * no provider's schemas it is not sent.
 *
 * Every event's `tenant` is the route's, whatever the body says: a sender can only ever write to
 * the tenant whose secret signed its request. On the shared `/webhooks/{name}` URL (the default
 * tenant's secrets) a source that names its provider account (`accountIdOf`) is routed to the
 * tenant that account is mapped to, else to the default tenant.
 */
export function createIngestHandler(deps: IngestDependencies): IngestHandler {
  // A Map, not the record itself: a path segment such as `constructor` must not find a loader.
  const sources = new Map<string, SourceLoader>(Object.entries(SOURCE_LOADERS));
  const now = deps.now ?? (() => new Date());
  const logger = deps.logger ?? silentLogger;

  /** The registered tenant a `/t/{tenant}/` URL names, refused (404) unless it uses this source. */
  async function registeredTenant(segment: string, source: SourceAdapter): Promise<RoutedTenant> {
    const tenants = deps.tenants;
    if (tenants === undefined) throw new TenantNotFoundError('this deployment serves no registered tenants');
    let tenant: Tenant;
    try {
      tenant = await routedTenant(tenants.registry, segment);
    } catch (error) {
      if (error instanceof TenantNotFoundError) tenants.secrets.forget(segment);
      throw error;
    }
    if (!tenant.sources.includes(source.name)) {
      throw new SourceNotConfiguredError(`tenant ${tenant.id} does not use source ${source.name}`);
    }
    return { id: tenant.id, secrets: tenants.secrets.forTenant(tenant.id) };
  }

  /** The tenant of a webhook on the shared URL: the one its provider account is mapped to, else the default. */
  async function sharedUrlTenant(source: SourceAdapter, body: unknown, events: readonly QueuedEvent[]) {
    const accountId = events.length === 0 ? undefined : source.accountIdOf?.(body);
    if (accountId === undefined || deps.tenants === undefined) return DEFAULT_TENANT_ID;
    const tenant = await tenantOfAccount(deps.tenants.registry, source.name, accountId);
    return tenant?.id ?? DEFAULT_TENANT_ID;
  }

  /** A set-up request answered 200; its secret, if any, stored for the operator's command (never logged). */
  async function answerHandshake(
    source: SourceAdapter,
    handshake: SourceHandshake,
    tenant: RoutedTenant | undefined,
    at: Date,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const tenantId = tenant?.id ?? DEFAULT_TENANT_ID;
    const { registrationId, secret } = handshake;
    if (secret !== undefined) {
      if (deps.handshakes === undefined) {
        throw new HandshakeNotStoredError('this ingest has no handshake store');
      }
      try {
        await deps.handshakes.save({
          registrationId,
          secret,
          source: source.name,
          tenant: tenantId,
          receivedAt: at.toISOString(),
        });
      } catch (error) {
        throw new HandshakeNotStoredError(`cannot store the handshake: ${(error as Error).name}`);
      }
    }
    logger.info(
      secret === undefined ? 'webhook handshake answered' : 'set-up handshake stored for the operator',
      {
        source: source.name,
        tenant: tenantId,
        registrationId,
      },
    );
    return reply(200, { received: true });
  }

  async function ingest(
    source: SourceAdapter,
    event: APIGatewayProxyEventV2,
    tenant: RoutedTenant | undefined,
  ): Promise<APIGatewayProxyStructuredResultV2> {
    const rawBody = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (rawBody.length > MAX_WEBHOOK_BODY_BYTES) {
      return reply(413, { error: `body exceeds ${MAX_WEBHOOK_BODY_BYTES} bytes` });
    }
    const headers = lowerCaseHeaders(event.headers);
    const at = now();
    const handshake = source.handshake?.(rawBody);
    if (handshake !== undefined) return answerHandshake(source, handshake, tenant, at);
    if (!JSON_MEDIA_TYPE.test(headers['content-type'] ?? '')) {
      return reply(415, { error: 'content-type must be application/json' });
    }
    const secrets = (tenant?.secrets ?? deps.secrets).secretsFor(source.name);
    source.verify(rawBody, headers, await secrets, at);

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
    const tenantId = tenant?.id ?? (await sharedUrlTenant(source, body, events));
    await deps.queue.enqueue(events.map((mapped) => ({ ...mapped, tenant: tenantId })));
    const accepted = events.map((mapped) => mapped.id);
    logger.info('webhook accepted', { source: source.name, tenant: tenantId, eventIds: accepted });
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
    const route = webhookRoute(path);
    if (route === undefined) return reply(404, { error: 'not found' });
    const loadSource = sources.get(route.source);
    if (!loadSource) return reply(404, { error: 'unknown source' });
    if (method !== 'POST') return reply(405, { error: 'method not allowed' }, { allow: 'POST' });

    try {
      const source = await loadSource();
      const tenant = route.tenant === undefined ? undefined : await registeredTenant(route.tenant, source);
      return await ingest(source, event, tenant);
    } catch (error) {
      const attributes = {
        source: route.source,
        errorName: (error as Error).name,
        reason: (error as Error).message,
      };
      if (error instanceof TenantNotFoundError) {
        logger.warn('webhook for a tenant that is not registered', attributes);
        return reply(404, { error: 'unknown tenant', reason: error.message });
      }
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
          source: route.source,
          issues: error.issues.map((issue) => issue.path),
        });
        return reply(422, { error: 'invalid payload', issues: error.issues });
      }
      if (
        error instanceof QueueUnavailableError ||
        error instanceof HandshakeNotStoredError ||
        error instanceof WebhookSecretsUnavailableError ||
        error instanceof TenantRegistryUnavailableError
      ) {
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
 * URLs, secrets id, state table, cache age); a missing or malformed variable throws
 * `ConfigurationError` naming it. The registry and every tenant's secrets are cached for the
 * secret cache period: a tenant added is served at once, a `tenants update` within that period.
 */
export function ingestDependenciesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clientConfig: AwsClientConfig = {},
): IngestDependencies {
  const settings = ingestSettingsFromEnv(env);
  const client = new SecretsManagerClient(clientConfig);
  const maxAgeSeconds = settings.secretCacheSeconds;
  const dynamo = new DynamoDBClient(clientConfig);
  const registry = new DynamoTenantRegistry({
    client: dynamo,
    tableName: settings.stateTableName,
  });
  return {
    secrets: secretsManagerWebhookSecrets({
      client,
      secretId: settings.webhookSecretsSecretId,
      maxAgeSeconds,
    }),
    handshakes: new DynamoHandshakeStore({
      client: dynamo,
      tableName: settings.stateTableName,
      retentionSeconds: DEFAULTS.handshakeRetentionMinutes * 60,
    }),
    tenants: {
      registry: cachedTenantRegistry(registry, { maxAgeSeconds }),
      secrets: secretsManagerTenantWebhookSecrets({ client, maxAgeSeconds }),
    },
    queue: sqsLaneRoutedQueue(new SQSClient(clientConfig), laneQueueUrlsOf(settings)),
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
