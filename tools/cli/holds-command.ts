import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type Command, Option } from 'commander';
import { escapeUnsafeText } from '../../lambdas/core/events/clean-text.js';
import { DynamoHoldStore } from '../../lambdas/core/state/hold-store.js';
import {
  discardHolds,
  type HoldSummary,
  listHolds,
  releaseHolds,
  selectHolds,
  summarizeHold,
} from '../operations/holds.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { confirm } from './confirm.js';
import { type LaneQueueFlags, laneQueueOptions, requiredLaneQueueUrls } from './lane-queue-options.js';
import { allOrIds, flagOrEnvOption, refuseUnattended, requiredString, SHARED_SETTINGS } from './options.js';
import { print } from './output.js';
import { withSqs } from './sqs-client.js';
import { type TenantFlags, tenantOption } from './tenant-option.js';

interface TableFlags extends TenantFlags {
  table?: string;
  json?: boolean;
}

interface SelectionFlags extends TableFlags {
  all?: boolean;
  id?: string[];
}

const ID_USAGE = '--id <event-id...>';
const tableOption = () => flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table');
const holdsTenantOption = () => tenantOption('holds to act on');
const idOption = () => new Option(ID_USAGE, 'only these holds (event id, or employeeKey/eventId)');

function describeLine(hold: HoldSummary): string {
  return escapeUnsafeText(
    `${hold.employeeKey}  event ${hold.eventId}  ${hold.eventType}  held ${hold.heldAt}  window ${hold.recent}/${hold.limit}`,
  );
}

/** Runs `action` with a hold store on the table, closing the client however the action ends. */
async function withHolds<T>(
  command: Command,
  flags: TableFlags,
  action: (holds: DynamoHoldStore) => Promise<T>,
): Promise<T> {
  const tableName = requiredString(command, flags.table, SHARED_SETTINGS.stateTable);
  const client = new DynamoDBClient({});
  try {
    return await action(new DynamoHoldStore({ client, tableName }));
  } finally {
    client.destroy();
  }
}

/**
 * `cpaas-lifecycle holds ...`: what an operator does when the deletion brake trips: see which
 * terminations were held, then release them (they go through the worker as if just arrived,
 * past the brake) or discard them (a bad export). Holds are named by event id, or by
 * `employeeKey/eventId` when two employees' events share an id. Output shows ids, type and the
 * brake's window, never the event body. Each tenant has its own brake and so its own holds:
 * `--tenant` (default `default`) says whose, and no command touches another tenant's. The AWS
 * endpoint, region and credentials come from the usual AWS SDK environment (`AWS_ENDPOINT_URL`
 * for the local mode).
 */
export function registerHoldsCommands(program: Command): void {
  const holds = program.command('holds').description(COMMAND_SUMMARIES.holds);
  registerList(holds);
  registerRelease(holds);
  registerDiscard(holds);
}

function registerList(holds: Command): void {
  holds
    .command('list')
    .description('List held terminations, oldest first, with the window count and threshold when held.')
    .addOption(tableOption())
    .addOption(holdsTenantOption())
    .option('--json', 'print JSON')
    .action(async (flags: TableFlags, command: Command) => {
      const summaries = (await withHolds(command, flags, (store) => listHolds(store, flags.tenant))).map(
        summarizeHold,
      );
      if (flags.json) {
        print(JSON.stringify({ holds: summaries }));
        return;
      }
      print(summaries.length === 0 ? 'No terminations held.' : `${summaries.length} termination(s) held:`);
      for (const hold of summaries) print(describeLine(hold));
    });
}

function registerRelease(holds: Command): void {
  const release = holds
    .command('release')
    .description(
      "Send held terminations back to their lane's lifecycle queue; the worker applies them past the brake.",
    )
    .addOption(tableOption())
    .addOption(holdsTenantOption());
  for (const option of laneQueueOptions('to release to')) release.addOption(option);
  release
    .option('--all', 'every hold')
    .addOption(idOption())
    .option('--json', 'print JSON')
    .action(async (flags: SelectionFlags & LaneQueueFlags, command: Command) => {
      const selection = allOrIds(command, flags, ID_USAGE);
      const queueUrls = requiredLaneQueueUrls(command, flags);
      const released = await withSqs((sqs) =>
        withHolds(command, flags, (store) =>
          releaseHolds({
            holds: store,
            sqs,
            queueUrls,
            selection,
            tenantId: flags.tenant,
            ...(flags.json
              ? {}
              : {
                  onReleased: (hold) =>
                    print(
                      `released ${hold.employeeKey} event ${hold.eventId} -> message ${hold.messageId} on ${hold.queueUrl}`,
                    ),
                }),
          }),
        ),
      );
      if (flags.json) print(JSON.stringify({ queueUrls, released }));
      else print(`${released.length} hold(s) released.`);
    });
}

function registerDiscard(holds: Command): void {
  holds
    .command('discard')
    .description('Drop held terminations: they are never executed. Asks first unless --yes.')
    .addOption(tableOption())
    .addOption(holdsTenantOption())
    .option('--all', 'every hold')
    .addOption(idOption())
    .option('--yes', 'do not ask')
    .option('--json', 'print JSON')
    .action(async (flags: SelectionFlags & { yes?: boolean }, command: Command) => {
      const selection = allOrIds(command, flags, ID_USAGE);
      if (!flags.yes) refuseUnattended(command, 'discard');
      await withHolds(command, flags, async (store) => {
        if (!flags.yes) {
          const selected = await selectHolds(store, selection, flags.tenant);
          const question = `Discard ${selected.length} held termination(s)? They will never be executed. [y/N] `;
          if (selected.length === 0 || !(await confirm(question))) {
            print('Nothing discarded.');
            return;
          }
        }
        const discarded = (await discardHolds(store, selection, flags.tenant)).map(summarizeHold);
        if (flags.json) {
          print(JSON.stringify({ discarded }));
          return;
        }
        for (const hold of discarded) print(`discarded ${describeLine(hold)}`);
        print(`${discarded.length} hold(s) discarded.`);
      });
    });
}
