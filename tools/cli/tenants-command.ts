import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  DEFAULTS,
  HR_API_SOURCES,
  type HrApiSource,
  SOURCE_NAMES,
  TERMINATION_POLICIES,
  type TerminationPolicy,
} from '../../lambdas/contract/settings.js';
import { tenantScimPath, tenantWebhookPath } from '../../lambdas/contract/tenants.js';
import type { Tenant, TenantSettings } from '../../lambdas/core/tenants/tenant.js';
import {
  addTenant,
  removeTenant,
  setTenantHrCredentials,
  type TenantAdminPorts,
  withTenantAdminPorts,
} from '../operations/tenants.js';
import { COMMAND_SUMMARIES } from './command-summaries.js';
import { hrSourceFiles, hrSourcePairs, sourcePairs } from './hr-source-pairs.js';
import { flagOrEnvOption, integerFlag, requiredString, SHARED_SETTINGS, usageError } from './options.js';
import { print } from './output.js';

interface SettingFlags {
  table?: string;
  cpaasAccountId?: string;
  sources?: string;
  policy?: string;
  graceDays?: string;
  brakeMinimum?: string;
  brakePercent?: string;
  brakeWindowMinutes?: string;
  mergeAccountId?: string[];
  accountId?: string[];
  hrApi?: string[];
  hrCredentials?: string[];
  json?: boolean;
}

interface AddFlags extends SettingFlags {
  apiKeyFile?: string;
  sourceSecret?: string[];
  ingestUrl?: string;
  scimUrl?: string;
}

/** Runs `action` with the registry and clients on the state table, closing the clients however it ends. */
function withTenants<T>(
  command: Command,
  table: string | undefined,
  action: (ports: TenantAdminPorts) => Promise<T>,
): Promise<T> {
  return withTenantAdminPorts({}, requiredString(command, table, SHARED_SETTINGS.stateTable), action);
}

/**
 * The API key from a file or stdin (`-`), else `CPAAS_API_KEY`: never a flag value, which would
 * stay in the shell's history and the process list.
 */
function apiKeyFrom(command: Command, file: string | undefined): string {
  const key = file === undefined ? process.env.CPAAS_API_KEY : readFileSync(file === '-' ? 0 : file, 'utf8');
  const trimmed = key?.trim();
  if (!trimmed) usageError(command, 'pass --api-key-file <path|-> or set CPAAS_API_KEY');
  return trimmed;
}

/** `name=path` pairs: each source's signing secret, read from its file. */
function sourceSecretsFrom(command: Command, pairs: readonly string[] = []): Record<string, string> {
  const secrets: Record<string, string> = {};
  for (const pair of pairs) {
    const [source, path] = pair.split('=', 2);
    if (!source || !path) usageError(command, `--source-secret must be <source>=<file>, got ${pair}`);
    secrets[source] = readFileSync(path, 'utf8').trim();
  }
  return secrets;
}

/** The settings from the flags over `base` (a tenant's current ones, or the defaults for a new one). */
function settingsFrom(command: Command, id: string, flags: SettingFlags, base?: Tenant): TenantSettings {
  const cpaasAccountId = flags.cpaasAccountId ?? base?.cpaasAccountId;
  if (cpaasAccountId === undefined) usageError(command, 'pass --cpaas-account-id');
  const policy = (flags.policy ??
    base?.deprovisioning.policy ??
    DEFAULTS.terminationPolicy) as TerminationPolicy;
  if (!TERMINATION_POLICIES.includes(policy)) {
    usageError(command, `--policy must be one of ${TERMINATION_POLICIES.join(', ')}`);
  }
  const brake = base?.deprovisioning.brake ?? DEFAULTS.deletionBrake;
  const int = (flag: string, text: string | undefined, fallback: number, max: number) =>
    text === undefined ? fallback : integerFlag(command, flag, text, 1, max);
  return {
    id,
    cpaasAccountId,
    sources: flags.sources?.split(',').map((source) => source.trim()) ?? [...(base?.sources ?? ['standard'])],
    accountIds:
      flags.mergeAccountId === undefined && flags.accountId === undefined
        ? [...(base?.accountIds ?? [])]
        : [
            ...(flags.mergeAccountId ?? []).map((accountId) => ({ source: 'merge', accountId })),
            ...sourcePairs(command, '--account-id', SOURCE_NAMES, flags.accountId).map(
              ([source, accountId]) => ({
                source,
                accountId,
              }),
            ),
          ],
    hrApis: {
      ...base?.hrApis,
      ...Object.fromEntries(
        Object.entries(hrSourcePairs(command, '--hr-api', flags.hrApi)).map(([source, apiBaseUrl]) => [
          source,
          { apiBaseUrl },
        ]),
      ),
    },
    deprovisioning: {
      policy,
      deleteGraceDays: int(
        '--grace-days',
        flags.graceDays,
        base?.deprovisioning.deleteGraceDays ?? DEFAULTS.deleteGraceDays,
        3650,
      ),
      brake: {
        windowMinutes: int('--brake-window-minutes', flags.brakeWindowMinutes, brake.windowMinutes, 10_080),
        minimum: int('--brake-minimum', flags.brakeMinimum, brake.minimum, 1_000_000),
        percent: flags.brakePercent === undefined ? brake.percent : Number(flags.brakePercent),
      },
    },
  };
}

function describe(tenant: Tenant): string[] {
  const { policy, deleteGraceDays, brake } = tenant.deprovisioning;
  return [
    `tenant ${tenant.id} (version ${tenant.version}, updated ${tenant.updatedAt})`,
    `  CPaaS account   ${tenant.cpaasAccountId}`,
    `  sources         ${tenant.sources.join(', ')}`,
    `  account ids     ${tenant.accountIds.map((a) => `${a.source}:${a.accountId}`).join(', ') || '-'}`,
    `  HR APIs         ${
      Object.entries(tenant.hrApis ?? {})
        .map(([source, api]) => `${source} ${api.apiBaseUrl}`)
        .join(', ') || '-'
    }`,
    `  termination     ${policy}, grace ${deleteGraceDays} days`,
    `  deletion brake  ${brake.minimum} minimum or ${brake.percent}% of linked users per ${brake.windowMinutes} min`,
  ];
}

function settingOptions(command: Command): Command {
  return command
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'))
    .option('--cpaas-account-id <id>', "the tenant's CPaaS account")
    .option('--sources <list>', 'webhook sources it uses, comma-separated (default standard)')
    .option('--policy <policy>', `termination policy: ${TERMINATION_POLICIES.join(', ')}`)
    .option('--grace-days <n>', 'days a disable-then-delete keeps the disabled user')
    .option('--brake-minimum <n>', 'terminations per window always allowed')
    .option('--brake-percent <n>', 'or this percentage of linked users, whichever is more')
    .option('--brake-window-minutes <n>', "the brake's sliding window")
    .option(
      '--merge-account-id <id...>',
      'Merge linked_account ids that route to this tenant on the shared /webhooks/merge URL',
    )
    .option(
      '--account-id <source=id...>',
      "a provider's account id that routes to this tenant on its shared URL (e.g. gusto=<company uuid>)",
    )
    .option(
      '--hr-api <source=url...>',
      `the tenant's own HR API root per source (${HR_API_SOURCES.join(', ')}), e.g. bamboohr=https://api.bamboohr.com/api/gateway.php/acme`,
    )
    .option(
      '--hr-credentials <source=file...>',
      "file with the tenant's credentials JSON for that HR API (- for stdin); stored in its own secret",
    )
    .option('--json', 'print JSON');
}

/**
 * `cpaas-lifecycle tenants add|list|show|update|remove`: onboarding an MSP's customer is one
 * command and no redeploy. Secrets are printed once by `add` and never by anything else.
 */
export function registerTenantsCommands(program: Command): void {
  const tenants = program.command('tenants').description(COMMAND_SUMMARIES.tenants);
  settingOptions(
    tenants.command('add <id>').description('Onboard a tenant: its secrets, then its registry item.'),
  )
    .option(
      '--api-key-file <path>',
      "file with the tenant's CPaaS API key, - for stdin (default: $CPAAS_API_KEY)",
    )
    .option(
      '--source-secret <source=file...>',
      'the signing secret a provider issued (e.g. merge=./merge-key)',
    )
    .option('--ingest-url <url>', 'the stack output IngestUrl, to print the webhook URLs')
    .option('--scim-url <url>', "the SCIM function's URL (ScimUrl without /scim/v2), to print the tenant URL")
    .action(async (id: string, flags: AddFlags, command: Command) => {
      const settings = settingsFrom(command, id, flags);
      const apiKey = apiKeyFrom(command, flags.apiKeyFile);
      const sourceSecrets = sourceSecretsFrom(command, flags.sourceSecret);
      const hrCredentials = hrSourceFiles(command, '--hr-credentials', flags.hrCredentials);
      const onboarded = await withTenants(command, flags.table, (ports) =>
        addTenant(ports, settings, apiKey, sourceSecrets, hrCredentials),
      );
      const base = (url: string | undefined) => url?.replace(/\/+$/, '');
      const webhookUrls = Object.fromEntries(
        settings.sources.map((source) => [
          source,
          `${base(flags.ingestUrl) ?? ''}${tenantWebhookPath(id, source)}`,
        ]),
      );
      const scimUrl = `${base(flags.scimUrl) ?? ''}${tenantScimPath(id)}`;
      if (flags.json) {
        print(JSON.stringify({ ...onboarded, webhookUrls, scimUrl }));
        return;
      }
      print(describe(onboarded.tenant).join('\n'));
      for (const source of settings.sources) {
        print(
          `  webhook ${source.padEnd(9)} ${webhookUrls[source]}  secret ${onboarded.webhookSecrets[source]}`,
        );
      }
      print(`  SCIM tenant URL  ${scimUrl}  token ${onboarded.scimToken}`);
      process.stderr.write('The secrets above are shown once; they are stored in Secrets Manager.\n');
    });
  tenants
    .command('list')
    .description('Every registered tenant (the deployment itself is the tenant "default").')
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'))
    .option('--json', 'print JSON')
    .action(async (flags: { table?: string; json?: boolean }, command: Command) => {
      const all = await withTenants(command, flags.table, async ({ registry }) => {
        const found: Tenant[] = [];
        for await (const tenant of registry.list()) found.push(tenant);
        return found.sort((a, b) => a.id.localeCompare(b.id));
      });
      if (flags.json) print(JSON.stringify(all));
      else
        for (const tenant of all)
          print(`${tenant.id.padEnd(33)} ${tenant.cpaasAccountId.padEnd(20)} ${tenant.sources.join(',')}`);
    });
  tenants
    .command('show <id>')
    .description("A tenant's settings (never its secrets).")
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'))
    .option('--json', 'print JSON')
    .action(async (id: string, flags: { table?: string; json?: boolean }, command: Command) => {
      const tenant = await withTenants(command, flags.table, ({ registry }) => registry.get(id));
      if (tenant === undefined) usageError(command, `no tenant ${id} is registered`);
      print(flags.json ? JSON.stringify(tenant) : describe(tenant).join('\n'));
    });
  settingOptions(
    tenants.command('update <id>').description("Change a tenant's settings (refused if changed meanwhile)."),
  ).action(async (id: string, flags: SettingFlags, command: Command) => {
    const hrCredentials = hrSourceFiles(command, '--hr-credentials', flags.hrCredentials);
    const tenant = await withTenants(command, flags.table, async (ports) => {
      const current = await ports.registry.get(id);
      if (current === undefined) usageError(command, `no tenant ${id} is registered`);
      // Credentials first: an API the registry names is then never without them.
      for (const [source, credentials] of Object.entries(hrCredentials) as [HrApiSource, string][]) {
        await setTenantHrCredentials(ports, id, source, credentials);
      }
      return ports.registry.update(settingsFrom(command, id, flags, current), current.version);
    });
    print(flags.json ? JSON.stringify(tenant) : describe(tenant).join('\n'));
  });
  tenants
    .command('remove <id>')
    .description(
      'Remove a tenant and schedule its secrets for deletion; its VoIP users stay in the CPaaS account.',
    )
    .addOption(flagOrEnvOption(SHARED_SETTINGS.stateTable, 'name', 'state table'))
    .option('--force', 'remove even while employees are linked (their links and VoIP users stay)')
    .option('--json', 'print JSON')
    .action(
      async (id: string, flags: { table?: string; force?: boolean; json?: boolean }, command: Command) => {
        const removed = await withTenants(command, flags.table, (ports) =>
          removeTenant(ports, id, flags.force === true ? { force: true } : {}),
        );
        if (flags.json) {
          print(JSON.stringify(removed));
          return;
        }
        print(
          `Removed tenant ${id}: its webhook and SCIM routes answer 404 now; its secrets are deleted after ` +
            `${removed.recoveryWindowDays} days (restorable until then).`,
        );
        if (removed.linksLeft > 0) {
          print(
            `${removed.linksLeft} employee link(s) stay in the state table; the VoIP users stay in the CPaaS account.`,
          );
        }
      },
    );
}
