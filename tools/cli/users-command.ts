import { type Command, Option } from 'commander';
import { ENV } from '../../lambdas/contract/environment.js';
import type { CpaasClient } from '../../lambdas/core/cpaas/client.js';
import { CpaasRequestValidationError } from '../../lambdas/core/cpaas/errors.js';
import {
  PAGE_SIZE_MAX,
  PAGE_SIZE_MIN,
  type UserInput,
  type UserSummary,
} from '../../lambdas/core/cpaas/schemas.js';
import { mergeUserFields, mergeUserUpdate } from '../../lambdas/core/cpaas/user-merge.js';
import { escapeUnsafeText } from '../../lambdas/core/events/clean-text.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { API_KEY_ENV, addConnectionOptions, type ConnectionFlags, connect } from './cpaas-connection.js';
import { flagOrEnvOption, integerArgument, SHARED_SETTINGS, usageError } from './options.js';
import { print } from './output.js';

interface UserFlags extends ConnectionFlags {
  body?: string;
  email?: string;
  firstName?: string;
  lastName?: string;
  timezone?: string;
  presenceId?: string;
  enabled?: boolean;
  verified?: boolean;
  callerIdInternal?: string;
  callerIdExternal?: string;
  callerIdEmergency?: string;
  callForwardNumber?: string;
  callForwardEnabled?: boolean;
  doNotDisturb?: boolean;
  musicOnHoldMediaId?: string;
}

/** Plain columns for terminals; `--json` is the format for scripts. Cells come from the CPaaS API, so they are escaped. */
function renderTable(headers: readonly string[], rawRows: ReadonlyArray<readonly string[]>): string {
  const rows = rawRows.map((row) => row.map(escapeUnsafeText));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

function display(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map(display).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** `caller_id.internal.number`-style rows, so nested settings read as one field per line. */
function flatten(value: Record<string, unknown>, prefix = ''): Array<[string, string]> {
  return Object.entries(value).flatMap(([field, item]): Array<[string, string]> => {
    const name = prefix ? `${prefix}.${field}` : field;
    return item !== null && typeof item === 'object' && !Array.isArray(item)
      ? flatten(item as Record<string, unknown>, name)
      : [[name, display(item)]];
  });
}

function printUser(user: Record<string, unknown>, json: boolean | undefined): void {
  print(json ? JSON.stringify(user, null, 2) : renderTable(['FIELD', 'VALUE'], flatten(user)));
}

function userRows(users: readonly UserSummary[]): string[][] {
  return users.map((user) => [
    user.id,
    display(user.email),
    display(user.first_name),
    display(user.last_name),
    display(user.enabled),
    display(user.presence_id),
  ]);
}

function addUserFieldOptions(command: Command): Command {
  return command
    .option('--body <json>', 'user fields as a JSON object (API field names); the flags below override it')
    .option('--email <email>', 'email (3..254 characters, unique in the account)')
    .option('--first-name <name>', 'first_name (up to 128 characters)')
    .option('--last-name <name>', 'last_name (up to 128 characters)')
    .option('--timezone <tz>', 'timezone, e.g. America/New_York')
    .option('--presence-id <id>', 'presence_id (the extension)')
    .option('--enabled', 'enabled: true')
    .option('--no-enabled', 'enabled: false')
    .option('--verified', 'verified: true')
    .option('--no-verified', 'verified: false')
    .option('--caller-id-internal <number>', 'caller_id.internal.number')
    .option('--caller-id-external <number>', 'caller_id.external.number')
    .option('--caller-id-emergency <number>', 'caller_id.emergency.number')
    .option('--call-forward-number <number>', 'call_forward.number')
    .option('--call-forward-enabled', 'call_forward.enabled: true')
    .option('--no-call-forward-enabled', 'call_forward.enabled: false')
    .option('--do-not-disturb', 'do_not_disturb.enabled: true')
    .option('--no-do-not-disturb', 'do_not_disturb.enabled: false')
    .option('--music-on-hold-media-id <id>', 'music_on_hold.media_id');
}

function parseJsonObject(command: Command, flag: string, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    usageError(command, `${flag} is not valid JSON`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    usageError(command, `${flag} must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function nested(field: string, value: unknown): Record<string, unknown> | undefined {
  return value === undefined ? undefined : { [field]: value };
}

/** The fields the flags name, in API shape; `--body` first, flags on top. */
function userChanges(command: Command, flags: UserFlags): Record<string, unknown> {
  const fromFlags: Record<string, unknown> = {
    email: flags.email,
    first_name: flags.firstName,
    last_name: flags.lastName,
    timezone: flags.timezone,
    presence_id: flags.presenceId,
    enabled: flags.enabled,
    verified: flags.verified,
    music_on_hold: nested('media_id', flags.musicOnHoldMediaId),
    do_not_disturb: nested('enabled', flags.doNotDisturb),
  };
  const callerId = {
    internal: nested('number', flags.callerIdInternal),
    external: nested('number', flags.callerIdExternal),
    emergency: nested('number', flags.callerIdEmergency),
  };
  if (Object.values(callerId).some((item) => item !== undefined)) fromFlags.caller_id = callerId;
  const callForward = { number: flags.callForwardNumber, enabled: flags.callForwardEnabled };
  if (Object.values(callForward).some((item) => item !== undefined)) fromFlags.call_forward = callForward;
  const base = flags.body === undefined ? {} : parseJsonObject(command, '--body', flags.body);
  return mergeUserFields(base, fromFlags);
}

/** Runs one API operation; a request the client refused to send is the caller's mistake (exit 2). */
async function withClient(
  command: Command,
  flags: ConnectionFlags,
  run: (client: CpaasClient) => Promise<void>,
): Promise<void> {
  const { client } = await connect(command, flags);
  try {
    await run(client);
  } catch (error) {
    if (error instanceof CpaasRequestValidationError) usageError(command, error.message);
    throw error;
  } finally {
    await client.close();
  }
}

/** The connection flags, and the state table a tenant other than `default` is registered in. */
function addUserConnectionOptions(command: Command): Command {
  return addConnectionOptions(command).addOption(
    flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table, for --tenant'),
  );
}

const pageSize = integerArgument(
  PAGE_SIZE_MIN,
  PAGE_SIZE_MAX,
  `must be an integer from ${PAGE_SIZE_MIN} to ${PAGE_SIZE_MAX}`,
);

/**
 * `cpaas-lifecycle users ...`: the six VoIP User endpoints from a terminal, for an operator who
 * needs to look at or fix one user, and for scripts (`--json`). Uses the same client as the worker,
 * so validation, retries and error messages are the ones the pipeline has.
 */
export function registerUsersCommands(program: Command): void {
  const users = program
    .command('users')
    .description(COMMAND_SUMMARIES.users)
    .addHelpText(
      'after',
      `
Connection: --base-url/$${ENV.cpaasBaseUrl}, --account/$${ENV.cpaasAccountId}, and the key from $${API_KEY_ENV}
or --secret-id (Secrets Manager; AWS_ENDPOINT_URL and AWS_REGION apply). With --tenant <id> (and
--table/$${ENV.stateTableName}): that tenant's account from the registry and its key from its own secret.

Examples:
  cpaas-lifecycle users list --json
  cpaas-lifecycle users list --tenant acme --table cpaas-lifecycle-state
  cpaas-lifecycle users create --email ada@example.com --first-name Ada --last-name Lovelace --presence-id 1001
  cpaas-lifecycle users update <id> --no-enabled
  cpaas-lifecycle users delete <id>`,
    );
  registerList(users);
  registerGet(users);
  registerCreate(users);
  registerUpdate(users);
  registerDelete(users);
  registerImpersonate(users);
}

function registerList(users: Command): void {
  addUserConnectionOptions(
    users
      .command('list')
      .description('List every user of the account (all pages).')
      .addOption(
        new Option('--page-size <n>', `users per request, ${PAGE_SIZE_MIN}..${PAGE_SIZE_MAX}`)
          .argParser(pageSize)
          .default(PAGE_SIZE_MAX),
      ),
  ).action(async (flags: ConnectionFlags & { pageSize: number }, command: Command) => {
    await withClient(command, flags, async (client) => {
      const all: UserSummary[] = [];
      for await (const user of client.iterateUsers({ pageSize: flags.pageSize })) all.push(user);
      if (flags.json) {
        print(JSON.stringify(all, null, 2));
        return;
      }
      print(renderTable(['ID', 'EMAIL', 'FIRST NAME', 'LAST NAME', 'ENABLED', 'PRESENCE ID'], userRows(all)));
      print(`${all.length} user(s)`);
    });
  });
}

function registerGet(users: Command): void {
  addUserConnectionOptions(
    users
      .command('get')
      .description('Show one user, every field.')
      .argument('<id>', 'user id (32 alphanumeric)'),
  ).action(async (id: string, flags: ConnectionFlags, command: Command) => {
    await withClient(command, flags, async (client) => printUser(await client.getUser(id), flags.json));
  });
}

function registerCreate(users: Command): void {
  addUserConnectionOptions(
    addUserFieldOptions(
      users.command('create').description('Create a user (email, first name and last name are required).'),
    ),
  ).action(async (flags: UserFlags, command: Command) => {
    const input = userChanges(command, flags) as UserInput;
    await withClient(command, flags, async (client) => printUser(await client.createUser(input), flags.json));
  });
}

function registerUpdate(users: Command): void {
  addUserConnectionOptions(
    addUserFieldOptions(
      users
        .command('update')
        .description(
          'Change the given fields of a user; every other field keeps its value (read, merge, write).',
        )
        .argument('<id>', 'user id (32 alphanumeric)'),
    ),
  ).action(async (id: string, flags: UserFlags, command: Command) => {
    const changes = userChanges(command, flags);
    if (Object.keys(changes).length === 0)
      usageError(command, 'nothing to change: pass field flags or --body');
    await withClient(command, flags, async (client) => {
      const current = await client.getUser(id);
      printUser(await client.updateUser(id, mergeUserUpdate(current, changes)), flags.json);
    });
  });
}

function registerDelete(users: Command): void {
  addUserConnectionOptions(
    users.command('delete').description('Delete a user.').argument('<id>', 'user id (32 alphanumeric)'),
  ).action(async (id: string, flags: ConnectionFlags, command: Command) => {
    await withClient(command, flags, async (client) => {
      const deleted = await client.deleteUser(id);
      print(flags.json ? JSON.stringify(deleted, null, 2) : `Deleted user ${deleted.id}.`);
    });
  });
}

function registerImpersonate(users: Command): void {
  addUserConnectionOptions(
    users
      .command('impersonate')
      .description('Get an auth token for presence calls as this user (the userauth endpoint).')
      .argument('<id>', 'user id (32 alphanumeric)')
      .option('--data <json>', 'the request data object, as JSON'),
  ).action(async (id: string, flags: ConnectionFlags & { data?: string }, command: Command) => {
    const data = flags.data === undefined ? undefined : parseJsonObject(command, '--data', flags.data);
    await withClient(command, flags, async (client) => {
      const { authToken } = await client.impersonateUser(id, data);
      print(flags.json ? JSON.stringify({ auth_token: authToken }, null, 2) : authToken);
    });
  });
}
