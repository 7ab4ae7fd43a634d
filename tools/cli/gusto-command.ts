import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { DEFAULTS, hrCredentialsSecretName } from '../../lambdas/contract/settings.js';
import {
  DEFAULT_TENANT_ID,
  tenantHrCredentialsSecretName,
  tenantSecretName,
} from '../../lambdas/contract/tenants.js';
import { DynamoHandshakeStore } from '../../lambdas/core/state/handshake-store.js';
import { verifyGustoSubscription } from '../operations/gusto-verification.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { type FlagOrEnv, flagOrEnvOption, requiredString, SHARED_SETTINGS } from './options.js';
import { print } from './output.js';
import { type TenantFlags, tenantOption } from './tenant-option.js';

const WEBHOOK_SECRETS: FlagOrEnv = { flag: '--webhook-secrets-secret-id', env: ENV.webhookSecretsSecretId };
/** Gusto's production API; the demo environment is `https://api.gusto-demo.com`. */
export const GUSTO_API_BASE_URL = 'https://api.gusto.com';

interface VerifyFlags extends TenantFlags {
  table?: string;
  webhookSecretsSecretId?: string;
  credentialsSecretId?: string;
  apiBaseUrl: string;
  json?: boolean;
}

/**
 * `cpaas-lifecycle gusto verify <subscription-uuid>`: the last step of registering the Gusto
 * webhook. Ingest answered Gusto's verification POST and kept its token for an hour; this confirms
 * it with Gusto and, once Gusto accepts it, makes it the `gusto` signing secret. The token is
 * never printed.
 */
export function registerGustoCommands(program: Command): void {
  const gusto = program.command('gusto').description(COMMAND_SUMMARIES.gusto);
  gusto
    .command('verify')
    .description(
      'Confirm a new webhook subscription with the verification token Gusto posted to ingest, then store it as the gusto webhook secret.',
    )
    .argument('<subscription-uuid>', 'the webhook subscription uuid Gusto returned')
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'))
    .addOption(flagOrEnvOption(WEBHOOK_SECRETS, 'id', 'webhook secrets secret'))
    .option(
      '--credentials-secret-id <id>',
      `Gusto credentials secret (clientId, clientSecret; default: ${hrCredentialsSecretName('gusto')}, or a tenant's own)`,
    )
    .addOption(tenantOption('Gusto subscription it is (the tenant URL Gusto posted to)'))
    .option('--api-base-url <url>', 'Gusto API (demo: https://api.gusto-demo.com)', GUSTO_API_BASE_URL)
    .option('--json', 'print JSON')
    .action(async (subscriptionUuid: string, flags: VerifyFlags, command: Command) => {
      const tableName = requiredString(command, flags.table, SHARED_SETTINGS.stateTable);
      // A registered tenant's secrets are found by name; the default tenant's are the deployment's.
      const registered = flags.tenant !== DEFAULT_TENANT_ID;
      const webhookSecretsSecretId = registered
        ? (flags.webhookSecretsSecretId ?? tenantSecretName(flags.tenant, 'webhookSecrets'))
        : requiredString(command, flags.webhookSecretsSecretId, WEBHOOK_SECRETS);
      const credentialsSecretId =
        flags.credentialsSecretId ??
        (registered
          ? tenantHrCredentialsSecretName(flags.tenant, 'gusto')
          : hrCredentialsSecretName('gusto'));
      const dynamo = new DynamoDBClient({});
      const secrets = new SecretsManagerClient({});
      try {
        const verified = await verifyGustoSubscription(
          {
            handshakes: new DynamoHandshakeStore({
              client: dynamo,
              tableName,
              retentionSeconds: DEFAULTS.handshakeRetentionMinutes * 60,
            }),
            secrets,
            webhookSecretsSecretId,
            credentialsSecretId,
            apiBaseUrl: flags.apiBaseUrl,
            tenantId: flags.tenant,
          },
          subscriptionUuid,
        );
        print(
          flags.json
            ? JSON.stringify(verified)
            : `Subscription ${verified.subscriptionUuid} verified; its token is the gusto webhook secret ` +
                `(${verified.gustoSecrets} held). Ingest uses it within ${DEFAULTS.secretCacheSeconds} s.`,
        );
      } finally {
        dynamo.destroy();
        secrets.destroy();
      }
    });
}
