import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { MESSAGE_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import { DynamoHoldStore, type HeldTermination } from '../../../lambdas/core/state/hold-store.js';
import { confirm } from '../../../tools/cli/confirm.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { listHolds } from '../../../tools/operations/holds.js';
import { motoClientConfig } from '../../support/aws.js';
import {
  createLifecycleQueue,
  createStateTable,
  heldTermination,
  receiveAll,
  terminationEvent,
} from '../../support/holds-fixture.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { runCli } from './run-cli.js';

// The operator's answer at the y/N prompt; everything behind it runs for real.
vi.mock('../../../tools/cli/confirm.js', () => ({ confirm: vi.fn() }));

const aws = motoClientConfig();
const dynamodb = new DynamoDBClient(aws);
const sqs = new SQSClient(aws);

beforeAll(() => {
  // The CLI builds its clients from the standard AWS SDK environment, as an operator's shell would.
  Object.assign(process.env, awsSdkEnv());
  delete process.env[ENV.stateTableName];
  delete process.env[ENV.queueUrl];
  delete process.env[ENV.priorityQueueUrl];
});
afterAll(() => {
  dynamodb.destroy();
  sqs.destroy();
});
afterEach(() => {
  vi.restoreAllMocks();
});

const run = runCli;

async function setUp(...held: HeldTermination[]) {
  const table = await createStateTable(dynamodb);
  const holds = new DynamoHoldStore({ client: dynamodb, tableName: table });
  for (const one of held) await holds.hold(one);
  const standardQueueUrl = await createLifecycleQueue(sqs);
  // A held event is a termination: `queueUrl` is the priority lane's, where a release sends it.
  const queueUrl = await createLifecycleQueue(sqs);
  const queues = ['--queue-url', standardQueueUrl, '--priority-queue-url', queueUrl];
  return { table, holds, queueUrl, standardQueueUrl, queues };
}

describe('cpaas-lifecycle holds', () => {
  it('list prints ids, type and the window count, never the email or names, as text and JSON', async () => {
    const held = heldTermination(terminationEvent('emp-c1', 'ev-c1'), '2026-11-22T12:00:00.000Z');
    const { table } = await setUp(held, {
      ...heldTermination(terminationEvent('emp-c2'), '2026-11-22T12:01:00.000Z'),
      recent: 11,
      limit: 11,
    });

    const text = await run('holds', 'list', '--table', table);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain('2 termination(s) held:');
    expect(text.stdout).toContain(
      'default:emp-c1  event ev-c1  employee.terminated  held 2026-11-22T12:00:00.000Z  window 10/10',
    );
    expect(text.stdout).toContain('window 11/11');
    expect(text.stdout).not.toMatch(/@example\.com|Grace|Hopper/);

    const json = await run('holds', 'list', '--table', table, '--json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed.holds[0]).toEqual({
      employeeKey: 'default:emp-c1',
      eventId: 'ev-c1',
      eventType: 'employee.terminated',
      heldAt: '2026-11-22T12:00:00.000Z',
      recent: 10,
      limit: 10,
    });
    expect(json.stdout).not.toMatch(/@example\.com|Grace|Hopper/);

    const empty = await run('holds', 'list', '--table', (await setUp()).table);
    expect(empty.stdout).toBe('No terminations held.\n');
  });

  it('release --id sends the hold back marked released and removes it', async () => {
    const held = heldTermination(terminationEvent('emp-c3'), '2026-11-22T12:00:00.000Z');
    const kept = heldTermination(terminationEvent('emp-c4'), '2026-11-22T12:01:00.000Z');
    const { table, holds, queueUrl, standardQueueUrl, queues } = await setUp(held, kept);
    const result = await run('holds', 'release', '--id', held.eventId, '--table', table, ...queues);
    expect(result.code).toBe(EXIT.ok);
    expect(result.stdout).toContain(`released default:emp-c3 event ${held.eventId} -> message `);
    expect(result.stdout).toContain(` on ${queueUrl}`);
    expect(result.stdout).toContain('1 hold(s) released.');
    expect(await receiveAll(sqs, standardQueueUrl)).toEqual([]);
    const messages = await receiveAll(sqs, queueUrl);
    expect(messages.map((message) => message.Body)).toEqual([held.body]);
    expect(messages[0]?.MessageAttributes?.[MESSAGE_ATTRIBUTES.releasedHold]?.StringValue).toBe('true');
    expect(await listHolds(holds)).toEqual([kept]);
  });

  it("release --all --json takes the table and the lanes' queues from the environment", async () => {
    const held = heldTermination(terminationEvent('emp-c5'), '2026-11-22T12:00:00.000Z');
    const { table, holds, queueUrl, standardQueueUrl } = await setUp(held);
    process.env[ENV.stateTableName] = table;
    process.env[ENV.queueUrl] = standardQueueUrl;
    process.env[ENV.priorityQueueUrl] = queueUrl;
    try {
      const result = await run('holds', 'release', '--all', '--json');
      expect(result.code).toBe(EXIT.ok);
      expect(JSON.parse(result.stdout)).toEqual({
        queueUrls: { standard: standardQueueUrl, priority: queueUrl },
        released: [
          { employeeKey: 'default:emp-c5', eventId: held.eventId, messageId: expect.any(String), queueUrl },
        ],
      });
      expect(await listHolds(holds)).toEqual([]);
    } finally {
      delete process.env[ENV.stateTableName];
      delete process.env[ENV.queueUrl];
      delete process.env[ENV.priorityQueueUrl];
    }
  });

  it('fails with exit 1 on an unknown id and releases nothing', async () => {
    const held = heldTermination(terminationEvent('emp-c6'), '2026-11-22T12:00:00.000Z');
    const { table, holds, queueUrl, queues } = await setUp(held);
    const args = ['--id', held.eventId, 'no-such-event', '--table', table];
    const release = await run('holds', 'release', ...args, ...queues);
    expect(release.code).toBe(EXIT.failed);
    expect(release.stderr).toContain('no hold no-such-event');
    const discard = await run('holds', 'discard', ...args, '--yes');
    expect(discard.code).toBe(EXIT.failed);
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);
    expect(await listHolds(holds)).toEqual([held]);
  });

  it('usage errors exit 2: neither or both of --all and --id, no table, no queue for a release', async () => {
    const { table, standardQueueUrl, queues } = await setUp();
    expect((await run('holds', 'release', '--table', table, ...queues)).code).toBe(EXIT.usage);
    expect((await run('holds', 'discard', '--all', '--id', 'x', '--table', table, '--yes')).code).toBe(
      EXIT.usage,
    );
    const noTable = await run('holds', 'list');
    expect(noTable.code).toBe(EXIT.usage);
    expect(noTable.stderr).toContain(ENV.stateTableName);
    const noQueue = await run('holds', 'release', '--all', '--table', table);
    expect(noQueue.code).toBe(EXIT.usage);
    expect(noQueue.stderr).toContain(ENV.queueUrl);
    const noPriorityQueue = await run(
      'holds',
      'release',
      '--all',
      '--table',
      table,
      '--queue-url',
      standardQueueUrl,
    );
    expect(noPriorityQueue.code).toBe(EXIT.usage);
    expect(noPriorityQueue.stderr).toContain(ENV.priorityQueueUrl);
  });

  it('discard refuses without --yes when nobody can answer, and discards with it', async () => {
    const held = heldTermination(terminationEvent('emp-c7'), '2026-11-22T12:00:00.000Z');
    const { table, holds, queueUrl } = await setUp(held);
    const refused = await run('holds', 'discard', '--all', '--table', table);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain('--yes');
    expect(await listHolds(holds)).toEqual([held]);
    const discarded = await run('holds', 'discard', '--id', held.eventId, '--table', table, '--yes');
    expect(discarded.code).toBe(EXIT.ok);
    expect(discarded.stdout).toContain(`discarded default:emp-c7  event ${held.eventId}`);
    expect(discarded.stdout).toContain('1 hold(s) discarded.');
    expect(await listHolds(holds)).toEqual([]);
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);
  });

  it('discard on a terminal asks first, naming how many, and keeps the holds on a no', async () => {
    const held = heldTermination(terminationEvent('emp-c8'), '2026-11-22T12:00:00.000Z');
    const { table, holds } = await setUp(held);
    const tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
    Object.defineProperty(process.stdin, 'isTTY', { value: true, configurable: true });
    try {
      vi.mocked(confirm).mockResolvedValueOnce(false);
      const declined = await run('holds', 'discard', '--all', '--table', table);
      expect(declined.code).toBe(EXIT.ok);
      expect(declined.stdout).toBe('Nothing discarded.\n');
      expect(vi.mocked(confirm)).toHaveBeenLastCalledWith(
        'Discard 1 held termination(s)? They will never be executed. [y/N] ',
      );
      expect(await listHolds(holds)).toEqual([held]);

      vi.mocked(confirm).mockResolvedValueOnce(true);
      const accepted = await run('holds', 'discard', '--id', held.eventId, '--table', table);
      expect(accepted.code).toBe(EXIT.ok);
      expect(accepted.stdout).toContain('1 hold(s) discarded.');
      expect(await listHolds(holds)).toEqual([]);
    } finally {
      if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
      else delete (process.stdin as { isTTY?: boolean }).isTTY;
    }
  });
});
