import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { DEFAULTS } from '../../../lambdas/contract/settings.js';
import type { User } from '../../../lambdas/core/cpaas/schemas.js';
import { sqsLaneRoutedQueue } from '../../../lambdas/core/events/lane-routed-queue.js';
import type { LifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { DynamoTenantRegistry } from '../../../lambdas/core/tenants/tenant-registry.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { type LocalCli, startLocalCli } from '../../support/local-cli.js';
import {
  accountsOverHttp,
  addTestTenant,
  type TestTenant,
  tenantEvent,
  uniqueTenantId,
} from '../../support/tenant-fixture.js';
import { until } from '../../support/until.js';
import { employee } from '../../support/worker-fixture.js';
import { runCliProcess } from './cli-process.js';

/**
 * The operator commands with `--tenant`, through the real binary against the real
 * `cpaas-lifecycle local` process: its moto_server, its sandbox (one more account added through
 * the sandbox's HTTP control) and its worker, which applies a registered tenant's events with that
 * tenant's key. Each command must act on the named tenant's account, holds or dead letters only.
 */
let local: LocalCli;
let aws: { endpoint: string; region: string; credentials: { accessKeyId: string; secretAccessKey: string } };
let dynamodb: DynamoDBClient;
let secrets: SecretsManagerClient;
let sqs: SQSClient;
let acme: TestTenant;
const dir = mkdtempSync(join(tmpdir(), 'tenants-cli-'));

async function usersOfAccount(accountId: string): Promise<User[]> {
  const response = await fetch(`${local.ready.cpaasBaseUrl}/_sandbox/accounts/${accountId}/state`);
  return ((await response.json()) as { users: User[] }).users;
}

async function defaultUsers(): Promise<User[]> {
  const response = await fetch(`${local.ready.cpaasBaseUrl}/_sandbox/state`);
  return ((await response.json()) as { users: User[] }).users;
}

function cli(args: string[]) {
  return runCliProcess(args, {
    env: {
      PATH: process.env.PATH ?? '',
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
      [ENV.stateTableName]: DEFAULTS.stateTableName,
      [ENV.cpaasBaseUrl]: local.ready.cpaasBaseUrl,
      [ENV.cpaasAllowInsecureHttp]: 'true',
      [ENV.cpaasAccountId]: local.ready.cpaasAccountId,
      [ENV.cpaasApiKeySecretId]: DEFAULTS.apiKeySecretName,
    },
  });
}

const enqueue = (events: LifecycleEvent[]) =>
  sqsLaneRoutedQueue(sqs, { standard: local.ready.queueUrl, priority: local.ready.priorityQueueUrl }).enqueue(
    events,
  );

function file(name: string, value: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(value));
  return path;
}

beforeAll(async () => {
  local = await startLocalCli();
  aws = {
    endpoint: local.ready.awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  dynamodb = new DynamoDBClient(aws);
  secrets = new SecretsManagerClient(aws);
  sqs = new SQSClient(aws);
  const registry = new DynamoTenantRegistry({ client: dynamodb, tableName: DEFAULTS.stateTableName });
  const addAccount = accountsOverHttp(local.ready.cpaasBaseUrl);
  const tenants = {
    registry,
    secrets,
    documents: DynamoDBDocumentClient.from(dynamodb),
    tableName: DEFAULTS.stateTableName,
  };
  acme = await addTestTenant({ addAccount, tenants }, uniqueTenantId('acme'), {
    brake: { windowMinutes: 60, minimum: 1, percent: 0 },
  });
}, 90_000);

afterAll(async () => {
  dynamodb?.destroy();
  secrets?.destroy();
  sqs?.destroy();
  if (local?.child.exitCode === null) {
    local.child.kill('SIGTERM');
    await local.closed;
  }
});

describe('operator commands with --tenant (local mode)', () => {
  it("users, reconcile and plan use the tenant's account and key", async () => {
    const person = employee();
    await enqueue([tenantEvent(acme.tenant.id, 'employee.hired', person)]);
    const [created] = await until(async () => {
      const users = await usersOfAccount(acme.accountId);
      return users.length === 1 && users;
    }, "the hire applied in the tenant's account");
    expect((await defaultUsers()).map((user) => user.email)).not.toContain(person.workEmail);

    const listed = await cli(['users', 'list', '--tenant', acme.tenant.id, '--json']);
    expect(listed.stderr).toBe('');
    expect(JSON.parse(listed.stdout).map((user: User) => user.id)).toEqual([created?.id]);
    const mine = await cli(['users', 'list', '--json']);
    expect(JSON.parse(mine.stdout).map((user: User) => user.id)).not.toContain(created?.id);

    const crossed = await cli(['users', 'list', '--tenant', acme.tenant.id, '--account', 'x'.repeat(32)]);
    expect(crossed.code).toBe(EXIT.usage);
    expect(crossed.stderr).toContain('--account cannot be combined with --tenant');
    const unknown = await cli(['users', 'list', '--tenant', 'nobody-here']);
    expect(unknown.code).toBe(EXIT.usage);
    expect(unknown.stderr).toContain(`no tenant nobody-here is registered in ${DEFAULTS.stateTableName}`);

    const roster = file('roster.json', [person]);
    const reconciled = await cli(['reconcile', '--tenant', acme.tenant.id, '--roster', roster, '--json']);
    expect(reconciled.stderr).toBe('');
    expect(JSON.parse(reconciled.stdout)).toMatchObject({ unchanged: 1, changes: [], unmanagedUserIds: [] });
    // The default tenant's reconcile of the same roster sees none of it: another account, other links.
    const elsewhere = JSON.parse((await cli(['reconcile', '--roster', roster, '--json'])).stdout);
    expect(elsewhere.changes).toEqual([{ action: 'create', employeeId: person.employeeId }]);

    const termination = tenantEvent(acme.tenant.id, 'employee.terminated', { employeeId: person.employeeId });
    const event = file('termination.json', termination);
    const planned = JSON.parse(
      (await cli(['plan', '--tenant', acme.tenant.id, '--event', event, '--json'])).stdout,
    );
    expect(planned).toMatchObject({
      match: { linked: true, cpaasUserId: created?.id },
      decision: { outcome: 'deleted', cpaasUserId: created?.id },
      brake: { admitted: true, limit: 1 },
    });
    // Without --tenant the plan is the event's own tenant's; naming another is refused.
    const implied = JSON.parse((await cli(['plan', '--event', event, '--json'])).stdout);
    expect(implied.decision).toEqual(planned.decision);
    const wrong = await cli(['plan', '--tenant', 'default', '--event', event]);
    expect(wrong.code).toBe(EXIT.usage);
    expect(await usersOfAccount(acme.accountId)).toHaveLength(1);
  });

  // Two hires, two terminations and a release through the worker, each step awaited: on a busy
  // machine (the whole suite on 2 cores) that can take longer than the default 30 s.
  it("holds list and release act on the tenant's holds only", async () => {
    const [first, second] = [employee(), employee()];
    await enqueue([first, second].map((person) => tenantEvent(acme.tenant.id, 'employee.hired', person)));
    await until(
      async () => (await usersOfAccount(acme.accountId)).length >= 3 || undefined,
      'two more hires',
    );
    await enqueue(
      [first, second].map((person) =>
        tenantEvent(acme.tenant.id, 'employee.terminated', { employeeId: person.employeeId }),
      ),
    );
    // The tenant's brake admits one termination a window: the second is held.
    const held = await until(async () => {
      const run = await cli(['holds', 'list', '--tenant', acme.tenant.id, '--json']);
      const holds = JSON.parse(run.stdout).holds as Array<{ employeeKey: string; eventId: string }>;
      return holds.length === 1 && holds;
    }, "the tenant's held termination");
    expect(JSON.parse((await cli(['holds', 'list', '--json'])).stdout).holds).toEqual([]);
    const foreign = await cli(['holds', 'discard', '--id', held[0]?.eventId ?? '', '--yes']);
    expect(foreign.code).not.toBe(EXIT.ok);
    expect(foreign.stderr).toContain('no hold');

    const released = await cli([
      'holds',
      'release',
      '--tenant',
      acme.tenant.id,
      '--all',
      '--queue-url',
      local.ready.queueUrl,
      '--priority-queue-url',
      local.ready.priorityQueueUrl,
      '--json',
    ]);
    expect(JSON.parse(released.stdout).released).toHaveLength(1);
    await until(async () => {
      const emails = (await usersOfAccount(acme.accountId)).map((user) => user.email);
      return !emails.includes(first.workEmail) && !emails.includes(second.workEmail);
    }, 'both terminations applied after the release');
  }, 120_000);

  it("dlq list, show and purge act on the tenant's dead letters only", async () => {
    const ghost = uniqueTenantId('ghost');
    const stray = tenantEvent(ghost, 'employee.hired', employee());
    await enqueue([stray]);
    const dlq = ['--queue-url', local.ready.dlqUrl];
    const [letter] = await until(async () => {
      const run = await cli(['dlq', 'list', ...dlq, '--tenant', ghost, '--json']);
      const { messages } = JSON.parse(run.stdout) as {
        messages: Array<{ messageId: string; eventId: string }>;
      };
      return messages.length === 1 && messages;
    }, "the unknown tenant's event dead-lettered");
    expect(letter?.eventId).toBe(stray.id);
    const shown = await cli(['dlq', 'show', letter?.messageId ?? '', ...dlq, '--tenant', ghost]);
    expect(shown.stdout).toContain(`TenantNotFoundError: tenant ${ghost} is not registered`);
    const mine = JSON.parse((await cli(['dlq', 'list', ...dlq, '--json'])).stdout);
    expect(mine.messages.map((message: { eventId: string }) => message.eventId)).not.toContain(stray.id);
    const notMine = await cli(['dlq', 'show', letter?.messageId ?? '', ...dlq]);
    expect(notMine.code).not.toBe(EXIT.ok);

    const purged = await cli(['dlq', 'purge', ...dlq, '--tenant', ghost, '--yes', '--json']);
    expect(JSON.parse(purged.stdout)).toEqual({ tenant: ghost, purged: 1 });
    const after = JSON.parse((await cli(['dlq', 'list', ...dlq, '--tenant', ghost, '--json'])).stdout);
    expect(after.messages).toEqual([]);
  });
});
