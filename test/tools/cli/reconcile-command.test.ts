import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { DEFAULTS } from '../../../lambdas/contract/settings.js';
import { CpaasClient } from '../../../lambdas/core/cpaas/client.js';
import { DynamoStateStore } from '../../../lambdas/core/state/state-store.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { main } from '../../../tools/cli/main.js';
import type { ProvisionedResources } from '../../../tools/local/provision.js';
import { type RunningSandbox, startSandbox } from '../../../tools/sandbox/index.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { saveLink } from '../../support/links.js';
import { drainBodies, provisionQueues } from '../operations/dead-letter-fixtures.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { runCli } from './run-cli.js';

const aws = motoClientConfig();
const sqs = new SQSClient(aws);
let sandbox: RunningSandbox;
let api: CpaasClient;
let resources: ProvisionedResources;
let rosterPath: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  Object.assign(process.env, awsSdkEnv());
  sandbox = await startSandbox();
  process.env.CPAAS_API_KEY = sandbox.apiKey;
  api = new CpaasClient({
    baseUrl: sandbox.url,
    accountId: sandbox.accountId,
    apiKey: sandbox.apiKey,
    allowInsecureHttp: true,
  });
  resources = await provisionQueues();
  const store = new DynamoStateStore({
    client: new DynamoDBClient(aws),
    tableName: resources.stateTableName,
  });
  const create = async (name: string, email: string, lastName = 'Same') =>
    (ids[name] = (
      await api.createUser({ email, first_name: 'First', last_name: lastName, enabled: true })
    ).id);
  const link = (employeeId: string, userId: string) =>
    saveLink(store, {
      employeeKey: `default:${employeeId}`,
      cpaasUserId: userId,
      status: 'active',
      lastEventId: 'seed',
      lastEventTime: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
  await link('E1', await create('same', 'e1@example.com'));
  await link('E2', await create('renamed', 'e2@example.com', 'Before'));
  await link('E9', await create('left', 'e9@example.com'));
  await create('adoptable', 'e4@example.com');
  await create('admin', 'admin@example.com');

  rosterPath = join(tmpdir(), `${uniqueName('roster')}.csv`);
  await writeFile(
    rosterPath,
    [
      'employeeId,workEmail,firstName,lastName',
      'E1,e1@example.com,First,Same',
      'E2,e2@example.com,First,After',
      'E3,e3@example.com,First,New',
      'E4,e4@example.com,First,Adopted',
    ].join('\n'),
  );
}, 60_000);

afterAll(async () => {
  await api?.close();
  await sandbox?.close();
});

afterEach(() => {
  vi.restoreAllMocks();
});

const laneQueues = () => [
  '--queue-url',
  resources.queueUrl,
  '--priority-queue-url',
  resources.priority.queueUrl,
];
const run = (...args: string[]) => runWithRoster(rosterPath, ...args);
const runWithRoster = (roster: string, ...args: string[]) =>
  runCli(
    'reconcile',
    '--roster',
    roster,
    '--table',
    resources.stateTableName,
    '--base-url',
    sandbox.url,
    '--account',
    sandbox.accountId,
    '--allow-insecure-http',
    ...args,
  );

describe('cpaas-lifecycle reconcile', () => {
  it('prints the plan from the roster, the sandbox users and the state table, changing nothing', async () => {
    const before = sandbox.control.requestCounts();
    const result = await run();
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain('+ create       E3');
    expect(result.stdout).toContain(`& adopt        E4 -> user ${ids.adoptable}`);
    expect(result.stdout).toContain(`~ update       E2 (user ${ids.renamed}): last_name`);
    expect(result.stdout).toContain(`- deprovision  E9 (user ${ids.left}): not in the roster`);
    expect(result.stdout).toContain(
      'Plan: 1 to create, 1 to adopt, 1 to update, 1 to deprovision; 1 unchanged; 1 CPaaS user(s)',
    );
    expect(result.stdout).not.toContain('@example.com');
    const after = sandbox.control.requestCounts();
    expect(after.createUser).toBe(before.createUser);
    expect(after.updateUser).toBe(before.updateUser);
    expect(after.deleteUser).toBe(before.deleteUser);
  });

  it('refuses to apply more deprovisions than allowed and enqueues nothing', async () => {
    const result = await run('--apply', ...laneQueues(), '--allow-deletes', '0');
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toContain('--allow-deletes 1');
    expect(await drainBodies(sqs, resources.queueUrl)).toEqual([]);
    expect(await drainBodies(sqs, resources.priority.queueUrl)).toEqual([]);
  });

  it('applies by enqueueing one canonical event per change, each on its lane', async () => {
    const result = await run('--apply', '--json', ...laneQueues());
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({
      applied: true,
      enqueued: 4,
      counts: { create: 1, adopt: 1, update: 1, deprovision: 1 },
    });
    const lane = async (queueUrl: string) =>
      (await drainBodies(sqs, queueUrl)).map((message) => {
        const event = JSON.parse(message.body);
        return `${event.type} ${event.subject}`;
      });
    expect((await lane(resources.queueUrl)).sort()).toEqual([
      'employee.changed E2',
      'employee.hired E3',
      'employee.hired E4',
    ]);
    expect(await lane(resources.priority.queueUrl)).toEqual(['employee.terminated E9']);
  });

  it("puts a run's events past the tenant's burst allowance on the bulk lane, given --bulk-queue-url", async () => {
    const newcomers = Array.from({ length: 12 }, (_, index) => `N${index},n${index}@example.com,New,Hire`);
    const bigRoster = join(tmpdir(), `${uniqueName('roster')}.csv`);
    await writeFile(bigRoster, [(await readFile(rosterPath, 'utf8')).trim(), ...newcomers].join('\n'));
    const result = await runWithRoster(
      bigRoster,
      '--apply',
      '--json',
      ...laneQueues(),
      '--bulk-queue-url',
      resources.bulk.queueUrl,
    );
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ enqueued: 16 });
    const subjects = async (queueUrl: string) =>
      (await drainBodies(sqs, queueUrl)).map((message) => JSON.parse(message.body).subject as string);
    const standard = await subjects(resources.queueUrl);
    const bulk = await subjects(resources.bulk.queueUrl);
    // 15 hires and changes: the first 10 on the standard lane, 5 on the bulk lane. (E2-E4's and E9's
    // events repeat the earlier test's, so SQS FIFO may drop them as duplicates within 5 minutes.)
    expect(bulk).toHaveLength(5);
    expect(standard.length).toBeLessThanOrEqual(DEFAULTS.burstAllowance.events);
    const newcomerIds = newcomers.map((line) => line.split(',')[0] as string);
    expect([...standard, ...bulk].filter((id) => id.startsWith('N')).sort()).toEqual(newcomerIds.sort());
    expect(await subjects(resources.priority.queueUrl)).not.toContain('N0');
  });

  it("needs both lanes' queues to apply", async () => {
    const result = await run('--apply', '--queue-url', resources.queueUrl);
    expect(result.code).toBe(EXIT.usage);
    expect(result.stderr).toContain(ENV.priorityQueueUrl);
  });

  it('needs the state table', async () => {
    delete process.env[ENV.stateTableName];
    const code = await main(['node', 'cpaas-lifecycle', 'reconcile', '--roster', rosterPath]);
    expect(code).toBe(EXIT.usage);
  });
});
