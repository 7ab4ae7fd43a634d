import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AttributeValue, ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import type { PlanPreview } from '../../../tools/operations/plan-preview.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { runCliProcess } from './cli-process.js';
import { runCli } from './run-cli.js';

let fx: WorkerFixture;
let dir: string;
let table: string;

/** The operator's shell: AWS SDK environment pointing at moto, the CPaaS connection at the sandbox. */
function shellEnv(): Record<string, string> {
  return {
    ...awsSdkEnv(),
    [ENV.cpaasBaseUrl]: fx.sandbox.url,
    [ENV.cpaasAccountId]: fx.sandbox.accountId,
    CPAAS_API_KEY: fx.sandbox.apiKey,
    [ENV.cpaasAllowInsecureHttp]: 'true',
  };
}

beforeAll(async () => {
  fx = await workerFixture();
  table = fx.aws.resources.stateTableName;
  dir = await mkdtemp(join(tmpdir(), 'plan-command-'));
  Object.assign(process.env, shellEnv());
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await fx.close();
});
beforeEach(() => {
  delete process.env[ENV.stateTableName];
  delete process.env[ENV.terminationPolicy];
  process.env.CPAAS_API_KEY = fx.sandbox.apiKey;
});
afterEach(() => {
  vi.restoreAllMocks();
});

const run = (...args: string[]) => runCli('plan', ...args);

let files = 0;
async function eventFile(content: unknown): Promise<string> {
  files += 1;
  const path = join(dir, `event-${files}.json`);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function tableItems(): Promise<Record<string, AttributeValue>[]> {
  const { Items = [] } = await fx.aws.dynamodb.send(
    new ScanCommand({ TableName: table, ConsistentRead: true }),
  );
  return Items.sort((a, b) => (a.pk?.S ?? '').localeCompare(b.pk?.S ?? ''));
}

/** Runs the command and proves it touched nothing: no write request to the sandbox, the table unchanged. */
async function runUntouched(...args: string[]) {
  const items = await tableItems();
  fx.sandbox.control.resetRequestCounts();
  const result = await run(...args);
  const counts = fx.sandbox.control.requestCounts();
  expect([counts.createUser, counts.updateUser, counts.deleteUser, counts.impersonateUser]).toEqual([
    0, 0, 0, 0,
  ]);
  expect(await tableItems()).toEqual(items);
  return result;
}

async function hired() {
  const data = employee();
  await fx.apply(lifecycleEvent('employee.hired', data));
  const userId = fx.usersWithEmail(data.workEmail)[0]?.id;
  if (userId === undefined) throw new Error('hire failed');
  return { data, userId };
}

describe('cpaas-lifecycle plan', () => {
  it('prints numbered steps, the API calls and a one-line decision; never the email or names', async () => {
    const { data, userId } = await hired();
    const event = lifecycleEvent('employee.changed', { ...data, lastName: 'Brewster' });
    const { code, stdout, stderr } = await runUntouched('--event', await eventFile(event), '--table', table);
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`Event ${event.id}: employee.changed at ${event.time}`);
    expect(lines[1]).toMatch(
      new RegExp(
        `^Employee default:${data.employeeId}: linked to CPaaS user ${userId} \\(active\\); last applied event \\S+ at \\S+$`,
      ),
    );
    expect(stdout).toContain(
      [
        'Steps:',
        '  1. read    linked user',
        '  2. update  managed fields differ [last_name]',
        '  3. link    record status active',
      ].join('\n'),
    );
    expect(stdout).toContain(`API read made:  GET getUser ${userId}\n`);
    expect(stdout).toContain(`Would call:     PUT updateUser ${userId} [last_name]\n\n`);
    expect(lines.at(-1)).toBe(
      `Decision: updated (CPaaS user ${userId}). 1 API read made, 1 write not sent: nothing was changed.`,
    );
    for (const secret of [data.workEmail, data.firstName, 'Brewster']) expect(stdout).not.toContain(secret);
    expect(fx.usersWithEmail(data.workEmail)[0]?.last_name).toBe('Hopper');
  });

  it('--json prints the preview; the table defaults to $STATE_TABLE_NAME, --policy overrides $TERMINATION_POLICY', async () => {
    const { data, userId } = await hired();
    const path = await eventFile(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }));
    process.env[ENV.stateTableName] = table;
    process.env[ENV.terminationPolicy] = 'delete';

    const deleting = await runUntouched('--event', path, '--json');
    expect(deleting.code).toBe(EXIT.ok);
    const deleted = JSON.parse(deleting.stdout) as PlanPreview;
    expect(deleted.decision).toEqual({ outcome: 'deleted', cpaasUserId: userId });
    expect(deleted.apiCalls.wouldMake).toEqual([{ operation: 'deleteUser', method: 'DELETE', userId }]);
    expect(deleted.brake).toMatchObject({ admitted: true });

    const disabling = await runUntouched('--event', path, '--json', '--policy', 'disable');
    expect(disabling.code).toBe(EXIT.ok);
    const disabled = JSON.parse(disabling.stdout) as PlanPreview;
    expect(disabled.decision.outcome).toBe('disabled');
    expect(disabled.steps.map((step) => step.action)).toEqual(['read', 'update', 'link']);
    expect(fx.usersWithEmail(data.workEmail)[0]?.enabled).toBe(true);
  });

  it('reads the event from stdin with --event - (the real CLI in a child process)', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    const { code, stdout, stderr } = await runCliProcess(['plan', '--event', '-', '--table', table], {
      // No NODE_NO_WARNINGS: on Node 24 the CLI prints no warning, and stderr must stay empty.
      env: { PATH: process.env.PATH ?? '', ...shellEnv() },
      stdin: JSON.stringify(event),
    });
    expect(stderr).toBe('');
    expect(code).toBe(EXIT.ok);
    expect(stdout).toContain(`Employee default:${data.employeeId}: not linked (no link recorded)`);
    expect(stdout).toContain('Would call:     POST createUser\n');
    expect(stdout).toMatch(
      /^Decision: created\. 0 API reads made, 1 write not sent: nothing was changed\.$/m,
    );
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
  });

  it('takes the deletion brake settings from the worker variables: past the limit the decision is held', async () => {
    const { data: first } = await hired();
    expect(
      (await fx.apply(lifecycleEvent('employee.terminated', { employeeId: first.employeeId }))).attributes
        .outcome,
    ).toBe('deleted');
    const { data, userId } = await hired();
    const path = await eventFile(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }));
    Object.assign(process.env, { [ENV.deletionBrakeMinimum]: '1', [ENV.deletionBrakePercent]: '0' });
    try {
      const held = await runUntouched('--event', path, '--table', table, '--policy', 'delete');
      expect(held.code).toBe(EXIT.ok);
      expect(held.stdout).toMatch(
        /^ {2}1\. hold {2}deletion brake: \d+ terminations in the window, limit 1; held for an operator$/m,
      );
      expect(held.stdout).toMatch(/^Deletion brake: \d+ of 1 terminations in the window \(held\)$/m);
      expect(held.stdout).toContain(
        `Decision: held (CPaaS user ${userId}). 0 API reads made, 0 writes not sent`,
      );

      process.env[ENV.deletionBrakeMinimum] = 'many';
      const wrong = await run('--event', path, '--table', table);
      expect(wrong.code).toBe(EXIT.usage);
      expect(wrong.stderr).toContain(`${ENV.deletionBrakeMinimum} must be a positive integer`);
    } finally {
      delete process.env[ENV.deletionBrakeMinimum];
      delete process.env[ENV.deletionBrakePercent];
    }
  });

  it('an invalid event file is a usage error (exit 2) listing each wrong field, without its value', async () => {
    const event = lifecycleEvent('employee.hired', employee());
    const invalid = { ...event, data: { ...event.data, workEmail: 'grace-at-example', extension: 'x1' } };
    const { code, stderr, stdout } = await runUntouched(
      '--event',
      await eventFile(invalid),
      '--table',
      table,
    );
    expect(code).toBe(EXIT.usage);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/is not a valid lifecycle event:\n/);
    expect(stderr).toMatch(/^ {2}data\.workEmail: .+$/m);
    expect(stderr).toMatch(/^ {2}data\.extension: must be 2 to 10 digits$/m);
    expect(stderr).not.toContain('grace-at-example');

    const notJson = await run('--event', await eventFile('{"type": '), '--table', table);
    expect(notJson.code).toBe(EXIT.usage);
    expect(notJson.stderr).toMatch(/^ {2}\(root\): not JSON$/m);

    const missing = await run('--event', join(dir, 'no-such-file.json'), '--table', table);
    expect(missing.code).toBe(EXIT.usage);
    expect(missing.stderr).toContain('cannot read the event file');
  });

  it('a missing table or --event, or an unknown --policy, is a usage error (exit 2)', async () => {
    const path = await eventFile(lifecycleEvent('employee.hired', employee()));
    const noTable = await run('--event', path);
    expect(noTable.code).toBe(EXIT.usage);
    expect(noTable.stderr).toContain(`pass --table or set ${ENV.stateTableName}`);
    expect((await run('--table', table)).code).toBe(EXIT.usage);
    const policy = await run('--event', path, '--table', table, '--policy', 'shred');
    expect(policy.code).toBe(EXIT.usage);
    expect(policy.stderr).toContain("'shred' is invalid");
  });

  it('an API error exits 1 with the vendor message; an AWS error exits 1 with the AWS message', async () => {
    const { data } = await hired();
    const path = await eventFile(lifecycleEvent('employee.changed', { ...data, lastName: 'Brewster' }));
    process.env.CPAAS_API_KEY = 'not-the-sandbox-key';
    const api = await runUntouched('--event', path, '--table', table);
    expect(api.code).toBe(EXIT.failed);
    expect(api.stdout).toBe('');
    expect(api.stderr).toMatch(/^error: .*401.*unauthorized/m);
    expect(api.stderr).not.toContain('not-the-sandbox-key');

    process.env.CPAAS_API_KEY = fx.sandbox.apiKey;
    const aws = await run('--event', path, '--table', 'no-such-table');
    expect(aws.code).toBe(EXIT.failed);
    expect(aws.stderr).toMatch(/^error: state table no-such-table: .*not found/im);
  });
});
