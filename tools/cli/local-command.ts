import { type Command, Option } from 'commander';
import { DEFAULTS, HR_API_SOURCES, type HrApiSource } from '../../lambdas/contract/settings.js';
import { escapeUnsafeLines } from '../../lambdas/core/events/clean-text.js';
import { type ExternalHrApi, startLocalMode } from '../local/local-mode.js';
import { MAX_LOCAL_TENANTS } from '../local/local-tenants.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { EXIT } from './exit-codes.js';
import { hrSourceFiles, hrSourcePairs } from './hr-source-pairs.js';
import { awsEndpointFromEnv, integerFlag, positiveSecondsFlag, usageError } from './options.js';
import { listenForStop } from './process-signals.js';

interface LocalFlags {
  port: string;
  cpaasUrl?: string;
  apiKey?: string;
  account?: string;
  visibilityTimeout: string;
  sweepInterval: string;
  hrisUrl?: string[];
  hrisCredentials?: string[];
  tenants?: string;
}

/** `CPAAS_LIFECYCLE_BAMBOOHR_CREDENTIALS` and the like: a source's credentials JSON, or its webhook secret. */
function hrisEnv(source: HrApiSource, what: 'CREDENTIALS' | 'WEBHOOK_SECRET'): string {
  return `CPAAS_LIFECYCLE_${source.toUpperCase()}_${what}`;
}

/**
 * The sources `--hris-url` points at another API than their bundled fake, each with its
 * credentials from `--hris-credentials` (a file) or the environment, and the signing secret the
 * provider issued from the environment (else local mode generates one).
 */
function externalHrApis(command: Command, flags: LocalFlags): Partial<Record<HrApiSource, ExternalHrApi>> {
  const urls = hrSourcePairs(command, '--hris-url', flags.hrisUrl);
  const files = hrSourceFiles(command, '--hris-credentials', flags.hrisCredentials);
  const apis: Partial<Record<HrApiSource, ExternalHrApi>> = {};
  for (const [source, apiBaseUrl] of Object.entries(urls) as [HrApiSource, string][]) {
    const credentials = files[source] ?? process.env[hrisEnv(source, 'CREDENTIALS')];
    if (!credentials) {
      usageError(
        command,
        `--hris-url ${source} needs its credentials: --hris-credentials ${source}=<file> or ${hrisEnv(source, 'CREDENTIALS')}`,
      );
    }
    const webhookSecret = process.env[hrisEnv(source, 'WEBHOOK_SECRET')];
    apis[source] = { apiBaseUrl, credentials, ...(webhookSecret ? { webhookSecret } : {}) };
  }
  return apis;
}

/**
 * `cpaas-lifecycle local` (`npm start`): the whole pipeline on this machine. Stdout carries one
 * JSON ready line for scripts (then the handlers' structured JSON logs); the human-readable
 * progress goes to stderr, so `npm start | head -1` gives a script everything it needs.
 */
export function registerLocalCommands(program: Command): void {
  program
    .command('local')
    .description(COMMAND_SUMMARIES.local)
    .option('--port <port>', 'webhook port (0 picks a free one)', '3000')
    .option(
      '--cpaas-url <url>',
      'use this CPaaS API instead of the bundled sandbox (needs --api-key, --account)',
    )
    .option('--api-key <key>', 'API key for --cpaas-url')
    .option('--account <id>', 'CPaaS account id for --cpaas-url')
    .addOption(
      new Option('--visibility-timeout <seconds>', 'how soon a failed event is retried').default('10'),
    )
    .option(
      '--sweep-interval <seconds>',
      'how often the sweep queues due events and deletes users past their grace period',
      String(DEFAULTS.sweepIntervalSeconds),
    )
    .option(
      '--hris-url <source=url...>',
      `fetch that source's people from this API (e.g. the provider's sandbox) instead of its bundled fake (${HR_API_SOURCES.join(', ')})`,
    )
    .option(
      '--hris-credentials <source=file...>',
      "that API's credentials JSON (default: $CPAAS_LIFECYCLE_<SOURCE>_CREDENTIALS)",
    )
    .option(
      '--tenants <n>',
      `register tenants t1..tN (1..${MAX_LOCAL_TENANTS}), each with its own sandbox account and secrets`,
    )
    .action(async (flags: LocalFlags, command: Command) => {
      const port = integerFlag(command, '--port', flags.port, 0, 65_535);
      const sweepIntervalSeconds = integerFlag(command, '--sweep-interval', flags.sweepInterval, 1, 86_400);
      const external = [flags.cpaasUrl, flags.apiKey, flags.account];
      if (external.some(Boolean) && !external.every(Boolean)) {
        usageError(command, '--cpaas-url, --api-key and --account go together');
      }
      const tenants =
        flags.tenants === undefined
          ? undefined
          : integerFlag(command, '--tenants', flags.tenants, 1, MAX_LOCAL_TENANTS);
      if (tenants !== undefined && flags.cpaasUrl) {
        usageError(
          command,
          '--tenants needs the bundled CPaaS sandbox (it opens an account per tenant), not --cpaas-url',
        );
      }
      const visibilityTimeoutSeconds = positiveSecondsFlag(
        command,
        '--visibility-timeout',
        flags.visibilityTimeout,
      );
      const hrApis = externalHrApis(command, flags);
      const log = (line: string) => process.stderr.write(`${escapeUnsafeLines(line)}\n`);
      const stopRequest = listenForStop();
      const running = await startLocalMode({
        port,
        log,
        visibilityTimeoutSeconds,
        sweepIntervalSeconds,
        hrApis,
        ...(tenants === undefined ? {} : { tenants }),
        ...awsEndpointFromEnv(),
        ...(flags.cpaasUrl && flags.apiKey && flags.account
          ? { cpaas: { baseUrl: flags.cpaasUrl, apiKey: flags.apiKey, accountId: flags.account } }
          : {}),
      }).catch((error: unknown) => {
        stopRequest.dispose();
        throw error;
      });
      process.stdout.write(`${JSON.stringify(running.ready)}\n`);
      log(`ready: POST signed events to ${running.ready.webhookUrl} (Ctrl-C stops everything)`);
      const ended = await Promise.race([stopRequest.signal, running.failed]);
      const failure = typeof ended === 'string' ? undefined : ended;
      log(failure ? `${failure.message}: stopping local mode` : `stopping on ${ended}`);
      stopRequest.dispose();
      await running.stop();
      log('stopped');
      // Keep-alive sockets of the in-process handlers must not hold the process open after a signal.
      setTimeout(() => process.exit(process.exitCode ?? EXIT.ok), 1_000).unref();
      // Nothing accepted can be applied any more: a supervisor (or a script) must see a failure.
      if (failure) throw Object.assign(failure, { exitCode: EXIT.failed });
    });
}
