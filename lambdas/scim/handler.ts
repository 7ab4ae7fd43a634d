import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { scimSettingsFromEnv } from '../contract/environment.js';
import { SERVICE_NAMES } from '../contract/settings.js';
import { DEFAULT_TENANT_ID, tenantSecretName } from '../contract/tenants.js';
import type { AwsClientConfig } from '../core/config/aws-client-config.js';
import type { EventQueue } from '../core/events/event-queue.js';
import { laneQueueUrlsOf } from '../core/events/lane.js';
import { sqsLaneRoutedQueue } from '../core/events/lane-routed-queue.js';
import { type Logger, powertoolsLogger, silentLogger } from '../core/telemetry/logger.js';
import { cachedTenantRegistry } from '../core/tenants/cached-tenant-registry.js';
import { TenantNotFoundError, TenantRegistryUnavailableError } from '../core/tenants/errors.js';
import { routedTenant, tenantOfPrefix } from '../core/tenants/routed-tenant.js';
import { DynamoTenantRegistry, type TenantRegistry } from '../core/tenants/tenant-registry.js';
import { type AttributeSelection, attributeList, selectAttributes } from './attribute-selection.js';
import { type ScimTokenVerifier, secretsManagerScimTokens } from './bearer-tokens.js';
import { resourceTypeDocuments, schemaDocuments, serviceProviderConfig } from './discovery.js';
import { ScimError, ScimMethodNotAllowedError, ScimNotFoundError, ScimUnavailableError } from './errors.js';
import {
  bearerToken,
  internalErrorReply,
  jsonBody,
  lowerCaseHeaders,
  type ScimResult,
  scimErrorReply,
  scimReply,
} from './http.js';
import { type ListRequest, listRequest, searchRequest } from './list-request.js';
import { SCIM_URNS } from './schema-urns.js';
import { scimUsers, type WriteConditions } from './user-operations.js';
import { etagOf, renderUser } from './user-resource.js';
import { DynamoScimUserStore, type ScimUserRecord, type ScimUserStore } from './user-store.js';

/** The registered tenants, each served under `/t/{tenant}/scim/v2` with its own tokens. */
export interface ScimTenants {
  /** Cache it (`cachedTenantRegistry`): it is read on every request to a tenant's URL. */
  readonly registry: TenantRegistry;
  /** A verifier of the tenant's own tokens; called once per tenant the registry returned, kept by the handler. */
  readonly tokens: (tenantId: string) => ScimTokenVerifier;
}

export interface ScimDependencies {
  readonly store: ScimUserStore;
  readonly queue: EventQueue;
  /** The default tenant's tokens: the deployment's own, for `/scim/v2`. */
  readonly tokens: ScimTokenVerifier;
  /** Without it only the default tenant is served, and `/t/{tenant}/scim/v2` answers 404. */
  readonly tenants?: ScimTenants;
  readonly now?: () => Date;
  readonly logger?: Logger;
  /**
   * The scheme of `meta.location` and `Location` when the request has no `X-Forwarded-Proto`:
   * `https` (API Gateway and Function URLs set the header anyway); the local mode serves `http`.
   */
  readonly urlScheme?: 'https' | 'http';
}

export type ScimHandler = (event: APIGatewayProxyEventV2, context?: Context) => Promise<ScimResult>;

/** Everything under this prefix is SCIM; what comes before it (a stage, a mount point) is kept in URLs. */
const SCIM_ROOT = '/scim/v2';

/** A request as the routes see it: its tenant, its path below `/scim/v2`, its base URL and what it carries. */
interface ScimRequest {
  /** The registered tenant of a `/t/{tenant}/scim/v2` URL; absent for the default tenant's. */
  readonly tenant?: string;
  readonly method: string;
  readonly segments: readonly string[];
  /** `https://host/prefix/scim/v2`, the base of every `meta.location`. */
  readonly baseUrl: string;
  readonly event: APIGatewayProxyEventV2;
}

/** A path segment as sent (`%3A` in a schema URN decoded); a malformed escape stays as it is and finds nothing. */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function scimRequest(event: APIGatewayProxyEventV2, urlScheme: string): ScimRequest | undefined {
  const path = event.rawPath ?? event.requestContext.http.path;
  const at = path.indexOf(SCIM_ROOT);
  const rest = at === -1 ? undefined : path.slice(at + SCIM_ROOT.length);
  if (rest === undefined || (rest !== '' && !rest.startsWith('/'))) return undefined;
  const prefix = tenantOfPrefix(
    path
      .slice(0, at)
      .split('/')
      .filter((segment) => segment !== ''),
  );
  if (prefix === undefined) return undefined;
  const headers = lowerCaseHeaders(event.headers);
  const protocol = headers['x-forwarded-proto'] ?? urlScheme;
  const host = headers.host ?? event.requestContext.domainName;
  return {
    ...prefix,
    method: event.requestContext.http.method.toUpperCase(),
    segments: rest
      .split('/')
      .filter((segment) => segment !== '')
      .map(decodedSegment),
    baseUrl: `${protocol}://${host}${path.slice(0, at)}${SCIM_ROOT}`,
    event,
  };
}

function only(request: ScimRequest, ...methods: string[]): void {
  if (!methods.includes(request.method)) throw new ScimMethodNotAllowedError(methods);
}

function listResponse(resources: readonly unknown[], totalResults: number, startIndex: number): unknown {
  return {
    schemas: [SCIM_URNS.listResponse],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** Discovery lists are short and fixed: a `filter` on them is not supported, paging is trivial. */
function discoveryList(request: ScimRequest, documents: readonly Record<string, unknown>[]): ScimResult {
  only(request, 'GET');
  const id = request.segments[1];
  if (id === undefined) return scimReply(200, listResponse(documents, documents.length, 1));
  const document = documents.find((candidate) => candidate.id === id);
  if (document === undefined) throw new ScimNotFoundError(`no ${request.segments[0]} ${id}`);
  return scimReply(200, document);
}

function writeConditions(event: APIGatewayProxyEventV2): WriteConditions {
  const ifMatch = lowerCaseHeaders(event.headers)['if-match'];
  return ifMatch === undefined ? {} : { ifMatch };
}

function selectionOf(event: APIGatewayProxyEventV2): AttributeSelection {
  const attributes = attributeList(event.queryStringParameters?.attributes);
  const excludedAttributes = attributeList(event.queryStringParameters?.excludedAttributes);
  return {
    ...(attributes === undefined ? {} : { attributes }),
    ...(excludedAttributes === undefined ? {} : { excludedAttributes }),
  };
}

type ScimUsers = ReturnType<typeof scimUsers>;

/** What one tenant's requests are served with: its tokens, and its users (its own store keys and index partition). */
interface TenantScope {
  readonly tokens: ScimTokenVerifier;
  readonly users: ScimUsers;
}

/**
 * Builds the SCIM 2.0 service provider's handler from its ports, so the Lambda, the local mode and
 * the tests run the same code. A request is first given its tenant: the default one under
 * `/scim/v2`, a registered one under `/t/{tenant}/scim/v2` (404 for an unknown tenant, before
 * any of its secrets is read). Then it needs one of that tenant's current bearer tokens (401
 * otherwise: another tenant's token is no token here); then the route, which reads and writes
 * that tenant's users only. A 2xx for a change means the user is stored and its lifecycle event
 * is on the queue. Logs carry the tenant, route, status, user id and error class: never a body, a
 * token or a filter.
 */
export function createScimHandler(deps: ScimDependencies): ScimHandler {
  const logger = deps.logger ?? silentLogger;
  const usersOf = (tenant: string) =>
    scimUsers({ store: deps.store, queue: deps.queue, tenant, now: deps.now ?? (() => new Date()), logger });
  const defaultScope: TenantScope = { tokens: deps.tokens, users: usersOf(DEFAULT_TENANT_ID) };
  /** Registered tenants seen, bounded by the registry: an unknown id adds nothing and a removed one is dropped. */
  const scopes = new Map<string, TenantScope>();

  async function scopeOf(request: ScimRequest): Promise<TenantScope> {
    if (request.tenant === undefined) return defaultScope;
    const tenants = deps.tenants;
    if (tenants === undefined) throw new ScimNotFoundError('this deployment serves no registered tenants');
    try {
      const tenant = await routedTenant(tenants.registry, request.tenant);
      let scope = scopes.get(tenant.id);
      if (scope === undefined) {
        scope = { tokens: tenants.tokens(tenant.id), users: usersOf(tenant.id) };
        scopes.set(tenant.id, scope);
      }
      return scope;
    } catch (error) {
      if (error instanceof TenantNotFoundError) {
        scopes.delete(request.tenant);
        throw new ScimNotFoundError(error.message);
      }
      if (error instanceof TenantRegistryUnavailableError) throw new ScimUnavailableError(error.message);
      throw error;
    }
  }

  function userReply(
    status: number,
    record: ScimUserRecord,
    request: ScimRequest,
    selection: AttributeSelection,
  ) {
    const resource = renderUser(record, `${request.baseUrl}/Users`);
    const location = `${request.baseUrl}/Users/${record.id}`;
    return scimReply(status, selectAttributes(resource, selection), {
      etag: etagOf(record.version),
      ...(status === 201 ? { location } : {}),
    });
  }

  async function list(request: ScimRequest, users: ScimUsers, query: ListRequest): Promise<ScimResult> {
    const usersUrl = `${request.baseUrl}/Users`;
    const page = await users.list(query.filter, usersUrl, query.startIndex, query.count);
    const resources = page.users.map((record) =>
      selectAttributes(renderUser(record, usersUrl), query.selection),
    );
    return scimReply(200, listResponse(resources, page.totalResults, query.startIndex));
  }

  async function usersRoute(request: ScimRequest, users: ScimUsers): Promise<ScimResult> {
    const { event, segments } = request;
    const id = segments[1];
    if (segments.length > 2) throw new ScimNotFoundError('no such resource');
    if (id === undefined) {
      only(request, 'GET', 'POST');
      if (request.method === 'GET')
        return list(request, users, listRequest(event.queryStringParameters ?? {}));
      const { record } = await users.create(jsonBody(event));
      return userReply(201, record, request, selectionOf(event));
    }
    if (id === '.search') {
      only(request, 'POST');
      return list(request, users, searchRequest(jsonBody(event)));
    }
    only(request, 'GET', 'PUT', 'PATCH', 'DELETE');
    const selection = selectionOf(event);
    switch (request.method) {
      case 'GET':
        return userReply(200, await users.get(id), request, selection);
      case 'PUT':
        return userReply(
          200,
          await users.replace(id, jsonBody(event), writeConditions(event)),
          request,
          selection,
        );
      case 'PATCH': {
        const usersUrl = `${request.baseUrl}/Users`;
        const record = await users.patch(id, jsonBody(event), usersUrl, writeConditions(event));
        return userReply(200, record, request, selection);
      }
      default:
        await users.remove(id, writeConditions(event));
        return scimReply(204, undefined);
    }
  }

  async function route(request: ScimRequest): Promise<ScimResult> {
    const scope = await scopeOf(request);
    await scope.tokens.verify(bearerToken(request.event));
    switch (request.segments[0]) {
      case 'ServiceProviderConfig':
        only(request, 'GET');
        return scimReply(200, serviceProviderConfig(request.baseUrl));
      case 'ResourceTypes':
        return discoveryList(request, resourceTypeDocuments(request.baseUrl));
      case 'Schemas':
        return discoveryList(request, schemaDocuments(request.baseUrl));
      case 'Users':
        return usersRoute(request, scope.users);
      case 'Groups':
        throw new ScimNotFoundError('Groups are not supported: this service provider serves Users only');
      default:
        throw new ScimNotFoundError('no such resource');
    }
  }

  return async (event) => {
    const request = scimRequest(event, deps.urlScheme ?? 'https');
    if (request === undefined) return scimErrorReply(new ScimNotFoundError('not a SCIM path'));
    const attributes = {
      tenant: request.tenant ?? DEFAULT_TENANT_ID,
      method: request.method,
      resource: request.segments[0],
      userId: request.segments[1],
    };
    try {
      const result = await route(request);
      logger.info('scim request', { ...attributes, status: result.statusCode });
      return result;
    } catch (error) {
      if (error instanceof ScimError) {
        const log = error.status >= 500 ? logger.error : logger.info;
        log.call(logger, 'scim request refused', {
          ...attributes,
          status: error.status,
          scimType: error.scimType,
          errorName: error.name,
        });
        return scimErrorReply(error);
      }
      logger.error('scim request failed', { ...attributes, status: 500, errorName: (error as Error).name });
      return internalErrorReply();
    }
  };
}

/**
 * The production wiring from the Lambda's environment (`scimSettingsFromEnv`: state table, the
 * lanes' queue URLs, tokens secret, cache age); a missing or malformed variable throws
 * `ConfigurationError` naming it. Events go through `sqsLaneRoutedQueue`, so a deactivation or a
 * DELETE (a termination) is queued on the priority lane, as a terminating webhook is. The tenant
 * registry (in the same table) and every tenant's tokens are cached for the secret cache period.
 */
export function scimDependenciesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  clientConfig: AwsClientConfig = {},
): ScimDependencies {
  const settings = scimSettingsFromEnv(env);
  const dynamodb = new DynamoDBClient(clientConfig);
  const secrets = new SecretsManagerClient(clientConfig);
  const maxAgeSeconds = settings.secretCacheSeconds;
  const registry = new DynamoTenantRegistry({ client: dynamodb, tableName: settings.stateTableName });
  return {
    store: new DynamoScimUserStore({ client: dynamodb, tableName: settings.stateTableName }),
    queue: sqsLaneRoutedQueue(new SQSClient(clientConfig), laneQueueUrlsOf(settings)),
    tokens: secretsManagerScimTokens({ client: secrets, secretId: settings.tokensSecretId, maxAgeSeconds }),
    tenants: {
      registry: cachedTenantRegistry(registry, { maxAgeSeconds }),
      tokens: (tenantId) =>
        secretsManagerScimTokens({
          client: secrets,
          secretId: tenantSecretName(tenantId, 'scimTokens'),
          maxAgeSeconds,
        }),
    },
    logger: powertoolsLogger(SERVICE_NAMES.scim),
  };
}

let envHandler: ScimHandler | undefined;

/**
 * Lambda entry point (Function URL, payload 2.0). Reads the environment on the first call, not at
 * import, so importing the module (tests, bundling checks) needs no configuration.
 */
export async function handler(event: APIGatewayProxyEventV2, context?: Context): Promise<ScimResult> {
  envHandler ??= createScimHandler(scimDependenciesFromEnv());
  return envHandler(event, context);
}
