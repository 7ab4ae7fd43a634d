import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Command, Option } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { CpaasClient } from '../../lambdas/core/cpaas/client.js';
import { CpaasError } from '../../lambdas/core/cpaas/errors.js';
import {
  enabledByFlagOrEnv,
  type FlagOrEnv,
  flagOrEnvOption,
  requiredString,
  usageError,
} from './options.js';

/** Read only here: the CLI's way to pass a key without Secrets Manager (the Lambda never reads it). */
export const API_KEY_ENV = 'CPAAS_API_KEY';

const BASE_URL: FlagOrEnv = { flag: '--base-url', env: ENV.cpaasBaseUrl };
const ACCOUNT: FlagOrEnv = { flag: '--account', env: ENV.cpaasAccountId };

/** The flags every command that talks to the CPaaS API takes (`users`, `plan`, `reconcile`). */
export interface ConnectionFlags {
  baseUrl?: string;
  account?: string;
  secretId?: string;
  allowInsecureHttp?: boolean;
  json?: boolean;
}

/** Registers the connection flags, each with the variable it falls back on, the worker's own names. */
export function addConnectionOptions(command: Command): Command {
  return command
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

/**
 * Builds a client from flags and environment; anything missing or malformed is a usage error (exit 2).
 * The key comes from `--secret-id`, else `CPAAS_API_KEY`, else the secret the worker reads, so an
 * operator on a deployed stack needs no key in the shell.
 */
export function clientFor(command: Command, flags: ConnectionFlags): CpaasClient {
  const baseUrl = requiredString(command, flags.baseUrl, BASE_URL);
  const accountId = requiredString(command, flags.account, ACCOUNT);
  const envKey = process.env[API_KEY_ENV];
  const secretId = flags.secretId ?? (envKey ? undefined : process.env[ENV.cpaasApiKeySecretId]);
  if (!secretId && !envKey) {
    usageError(command, `set ${API_KEY_ENV}, or pass --secret-id (or set ${ENV.cpaasApiKeySecretId})`);
  }
  const allowInsecureHttp = enabledByFlagOrEnv(flags.allowInsecureHttp, ENV.cpaasAllowInsecureHttp);
  if (baseUrl.startsWith('http://') && !allowInsecureHttp) {
    usageError(
      command,
      `${baseUrl} is plain http: pass --allow-insecure-http (local sandbox only) or use https://`,
    );
  }
  try {
    return new CpaasClient({
      baseUrl,
      accountId,
      apiKey: secretId ? () => apiKeyFromSecret(secretId) : (envKey as string),
      allowInsecureHttp,
    });
  } catch (error) {
    if (error instanceof CpaasError) usageError(command, error.message);
    throw error;
  }
}
