import { Command, CommanderError } from 'commander';
import { COMMAND_MODULES } from './command-index.js';
import { COMMAND_SUMMARIES, type CommandName } from './command-summaries.js';
import { EXIT } from './exit-codes.js';

const isCommandName = (name: string | undefined): name is CommandName =>
  name !== undefined && Object.hasOwn(COMMAND_SUMMARIES, name);

/** The command group `argv` runs (`dlq list`, `help dlq`), if it names one. */
function commandOf(argv: readonly string[]): CommandName | undefined {
  const [first, second] = argv.slice(2);
  if (isCommandName(first)) return first;
  return first === 'help' && isCommandName(second) ? second : undefined;
}

/**
 * Builds the `cpaas-lifecycle` command tree with the one group `argv` runs, loaded from its own
 * file; every other group is only its name and summary, which is all `--help` and a mistyped
 * command need. So a command pays for its own modules only.
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('cpaas-lifecycle')
    .description('Keep VoIP users on the CPaaS platform in step with the HR system.')
    .showHelpAfterError()
    .exitOverride();
  const running = commandOf(argv);
  for (const name of Object.keys(COMMAND_SUMMARIES) as CommandName[]) {
    if (name === running) (await COMMAND_MODULES[name]())(program);
    else program.command(name).description(COMMAND_SUMMARIES[name]);
  }
  return program;
}

/** Runs the CLI and resolves to the process exit code instead of exiting, so tests can call it. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    const program = await buildProgram(argv);
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
