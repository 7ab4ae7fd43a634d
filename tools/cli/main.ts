import { Command, CommanderError } from 'commander';
import { registerBenchCommands } from './bench-command.js';
import { registerDlqCommands } from './dlq-command.js';
import { EXIT } from './exit-codes.js';
import { registerHoldsCommands } from './holds-command.js';
import { registerLocalCommands } from './local-command.js';
import { registerPlanCommands } from './plan-command.js';
import { registerReconcileCommands } from './reconcile-command.js';
import { registerSandboxCommands } from './sandbox-command.js';
import { registerSendCommands } from './send-command.js';
import { registerSoakCommands } from './soak-command.js';
import { registerUsersCommands } from './users-command.js';

/** Builds the `cpaas-lifecycle` command tree; each command group registers itself from its own file. */
export function buildProgram(): Command {
  const program = new Command('cpaas-lifecycle')
    .description('Keep VoIP users on the CPaaS platform in step with the HR system.')
    .showHelpAfterError()
    .exitOverride();
  registerSendCommands(program);
  registerDlqCommands(program);
  registerHoldsCommands(program);
  registerLocalCommands(program);
  registerReconcileCommands(program);
  registerPlanCommands(program);
  registerUsersCommands(program);
  registerSandboxCommands(program);
  registerSoakCommands(program);
  registerBenchCommands(program);
  return program;
}

/** Runs the CLI and resolves to the process exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return EXIT.ok;
      return EXIT.usage;
    }
    process.stderr.write(`error: ${(error as Error).message}\n`);
    return typeof (error as { exitCode?: unknown }).exitCode === 'number'
      ? (error as { exitCode: number }).exitCode
      : EXIT.failed;
  }
}
