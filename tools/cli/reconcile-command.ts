import { readFile } from 'node:fs/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { type Command, Option } from 'commander';
import { DEFAULT_TENANT_ID } from '../../lambdas/contract/tenants.js';
import type { CpaasClient } from '../../lambdas/core/cpaas/client.js';
import type { LaneQueueUrls } from '../../lambdas/core/events/lane.js';
import { sqsLaneRoutedQueue } from '../../lambdas/core/events/lane-routed-queue.js';
import { DynamoStateStore } from '../../lambdas/core/state/state-store.js';
import { DeletionThresholdError, InvalidRosterError } from '../operations/errors.js';
import { createProgress } from '../operations/progress.js';
import {
  applyReconcilePlan,
  DEFAULT_ALLOWED_DELETES,
  formatPlan,
  loadReconcileState,
  planReconcile,
  planSummary,
  type ReconcilePlan,
} from '../operations/reconcile.js';
import { parseRoster, rosterFormatOf } from '../operations/roster.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { addConnectionOptions, type ConnectionFlags, connect } from './cpaas-connection.js';
import {
  bulkQueueOption,
  type LaneQueueFlags,
  laneQueueOptions,
  requiredLaneQueueUrls,
} from './lane-queue-options.js';
import { flagOrEnvOption, integerArgument, requiredString, SHARED_SETTINGS, usageError } from './options.js';
import { print } from './output.js';

interface ReconcileFlags extends ConnectionFlags, LaneQueueFlags {
  roster: string;
  apply?: boolean;
  allowDeletes: number;
  table?: string;
}

/** The events' `tenant`: none for the default tenant, so its events are exactly what they were before tenants. */
function eventTenant(flags: ReconcileFlags): string | undefined {
  return flags.tenant === DEFAULT_TENANT_ID ? undefined : flags.tenant;
}

const count = integerArgument(0, Number.POSITIVE_INFINITY, 'must be a whole number >= 0');

/** The roster file; one that does not parse is the caller's mistake (exit 2). */
async function readRoster(command: Command, path: string): Promise<ReturnType<typeof parseRoster>> {
  try {
    return parseRoster(await readFile(path, 'utf8'), rosterFormatOf(path));
  } catch (error) {
    if (error instanceof InvalidRosterError) usageError(command, error.message);
    throw error;
  }
}

/** The roster against every CPaaS user and every link, with a progress line while the users page in. */
async function planFromState(
  roster: ReturnType<typeof parseRoster>,
  api: CpaasClient,
  store: DynamoStateStore,
  tenant: string | undefined,
): Promise<ReconcilePlan> {
  const fetching = createProgress('CPaaS users fetched');
  const state = await loadReconcileState({ api, store, onUsers: (users) => fetching.update(users) });
  fetching.finish();
  return planReconcile({ roster, ...state, ...(tenant === undefined ? {} : { tenant }) });
}

/**
 * Enqueues the plan's events and returns how many. Past the deletion threshold nothing is sent and
 * the plan is printed before the error, so the operator sees what would have been deprovisioned.
 */
async function enqueuePlan(
  plan: ReconcilePlan,
  sqs: SQSClient,
  queueUrls: LaneQueueUrls,
  flags: ReconcileFlags,
): Promise<number> {
  const sending = createProgress('events enqueued');
  try {
    const events = await applyReconcilePlan(plan, {
      // Deprovisions on the priority lane, the rest on the standard one (past the tenant's burst
      // allowance on the bulk lane, given its queue), as ingest routes them.
      queue: sqsLaneRoutedQueue(sqs, queueUrls),
      allowDeletes: flags.allowDeletes,
      ...(eventTenant(flags) === undefined ? {} : { tenant: flags.tenant }),
      onProgress: (sent, total) => sending.update(sent, total),
    });
    return events.length;
  } catch (error) {
    if (error instanceof DeletionThresholdError) {
      print(flags.json ? JSON.stringify({ ...planSummary(plan), applied: false }) : formatPlan(plan));
    }
    throw error;
  } finally {
    sending.finish();
  }
}

function printOutcome(
  plan: ReconcilePlan,
  applied: boolean,
  enqueued: number,
  json: boolean | undefined,
): void {
  if (json) {
    print(JSON.stringify({ ...planSummary(plan), applied, enqueued }));
    return;
  }
  print(formatPlan(plan));
  print(
    applied
      ? `Enqueued ${enqueued} event(s); the worker applies them (watch the DLQ with \`cpaas-lifecycle dlq list\`).`
      : 'Nothing changed. Run again with --apply to enqueue these changes.',
  );
}

/**
 * `cpaas-lifecycle reconcile --roster FILE [--apply]`: the safety net for lost or never-sent
 * webhooks. Plans from the roster, the CPaaS users and the state table; applies by enqueueing
 * events, so the worker stays the only writer. `--tenant` names whose roster it is: that tenant's
 * account and key, its links only, and its events.
 */
export function registerReconcileCommands(program: Command): void {
  const command = program
    .command('reconcile')
    .description(COMMAND_SUMMARIES.reconcile)
    .requiredOption('--roster <file>', 'active employees: .csv with a header row, or .json array')
    .option('--apply', 'enqueue the planned events for the worker')
    .addOption(
      new Option('--allow-deletes <n>', 'deprovisions allowed in one --apply run')
        .argParser(count)
        .default(DEFAULT_ALLOWED_DELETES),
    )
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'));
  for (const option of laneQueueOptions('for --apply')) command.addOption(option);
  command.addOption(bulkQueueOption("for --apply: a tenant's events past its burst allowance"));
  addConnectionOptions(command).action(async (flags: ReconcileFlags, self: Command) => {
    const tableName = requiredString(self, flags.table, SHARED_SETTINGS.stateTable);
    const queueUrls = flags.apply ? requiredLaneQueueUrls(self, flags) : undefined;
    const roster = await readRoster(self, flags.roster);
    const { client: api } = await connect(self, flags);
    const dynamodb = new DynamoDBClient({});
    const sqs = new SQSClient({});
    try {
      const store = new DynamoStateStore({ client: dynamodb, tableName });
      const plan = await planFromState(roster, api, store, eventTenant(flags));
      const enqueued = queueUrls ? await enqueuePlan(plan, sqs, queueUrls, flags) : 0;
      printOutcome(plan, Boolean(queueUrls), enqueued, flags.json);
    } finally {
      await api.close();
      dynamodb.destroy();
      sqs.destroy();
    }
  });
}
