import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Command, Option } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { DEFAULT_TENANT_ID, tenantSecretName } from '../../lambdas/contract/tenants.js';
import { type ApiKeySource, CpaasClient } from '../../lambdas/core/cpaas/client.js';
import { CpaasError } from '../../lambdas/core/cpaas/errors.js';
import type { Tenant } from '../../lambdas/core/tenants/tenant.js';
import { DynamoTenantRegistry } from '../../lambdas/core/tenants/tenant-registry.js';
import {
  enabledByFlagOrEnv,
  type FlagOrEnv,
  flagOrEnvOption,
  requiredString,
  SHARED_SETTINGS,
  usageError,
} from './options.js';
import { type TenantFlags, tenantOption } from './tenant-option.js';

/** Read only here: the CLI's way to pass a key without Secrets Manager (the Lambda never reads it). */
export const API_KEY_ENV = 'CPAAS_API_KEY';

const BASE_URL: FlagOrEnv = { flag: '--base-url', env: ENV.cpaasBaseUrl };
const ACCOUNT: FlagOrEnv = { flag: '--account', env: ENV.cpaasAccountId };

/** The flags every command that talks to the CPaaS API takes (`users`, `plan`, `reconcile`). */
export interface ConnectionFlags extends TenantFlags {
  baseUrl?: string;
  account?: string;
  secretId?: string;
  allowInsecureHttp?: boolean;
  json?: boolean;
  /** The state table, where a tenant other than `default` is registered. */
  table?: string;
}

/**
 * Registers the connection flags, each with the variable it falls back on, the worker's own
 * names, and `--tenant`: a registered tenant's account id comes from the registry and its key
 * from its own secret, as the worker finds them.
 */
export function addConnectionOptions(command: Command): Command {
  return command
    .addOption(tenantOption('account and API key to use'))
    .addOption(flagOrEnvOption(BASE_URL, 'url', 'API base URL'))
    .addOption(flagOrEnvOption(ACCOUNT, 'id', 'account id, 32 alphanumeric'))
    .addOption(
      new Option(
        '--secret-id <id>',
        `Secrets Manager secret holding the API key (without it: $${API_KEY_ENV}, else the secret $${ENV.cpaasApiKeySecretId})`,
      ),
    )
    .option(
      '--allow-insecure-http',
      `allow an http:// base URL (local sandbox only; or $${ENV.cpaasAllowInsecureHttp}=true)`,
    )
    .option('--json', 'print JSON (the API data object; an array for list)');
}

async function apiKeyFromSecret(secretId: string): Promise<string> {
  const secrets = new SecretsManagerClient({});
  try {
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`secret ${secretId} has no string value`);
    return SecretString.trim();
  } finally {
    secrets.destroy();
  }
}

/** A usage error naming the flag that a registered tenant's own settings replace. */
function refuseWithTenant(command: Command, flags: ConnectionFlags): void {
  const given = [flags.account && '--account', flags.secretId && '--secret-id'].filter(Boolean);
  if (given.length > 0) {
    usageError(
      command,
      `${given.join(' and ')} cannot be combined with --tenant ${flags.tenant}: the tenant's account and key come from the registry and its secret`,
    );
  }
}

/** The registered tenant, or a usage error naming the table it is not in. */
async function registeredTenant(command: Command, flags: ConnectionFlags): Promise<Tenant> {
  const tableName = requiredString(command, flags.table, SHARED_SETTINGS.stateTable);
  const client = new DynamoDBClient({});
  try {
    const tenant = await new DynamoTenantRegistry({ client, tableName }).get(flags.tenant);
    if (tenant === undefined) usageError(command, `no tenant ${flags.tenant} is registered in ${tableName}`);
    return tenant;
  } finally {
    client.destroy();
  }
}

/** Where the key comes from and which account it is for, per `--tenant`. */
async function accountAndKey(
  command: Command,
  flags: ConnectionFlags,
): Promise<{ accountId: string; apiKey: ApiKeySource; tenant?: Tenant }> {
  if (flags.tenant !== DEFAULT_TENANT_ID) {
    refuseWithTenant(command, flags);
    const tenant = await registeredTenant(command, flags);
    const secretId = tenantSecretName(tenant.id, 'cpaasApiKey');
    // Never $CPAAS_API_KEY: that is the default tenant's key, and using it here would cross tenants.
    return { accountId: tenant.cpaasAccountId, apiKey: () => apiKeyFromSecret(secretId), tenant };
  }
  const accountId = requiredString(command, flags.account, ACCOUNT);
  const envKey = process.env[API_KEY_ENV];
  const secretId = flags.secretId ?? (envKey ? undefined : process.env[ENV.cpaasApiKeySecretId]);
  if (!secretId && !envKey) {
    usageError(command, `set ${API_KEY_ENV}, or pass --secret-id (or set ${ENV.cpaasApiKeySecretId})`);
  }
  return { accountId, apiKey: secretId ? () => apiKeyFromSecret(secretId) : (envKey as string) };
}

/** A client for the `--tenant`'s account, and the registered tenant itself (undefined for `default`). */
export interface TenantConnection {
  readonly client: CpaasClient;
  readonly tenant?: Tenant;
}

/**
 * Builds a client from flags and environment; anything missing or malformed is a usage error (exit 2).
 * For the default tenant the key comes from `--secret-id`, else `CPAAS_API_KEY`, else the secret
 * the worker reads, so an operator on a deployed stack needs no key in the shell. For another
 * tenant the account id is the registry's and the key its own secret's, as the worker uses them.
 */
export async function connect(command: Command, flags: ConnectionFlags): Promise<TenantConnection> {
  const baseUrl = requiredString(command, flags.baseUrl, BASE_URL);
  const allowInsecureHttp = enabledByFlagOrEnv(flags.allowInsecureHttp, ENV.cpaasAllowInsecureHttp);
  if (baseUrl.startsWith('http://') && !allowInsecureHttp) {
    usageError(
      command,
      `${baseUrl} is plain http: pass --allow-insecure-http (local sandbox only) or use https://`,
    );
  }
  const { accountId, apiKey, tenant } = await accountAndKey(command, flags);
  try {
    const client = new CpaasClient({ baseUrl, accountId, apiKey, allowInsecureHttp });
    return tenant === undefined ? { client } : { client, tenant };
  } catch (error) {
    if (error instanceof CpaasError) usageError(command, error.message);
    throw error;
  }
}
