import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import { DynamoStateStore } from '../../lambdas/core/state/state-store.js';
import { sqsEventQueue } from '../../lambdas/ingest/enqueue.js';
import { DeletionThresholdError, InvalidRosterError } from '../operations/errors.js';
import { createProgress } from '../operations/progress.js';
import {
  applyReconcilePlan,
  DEFAULT_ALLOWED_DELETES,
  formatPlan,
  loadReconcileState,
  planReconcile,
  planSummary,
} from '../operations/reconcile.js';
import { parseRoster, rosterFormatOf } from '../operations/roster.js';
import { EXIT } from './exit-codes.js';
import { addConnectionOptions, type ConnectionFlags, clientFor } from './users-command.js';

interface ReconcileFlags extends ConnectionFlags {
  roster: string;
  apply?: boolean;
  allowDeletes: number;
  table?: string;
  queueUrl?: string;
  tenant?: string;
}

function count(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('must be a whole number >= 0');
  return parsed;
}

function required(command: Command, value: string | undefined, flag: string, env: string): string {
  if (!value) command.error(`error: pass ${flag} or set ${env}`, { exitCode: EXIT.usage });
  return value;
}

/**
 * `cpaas-lifecycle reconcile --roster FILE [--apply]`: the safety net for lost or never-sent
 * webhooks. Plans from the roster, the CPaaS users and the state table; applies by enqueueing
 * events, so the worker stays the only writer.
 */
export function registerReconcileCommands(program: Command): void {
  const command = program
    .command('reconcile')
    .description(
      'Compare the HRIS roster with the CPaaS users and the state table; --apply enqueues the fixes.',
    )
    .requiredOption('--roster <file>', 'active employees: .csv with a header row, or .json array')
    .option('--apply', 'enqueue the planned events for the worker')
    .addOption(
      new Option('--allow-deletes <n>', 'deprovisions allowed in one --apply run')
        .argParser(count)
        .default(DEFAULT_ALLOWED_DELETES),
    )
    .addOption(new Option('--table <name>', `state table (default: $${ENV.stateTableName})`))
    .addOption(new Option('--queue-url <url>', `lifecycle queue for --apply (default: $${ENV.queueUrl})`))
    .option('--tenant <tenant>', 'HR tenant of the roster (default: "default")');
  addConnectionOptions(command).action(async (flags: ReconcileFlags, self: Command) => {
    const tableName = required(
      self,
      flags.table ?? process.env[ENV.stateTableName],
      '--table',
      ENV.stateTableName,
    );
    const queueUrl = flags.apply
      ? required(self, flags.queueUrl ?? process.env[ENV.queueUrl], '--queue-url', ENV.queueUrl)
      : undefined;
    let roster: ReturnType<typeof parseRoster>;
    try {
      roster = parseRoster(await readFile(flags.roster, 'utf8'), rosterFormatOf(flags.roster));
    } catch (error) {
      if (error instanceof InvalidRosterError)
        self.error(`error: ${error.message}`, { exitCode: EXIT.usage });
      throw error;
    }
    const api = clientFor(self, flags);
    const dynamodb = new DynamoDBClient({});
    const sqs = new SQSClient({});
    try {
      const fetching = createProgress('CPaaS users fetched');
      const state = await loadReconcileState({
        api,
        store: new DynamoStateStore({ client: dynamodb, tableName }),
        onUsers: (users) => fetching.update(users),
      });
      fetching.finish();
      const tenant = flags.tenant;
      const plan = planReconcile({ roster, ...state, ...(tenant === undefined ? {} : { tenant }) });
      let enqueued = 0;
      if (queueUrl) {
        const sending = createProgress('events enqueued');
        try {
          const events = await applyReconcilePlan(plan, {
            queue: sqsEventQueue(sqs, queueUrl),
            allowDeletes: flags.allowDeletes,
            ...(tenant === undefined ? {} : { tenant }),
            onProgress: (sent, total) => sending.update(sent, total),
          });
          enqueued = events.length;
        } catch (error) {
          if (error instanceof DeletionThresholdError) {
            process.stdout.write(
              `${flags.json ? JSON.stringify({ ...planSummary(plan), applied: false }) : formatPlan(plan)}\n`,
            );
          }
          throw error;
        } finally {
          sending.finish();
        }
      }
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ ...planSummary(plan), applied: Boolean(queueUrl), enqueued })}\n`,
        );
        return;
      }
      process.stdout.write(`${formatPlan(plan)}\n`);
      process.stdout.write(
        queueUrl
          ? `Enqueued ${enqueued} event(s); the worker applies them (watch the DLQ with \`cpaas-lifecycle dlq list\`).\n`
          : 'Nothing changed. Run again with --apply to enqueue these changes.\n',
      );
    } finally {
      await api.close();
      dynamodb.destroy();
      sqs.destroy();
    }
  });
}
