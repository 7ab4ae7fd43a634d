import type { Command } from 'commander';
import type { CommandName } from './command-summaries.js';

type Register = (program: Command) => void;

/**
 * Where each command group lives, loaded only when that command runs: importing every group up
 * front pulled in the AWS SDK, undici, the sandbox and the bench for `--help` (about 0.9 s).
 */
export const COMMAND_MODULES: Readonly<Record<CommandName, () => Promise<Register>>> = {
  send: async () => (await import('./send-command.js')).registerSendCommands,
  dlq: async () => (await import('./dlq-command.js')).registerDlqCommands,
  holds: async () => (await import('./holds-command.js')).registerHoldsCommands,
  local: async () => (await import('./local-command.js')).registerLocalCommands,
  reconcile: async () => (await import('./reconcile-command.js')).registerReconcileCommands,
  plan: async () => (await import('./plan-command.js')).registerPlanCommands,
  users: async () => (await import('./users-command.js')).registerUsersCommands,
  tenants: async () => (await import('./tenants-command.js')).registerTenantsCommands,
  scim: async () => (await import('./scim-command.js')).registerScimCommands,
  gusto: async () => (await import('./gusto-command.js')).registerGustoCommands,
  sandbox: async () => (await import('./sandbox-command.js')).registerSandboxCommands,
  soak: async () => (await import('./soak-command.js')).registerSoakCommands,
  bench: async () => (await import('./bench-command.js')).registerBenchCommands,
};
