import { readFile } from 'node:fs/promises';
import { text } from 'node:stream/consumers';
import { DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type Command, Option } from 'commander';
import {
  type DeprovisioningSettings,
  deprovisioningSettingsFromEnv,
  ENV,
} from '../../lambdas/contract/environment.js';
import { ConfigurationError } from '../../lambdas/contract/errors.js';
import { TERMINATION_POLICIES, type TerminationPolicy } from '../../lambdas/contract/settings.js';
import { stateTablePorts } from '../../lambdas/core/config/environment.js';
import { escapeUnsafeText } from '../../lambdas/core/events/clean-text.js';
import {
  InvalidLifecycleEventError,
  type LifecycleEvent,
  parseLifecycleEvent,
  tenantOf,
} from '../../lambdas/core/events/lifecycle-event.js';
import { DynamoDeletionBrake } from '../../lambdas/core/state/deletion-brake.js';
import type { Tenant } from '../../lambdas/core/tenants/tenant.js';
import { type PlanPreview, type PreviewMatch, previewEvent } from '../operations/plan-preview.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { addConnectionOptions, type ConnectionFlags, connect } from './cpaas-connection.js';
import { flagOrEnvOption, requiredString, SHARED_SETTINGS, usageError } from './options.js';
import { print } from './output.js';
import { tenantGiven } from './tenant-option.js';

interface PlanFlags extends ConnectionFlags {
  event: string;
  table?: string;
  policy?: TerminationPolicy;
}

/** The event from a file or, for `-`, stdin; unreadable or invalid is the caller's mistake (exit 2). */
async function readEvent(command: Command, path: string): Promise<LifecycleEvent> {
  let body: string;
  try {
    body = path === '-' ? await text(process.stdin) : await readFile(path, 'utf8');
  } catch (error) {
    usageError(command, `cannot read the event file ${path}: ${(error as Error).message}`);
  }
  try {
    return parseLifecycleEvent(body);
  } catch (error) {
    if (!(error instanceof InvalidLifecycleEventError)) throw error;
    // Field paths and rule messages only: the values (an email, a name) are never echoed.
    const fields = error.issues.map((issue) => `  ${issue.path}: ${issue.message}`).join('\n');
    usageError(command, `${path} is not a valid lifecycle event:\n${fields}`);
  }
}

/**
 * The worker's settings that change its decision: a registered tenant's own, else those the
 * worker reads from its environment (the same variables); `--policy` overrides either.
 */
function workerSettings(
  command: Command,
  flags: PlanFlags,
  tenant: Tenant | undefined,
): DeprovisioningSettings {
  try {
    const settings = tenant?.deprovisioning ?? deprovisioningSettingsFromEnv(process.env);
    return flags.policy === undefined ? settings : { ...settings, policy: flags.policy };
  } catch (error) {
    if (error instanceof ConfigurationError) usageError(command, error.message);
    throw error;
  }
}

/**
 * The event's tenant is the one the plan is for: `--tenant` when given (an event naming another
 * is refused, it would be planned against the wrong account), else the event's own.
 */
function withTenant(command: Command, flags: PlanFlags, event: LifecycleEvent): LifecycleEvent {
  if (!tenantGiven(command)) {
    flags.tenant = tenantOf(event);
    return event;
  }
  if (event.tenant !== undefined && event.tenant !== flags.tenant) {
    usageError(command, `the event is tenant ${event.tenant}'s, not ${flags.tenant}'s`);
  }
  return tenantOf(event) === flags.tenant ? event : { ...event, tenant: flags.tenant };
}

function describeMatch(match: PreviewMatch): string[] {
  const last =
    match.lastEventId === undefined
      ? ''
      : `; last applied event ${match.lastEventId} at ${match.lastEventTime}`;
  const lines = [
    match.linked
      ? `Employee ${match.employeeKey}: linked to CPaaS user ${match.cpaasUserId} (${match.status})${last}`
      : `Employee ${match.employeeKey}: not linked${match.status === undefined ? ' (no link recorded)' : ` (${match.status})`}${last}`,
  ];
  if (match.deleteAfter !== undefined) lines.push(`  deleted by the sweep after ${match.deleteAfter}`);
  if (match.pending !== undefined) {
    lines.push(`  pending: event ${match.pending.eventId} takes effect at ${match.pending.dueAt}`);
  }
  return lines;
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

/** `terraform plan`-style text: the match, numbered steps, the API calls, then a one-line decision. */
function renderPreview(preview: PlanPreview): string[] {
  const { event, steps, decision, brake, apiCalls } = preview;
  const effective = event.effectiveAt === undefined ? '' : `, effective ${event.effectiveAt}`;
  const width = Math.max(...steps.map((step) => step.action.length));
  const lines = [
    `Event ${event.id}: ${event.type} at ${event.time}${effective}`,
    ...describeMatch(preview.match),
    '',
    'Steps:',
    ...steps.map((step, index) => {
      const fields = step.fields?.length ? ` [${step.fields.join(', ')}]` : '';
      return `  ${index + 1}. ${step.action.padEnd(width)}  ${step.reason}${fields}`;
    }),
    '',
  ];
  const details: string[] = [];
  if (brake !== undefined) {
    details.push(
      `Deletion brake: ${brake.recent} of ${brake.limit} terminations in the window (${brake.admitted ? 'admitted' : 'held'})`,
    );
  }
  const target = (userId: string | undefined) => (userId === undefined ? '' : ` ${userId}`);
  for (const read of apiCalls.made) {
    details.push(`API read made:  ${read.method} ${read.operation}${target(read.userId)}`);
  }
  for (const write of apiCalls.wouldMake) {
    const fields = write.fields === undefined ? '' : ` [${write.fields.join(', ')}]`;
    details.push(`Would call:     ${write.method} ${write.operation}${target(write.userId)}${fields}`);
  }
  if (details.length > 0) lines.push(...details, '');
  const user = decision.cpaasUserId === undefined ? '' : ` (CPaaS user ${decision.cpaasUserId})`;
  lines.push(
    `Decision: ${decision.outcome}${user}. ` +
      `${plural(apiCalls.made.length, 'API read')} made, ${plural(apiCalls.wouldMake.length, 'write')} not sent: nothing was changed.`,
  );
  return lines;
}

/**
 * `cpaas-lifecycle plan --event FILE`: what the worker would do for one event, before it does it
 * (an operator checking a rehire, a termination, a suspicious HRIS export). Runs the worker's own
 * converge in dry run over read-only ports, so the preview is the worker's decision, not a copy of
 * its rules; it reads the state table and the CPaaS API and writes neither.
 */
export function registerPlanCommands(program: Command): void {
  const command = program
    .command('plan')
    .description(COMMAND_SUMMARIES.plan)
    .requiredOption('--event <file>', 'lifecycle event JSON file, or - for stdin')
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'))
    .addOption(
      new Option(
        '--policy <policy>',
        `termination policy (default: $${ENV.terminationPolicy}, else delete)`,
      ).choices(TERMINATION_POLICIES),
    )
    .addHelpText(
      'after',
      `
The worker's settings that change a decision come from the same variables the worker reads:
$${ENV.deleteGraceDays}, $${ENV.deletionBrakeWindowMinutes}, $${ENV.deletionBrakeMinimum}, $${ENV.deletionBrakePercent};
for a registered tenant (--tenant, or the event's own tenant) from the registry, with its account and key.
AWS endpoint, region and credentials: the usual AWS SDK environment (AWS_ENDPOINT_URL for the local mode).

Example:
  cpaas-lifecycle plan --event termination.json --policy disable-then-delete`,
    );
  addConnectionOptions(command).action(async (flags: PlanFlags, self: Command) => {
    const tableName = requiredString(self, flags.table, SHARED_SETTINGS.stateTable);
    const event = withTenant(self, flags, await readEvent(self, flags.event));
    const { client: api, tenant } = await connect(self, flags);
    const settings = workerSettings(self, flags, tenant);
    const client = new DynamoDBClient({});
    try {
      const preview = await previewEvent(event, {
        api,
        ...stateTablePorts(client, tableName, settings.brake),
        // The tenant's own window and threshold, as its worker counts them.
        brake: new DynamoDeletionBrake({ client, tableName, ...settings.brake, tenantId: flags.tenant }),
        clock: () => new Date(),
        policy: settings.policy,
        deleteGraceDays: settings.deleteGraceDays,
      });
      if (flags.json) print(JSON.stringify(preview, null, 2));
      else for (const line of renderPreview(preview)) print(escapeUnsafeText(line));
    } catch (error) {
      // The SDK's message names no table; an operator with several stacks needs to know which.
      if (error instanceof ResourceNotFoundException)
        throw new Error(`state table ${tableName}: ${error.message}`);
      throw error;
    } finally {
      await api.close();
      client.destroy();
    }
  });
}
