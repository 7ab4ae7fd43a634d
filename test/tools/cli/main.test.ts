import { describe, expect, it } from 'vitest';
import { COMMAND_SUMMARIES } from '../../../tools/cli/command-summaries.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { runCliProcess } from './cli-process.js';
import { runCli } from './run-cli.js';

const env = { PATH: process.env.PATH ?? '' };

describe('cpaas-lifecycle (the command tree, loaded one group at a time)', () => {
  it('--help lists every command group with its summary, from the real binary', async () => {
    const help = await runCliProcess(['--help'], { env });
    expect(help.code).toBe(0);
    for (const [name, summary] of Object.entries(COMMAND_SUMMARIES)) {
      expect(help.stdout.replace(/\s+/g, ' ')).toContain(`${name} ${summary}`);
    }
  });

  it('help <group> and <group> --help load that group: its subcommands and options show', async () => {
    const help = await runCli('help', 'dlq');
    expect(help.stdout).toMatch(/^ {2}list\b/m);
    expect(help.stdout).toMatch(/^ {2}redrive\b/m);
    const own = await runCli('holds', '--help');
    expect(own.stdout).toMatch(/^ {2}release\b/m);
  });

  it('an unknown command is a usage error that lists the commands', async () => {
    const result = await runCli('nosuch');
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain("unknown command 'nosuch'");
    expect(result.stderr).toContain('reconcile');
  });
});
