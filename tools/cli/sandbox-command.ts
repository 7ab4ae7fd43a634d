import type { Command } from 'commander';
import { startSandbox } from '../sandbox/index.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { integerFlag, usageError } from './options.js';
import { listenForStop } from './process-signals.js';

interface SandboxFlags {
  port: string;
  host: string;
  account?: string;
  apiKey?: string;
  seed?: string;
}

/**
 * `cpaas-lifecycle sandbox`: the CPaaS API stand-in as its own process, so child processes, the
 * bench and manual `curl` sessions can use it. Stdout carries one JSON line with what a client
 * needs (url, accountId, apiKey); faults and state are driven through `/_sandbox/...`.
 */
export function registerSandboxCommands(program: Command): void {
  program
    .command('sandbox')
    .description(COMMAND_SUMMARIES.sandbox)
    .option('--port <port>', 'port to listen on (0 picks a free one)', '4010')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--account <id>', 'account id, 32 alphanumeric (generated when absent)')
    .option('--api-key <key>', 'API key clients must send (generated when absent)')
    .option('--seed <n>', 'RNG seed so random faults reproduce')
    .action(async (flags: SandboxFlags, command: Command) => {
      const port = integerFlag(command, '--port', flags.port, 0, 65_535);
      const seed =
        flags.seed === undefined ? undefined : integerFlag(command, '--seed', flags.seed, 0, 2 ** 32 - 1);
      if (flags.account !== undefined && !/^[A-Za-z0-9]{32}$/.test(flags.account)) {
        usageError(command, '--account must be 32 alphanumeric characters');
      }
      const stopRequest = listenForStop();
      const sandbox = await startSandbox({
        port,
        host: flags.host,
        ...(flags.account === undefined ? {} : { accountId: flags.account }),
        ...(flags.apiKey === undefined ? {} : { apiKey: flags.apiKey }),
        ...(seed === undefined ? {} : { seed }),
      });
      process.stdout.write(
        `${JSON.stringify({ url: sandbox.url, accountId: sandbox.accountId, apiKey: sandbox.apiKey })}\n`,
      );
      process.stderr.write(`stopping on ${await stopRequest.signal}\n`);
      stopRequest.dispose();
      await sandbox.close();
    });
}
