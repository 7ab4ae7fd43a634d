import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { retirePreviousScimToken, rotateScimToken } from '../operations/scim-tokens.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { type FlagOrEnv, flagOrEnvOption, requiredString } from './options.js';
import { print } from './output.js';
import { withClient } from './sqs-client.js';

const TOKENS_SECRET: FlagOrEnv = { flag: '--secret-id', env: ENV.scimTokensSecretId };

interface TokenFlags {
  secretId?: string;
  json?: boolean;
}

/** The command's Secrets Manager client, from the usual AWS SDK environment. */
const withSecrets = <T>(action: (client: SecretsManagerClient) => Promise<T>) =>
  withClient(new SecretsManagerClient({}), action);

const secretOption = () =>
  flagOrEnvOption(TOKENS_SECRET, 'id', 'SCIM tokens secret (the stack output ScimTokensSecretArn)');

/**
 * `cpaas-lifecycle scim rotate-token|retire-token`: the bearer token an identity provider sends.
 * A rotation keeps the old token valid until `retire-token`, so the provider can be switched
 * without a window of refused requests; the new token is printed once, never logged.
 */
export function registerScimCommands(program: Command): void {
  const scim = program.command('scim').description(COMMAND_SUMMARIES.scim);
  scim
    .command('rotate-token')
    .description(
      'Create the tokens secret, or make a new current token (the old one stays valid as previous). Prints the new token once.',
    )
    .addOption(secretOption())
    .option('--json', 'print JSON')
    .action(async (flags: TokenFlags, command: Command) => {
      const secretId = requiredString(command, flags.secretId, TOKENS_SECRET);
      const { token, rotated } = await withSecrets((client) => rotateScimToken(client, secretId));
      if (flags.json) {
        print(JSON.stringify({ token, rotated }));
        return;
      }
      print(token);
      process.stderr.write(
        rotated
          ? 'New current token above; the previous one is still accepted until `scim retire-token`.\n'
          : `Created ${secretId} with the token above.\n`,
      );
    });
  scim
    .command('retire-token')
    .description('Stop accepting the previous token, once the identity provider uses the current one.')
    .addOption(secretOption())
    .option('--json', 'print JSON')
    .action(async (flags: TokenFlags, command: Command) => {
      const secretId = requiredString(command, flags.secretId, TOKENS_SECRET);
      const retired = await withSecrets((client) => retirePreviousScimToken(client, secretId));
      print(
        flags.json
          ? JSON.stringify({ retired })
          : retired
            ? 'The previous token is no longer accepted.'
            : 'There was no previous token.',
      );
    });
}
