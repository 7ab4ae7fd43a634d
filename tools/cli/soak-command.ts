import type { Command } from 'commander';
import { FULL_SOAK, FULL_SOAK_TIMEOUT_MS, SOAK_FAULTS } from '../bench/soak-profiles.js';
import { describeSoak, runSoak } from '../bench/soak-run.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { awsEndpointFromEnv, integerFlag } from './options.js';

interface SoakFlags {
  events: string;
  employees: string;
  seed: string;
}

/**
 * `cpaas-lifecycle soak` (`npm run soak`): the reliability proof. Runs the seeded HR history
 * through the local pipeline under injected faults and exits 1 unless the roster, duplicates,
 * lost events and DLQ all match the independent model.
 */
export function registerSoakCommands(program: Command): void {
  program
    .command('soak')
    .description(COMMAND_SUMMARIES.soak)
    .option('--events <n>', 'lifecycle events', String(FULL_SOAK.events))
    .option('--employees <n>', 'employees', String(FULL_SOAK.employees))
    .option('--seed <n>', 'seed for the history and the faults', String(FULL_SOAK.seed))
    .action(async (flags: SoakFlags, command: Command) => {
      const events = integerFlag(command, '--events', flags.events, 10, 1_000_000);
      const employees = integerFlag(command, '--employees', flags.employees, 2, 100_000);
      const seed = integerFlag(command, '--seed', flags.seed, 0, 2 ** 31);
      const log = (line: string) => process.stdout.write(`${line}\n`);
      log(`soak: ${events} events for ${employees} employees, seed ${seed}`);
      const report = await runSoak({
        ...FULL_SOAK,
        events,
        employees,
        seed,
        poisonEvents: Math.max(1, Math.round(events / 100)),
        faults: SOAK_FAULTS,
        ...awsEndpointFromEnv(),
        timeoutMs: FULL_SOAK_TIMEOUT_MS,
        log,
      });
      for (const line of describeSoak(report)) log(line);
      if (!report.passed) {
        for (const line of [...report.rosterMismatches, ...report.lostEvents.map((id) => `lost ${id}`)].slice(
          0,
          20,
        )) {
          log(`  ${line}`);
        }
        throw new Error('soak failed: the pipeline did not converge to the expected state');
      }
    });
}
