import { type Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_TENANT_ID, TENANT_ID_PATTERN } from '../../lambdas/contract/tenants.js';

/** The flag every operator command takes: whose account, dead letters or holds it acts on. */
export interface TenantFlags {
  tenant: string;
}

/**
 * `--tenant <id>`, `default` when absent: the deployment's own account, so a single-account
 * operator never types it. An id that is no tenant id is refused by commander (exit 2) before
 * anything is read.
 */
export function tenantOption(acts: string): Option {
  return new Option(
    '--tenant <id>',
    `tenant whose ${acts} (default: ${DEFAULT_TENANT_ID}, the deployment's own)`,
  )
    .argParser((text) => {
      if (!TENANT_ID_PATTERN.test(text)) {
        throw new InvalidArgumentError('must be a tenant id: 1 to 32 lower-case letters, digits or dashes');
      }
      return text;
    })
    .default(DEFAULT_TENANT_ID);
}

/** Whether `--tenant` was typed, rather than left at its default. */
export function tenantGiven(command: Command): boolean {
  return command.getOptionValueSource('tenant') === 'cli';
}
