import type { Command } from 'commander';
import { benchJson, formatBenchTable, runBench } from '../bench/bench-run.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { integerFlag } from './options.js';

/**
 * `cpaas-lifecycle bench` (`npm run bench`): the performance figures as one table from one run.
 * Prints and exits 0 whatever the figures are: a bench informs, the tests decide.
 */
export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description(COMMAND_SUMMARIES.bench)
    .option('--events <n>', 'events for the secret-call, memory and per-event figures', '300')
    .option(
      '--backlog <n>',
      'hires queued ahead of the terminations in the revoke-latency figures (10000 takes long here)',
      '1000',
    )
    .option('--json', 'after the table, print every keyed figure as one JSON object on the last line')
    .option('--no-soak', 'leave out row 15, the 2,000-event soak (some 2.5 minutes)')
    .action(
      async (flags: { events: string; backlog: string; json?: boolean; soak: boolean }, command: Command) => {
        const events = integerFlag(command, '--events', flags.events, 100, 1_000_000);
        const backlog = integerFlag(command, '--backlog', flags.backlog, 10, 100_000);
        const log = (line: string) => process.stderr.write(`${line}\n`);
        const started = Date.now();
        const rows = await runBench({ events, backlog, soak: flags.soak, log });
        for (const line of formatBenchTable(rows)) process.stdout.write(`${line}\n`);
        process.stdout.write(`bench took ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
        if (flags.json) process.stdout.write(`${JSON.stringify(benchJson(rows))}\n`);
      },
    );
}
