import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  DeleteSecretCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { HR_API_SOURCES, HR_APIS, type HrApiSource } from '../../lambdas/contract/settings.js';
import {
  TENANT_SECRET_KINDS,
  type TenantSecretKind,
  tenantHrCredentialsSecretName,
  tenantSecretName,
} from '../../lambdas/contract/tenants.js';
import { tenantKeyPrefix } from '../../lambdas/core/events/lifecycle-event.js';
import { LINK_PREFIX } from '../../lambdas/core/state/link-item.js';
import { scanByPrefix } from '../../lambdas/core/state/table-queries.js';
import { TenantExistsError } from '../../lambdas/core/tenants/errors.js';
import type { Tenant, TenantSettings } from '../../lambdas/core/tenants/tenant.js';
import {
  DynamoTenantRegistry,
  type TenantAdministration,
} from '../../lambdas/core/tenants/tenant-registry.js';
import { generateStandardWebhookSecret } from '../../lambdas/ingest/sources/standard-webhooks.js';
import { generateScimToken, scimTokensSecretString } from '../../lambdas/scim/bearer-tokens.js';
import { OperationError } from './errors.js';
import { createOrReplaceSecret } from './secrets.js';

/** `tenants remove` of a tenant whose employees are still linked to VoIP users, without `--force`. */
export class TenantStillLinkedError extends OperationError {
  override readonly name = 'TenantStillLinkedError';
}

/** A source other than `standard` needs the signing secret its provider issued; none was given. */
export class MissingSourceSecretError extends OperationError {
  override readonly name = 'MissingSourceSecretError';
}

/** A tenant names an HR API without its credentials, or with credentials that are not a JSON object. */
export class InvalidHrCredentialsError extends OperationError {
  override readonly name = 'InvalidHrCredentialsError';
}

/** Per HR API, its credentials secret's JSON (`HR_APIS[source].credentials`). */
export type HrCredentials = Partial<Readonly<Record<HrApiSource, string>>>;

export interface TenantAdminPorts {
  readonly registry: TenantAdministration;
  readonly secrets: SecretsManagerClient;
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
}

/**
 * Runs `action` with the registry and clients on the state table (one client config for both, an
 * AWS endpoint or none for the SDK's defaults), closing the clients however it ends: the one way
 * `tenants`, local mode's `--tenants` and the bench open what onboarding needs.
 */
export async function withTenantAdminPorts<T>(
  config: DynamoDBClientConfig,
  tableName: string,
  action: (ports: TenantAdminPorts) => Promise<T>,
): Promise<T> {
  const dynamodb = new DynamoDBClient(config);
  const secrets = new SecretsManagerClient(config);
  try {
    return await action({
      registry: new DynamoTenantRegistry({ client: dynamodb, tableName }),
      secrets,
      documents: DynamoDBDocumentClient.from(dynamodb),
      tableName,
    });
  } finally {
    dynamodb.destroy();
    secrets.destroy();
  }
}

/** What `tenants add` shows once: the secrets the HR systems and the identity provider need. */
export interface OnboardedTenant {
  readonly tenant: Tenant;
  /** Per source, the signing secret to give the sender. */
  readonly webhookSecrets: Readonly<Record<string, string>>;
  readonly scimToken: string;
}

/**
 * Onboards a tenant: its three secrets by name (`tenantSecretName`), then its registry item. The
 * item comes last because it is what makes the tenant's routes answer: a tenant is never served
 * without its secrets. `standard` gets a generated secret; other sources need the secret their
 * provider issued (`sourceSecrets`), as Merge, for example, signs with a key of its own.
 */
export async function addTenant(
  ports: TenantAdminPorts,
  settings: TenantSettings,
  apiKey: string,
  sourceSecrets: Readonly<Record<string, string>> = {},
  hrCredentials: HrCredentials = {},
): Promise<OnboardedTenant> {
  if ((await ports.registry.get(settings.id)) !== undefined) {
    throw new TenantExistsError(`tenant ${settings.id} already exists: use tenants update`);
  }
  for (const source of Object.keys(settings.hrApis ?? {}) as HrApiSource[]) {
    if (hrCredentials[source] === undefined) {
      throw new InvalidHrCredentialsError(
        `the ${HR_APIS[source].title} API needs its credentials (--hr-credentials ${source}=<file> with ${HR_APIS[source].credentials})`,
      );
    }
  }
  const webhookSecrets: Record<string, string> = {};
  for (const source of settings.sources) {
    const secret = source === 'standard' ? generateStandardWebhookSecret() : sourceSecrets[source];
    if (secret === undefined) {
      throw new MissingSourceSecretError(
        `source ${source} needs its provider's signing secret (--source-secret)`,
      );
    }
    webhookSecrets[source] = secret;
  }
  const scimToken = generateScimToken();
  const name = (kind: TenantSecretKind) => tenantSecretName(settings.id, kind);
  const labels = {
    description: `cpaas-lifecycle tenant ${settings.id}`,
    tags: [{ Key: 'cpaas-lifecycle:tenant', Value: settings.id }],
  };
  await createOrReplaceSecret(ports.secrets, name('cpaasApiKey'), apiKey, labels);
  const secretLists = Object.fromEntries(
    Object.entries(webhookSecrets).map(([source, secret]) => [source, [secret]]),
  );
  await createOrReplaceSecret(ports.secrets, name('webhookSecrets'), JSON.stringify(secretLists), labels);
  await createOrReplaceSecret(ports.secrets, name('scimTokens'), scimTokensSecretString(scimToken), labels);
  for (const [source, credentials] of Object.entries(hrCredentials) as [HrApiSource, string][]) {
    await setTenantHrCredentials(ports, settings.id, source, credentials);
  }
  const tenant = await ports.registry.add(settings);
  return { tenant, webhookSecrets, scimToken };
}

/**
 * Stores (or replaces) a tenant's credentials for one HR API, where the worker finds them by name
 * (`tenantHrCredentialsSecretName`); the worker's cache picks up a replaced value within its
 * cache period. Only a JSON object is accepted, so a pasted key without its field name fails here,
 * not as a 401 from the HR API later.
 */
export async function setTenantHrCredentials(
  ports: Pick<TenantAdminPorts, 'secrets'>,
  tenantId: string,
  source: HrApiSource,
  credentials: string,
): Promise<void> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(credentials);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidHrCredentialsError(
      `${HR_APIS[source].title} credentials must be JSON like ${HR_APIS[source].credentials}`,
    );
  }
  await createOrReplaceSecret(ports.secrets, tenantHrCredentialsSecretName(tenantId, source), credentials, {
    description: `cpaas-lifecycle tenant ${tenantId}: ${HR_APIS[source].title} API credentials`,
    tags: [{ Key: 'cpaas-lifecycle:tenant', Value: tenantId }],
  });
}

/** How many employees of the tenant are linked (or were: deleted links count too). */
export async function linkedEmployees(ports: TenantAdminPorts, tenantId: string): Promise<number> {
  let count = 0;
  for await (const _ of scanByPrefix(
    ports.documents,
    ports.tableName,
    `${LINK_PREFIX}${tenantKeyPrefix(tenantId)}`,
  ))
    count += 1;
  return count;
}

export interface RemovedTenant {
  readonly tenantId: string;
  /** Link items left in the state table (with `--force`): the VoIP users stay in the CPaaS account. */
  readonly linksLeft: number;
  readonly recoveryWindowDays: number;
}

/**
 * Removes a tenant from the registry, so its routes answer 404 at once, and schedules its secrets
 * for deletion (recoverable for `recoveryWindowDays`). Refused while its employees are linked,
 * unless `force`: removing a tenant never deletes or disables anyone's VoIP user, which stay in
 * the CPaaS account for its owner to keep or remove.
 */
export async function removeTenant(
  ports: TenantAdminPorts,
  tenantId: string,
  options: { readonly force?: boolean; readonly recoveryWindowDays?: number } = {},
): Promise<RemovedTenant> {
  const linksLeft = await linkedEmployees(ports, tenantId);
  if (linksLeft > 0 && options.force !== true) {
    throw new TenantStillLinkedError(
      `tenant ${tenantId} has ${linksLeft} linked employee(s); their VoIP users stay in the CPaaS account. ` +
        'Run again with --force to remove the tenant anyway.',
    );
  }
  await ports.registry.remove(tenantId);
  const recoveryWindowDays = options.recoveryWindowDays ?? 30;
  const names = [
    ...(Object.keys(TENANT_SECRET_KINDS) as TenantSecretKind[]).map((kind) =>
      tenantSecretName(tenantId, kind),
    ),
    ...HR_API_SOURCES.map((source) => tenantHrCredentialsSecretName(tenantId, source)),
  ];
  for (const secretId of names) {
    try {
      await ports.secrets.send(
        new DeleteSecretCommand({ SecretId: secretId, RecoveryWindowInDays: recoveryWindowDays }),
      );
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
  }
  return { tenantId, linksLeft, recoveryWindowDays };
}
