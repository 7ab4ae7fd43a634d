import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_TABLE_KEYS } from '../../../../lambdas/contract/state-table.js';
import { DynamoEmployeeLeases } from '../../../../lambdas/core/state/employee-lease.js';
import { EmployeeBusyError } from '../../../../lambdas/core/state/errors.js';
import { motoClientConfig } from '../../../support/aws.js';
import { createStateTable } from '../../../support/holds-fixture.js';
import { until } from '../../../support/until.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
afterAll(() => dynamodb.destroy());

/** Counts lease puts refused because another delivery held the lease. */
let refusals = 0;
dynamodb.middlewareStack.add(
  (next) => async (args) => {
    try {
      return await next(args);
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') refusals += 1;
      throw error;
    }
  },
  { step: 'initialize', name: 'countRefusals' },
);

const later = () => Date.now() + 30_000;

/** A delivery holding `employeeKey`'s lease (on a fresh table) until `open()` is called. */
async function holdLease(employeeKey: string) {
  const leases = new DynamoEmployeeLeases({ client: dynamodb, tableName: await createStateTable(dynamodb) });
  let open: () => void = () => {};
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  let holding = false;
  const held = leases.withLease(employeeKey, later(), () => {
    holding = true;
    return gate;
  });
  await until(() => holding, 'the first delivery holding the lease');
  return { leases, open, held };
}

describe('DynamoEmployeeLeases (moto)', () => {
  it("runs one employee's deliveries one at a time: the second waits for the first to give the lease back", async () => {
    const leases = new DynamoEmployeeLeases({
      client: dynamodb,
      tableName: await createStateTable(dynamodb),
    });
    let running = 0;
    let most = 0;
    let open: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const work = (wait: Promise<void>) => async () => {
      running += 1;
      most = Math.max(most, running);
      await wait;
      running -= 1;
    };
    const first = leases.withLease('acme:E1', later(), work(gate));
    await until(() => running === 1, 'the first delivery holding the lease');
    const before = refusals;
    const second = leases.withLease('acme:E1', later(), work(Promise.resolve()));
    await until(() => refusals > before, 'the second delivery finding the lease taken');
    expect(running).toBe(1);
    open();
    await Promise.all([first, second]);
    expect(most).toBe(1);
  });

  it('lets other employees through while one is leased', async () => {
    const { leases, open, held } = await holdLease('acme:E1');
    expect(await leases.withLease('acme:E2', later(), async () => 'other employee applied')).toBe(
      'other employee applied',
    );
    open();
    await held;
  });

  it('gives up with a transient EmployeeBusyError when the lease stays taken past its deadline', async () => {
    const { leases, open, held } = await holdLease('acme:E1');
    const busy = await leases
      .withLease('acme:E1', Date.now() + 100, async () => 'ran')
      .catch((error) => error);
    expect(busy).toBeInstanceOf(EmployeeBusyError);
    expect(busy.permanent).toBe(false);
    open();
    await held;
  });

  it('keeps the applied result when giving the lease back fails: the lease frees itself at the deadline', async () => {
    const failing = new DynamoDBClient(motoClientConfig());
    failing.middlewareStack.add(
      (next) => async (args) => {
        if ((args.input as { ConditionExpression?: string }).ConditionExpression === '#holder = :holder') {
          throw new Error('connection reset while releasing');
        }
        return next(args);
      },
      { step: 'initialize', name: 'failRelease' },
    );
    try {
      const tableName = await createStateTable(dynamodb);
      const leases = new DynamoEmployeeLeases({ client: failing, tableName });
      expect(await leases.withLease('acme:E1', Date.now() + 300, async () => 'applied')).toBe('applied');
      // Still held until its deadline; then the next delivery takes it over.
      expect(await leases.withLease('acme:E1', later(), async () => 'next applied')).toBe('next applied');
    } finally {
      failing.destroy();
    }
  });

  it("takes over a lease whose holder's invocation ended without giving it back (a crash)", async () => {
    const tableName = await createStateTable(dynamodb);
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          [STATE_TABLE_KEYS.partitionKey]: { S: 'lease#acme:E1' },
          holder: { S: 'crashed-worker' },
          leaseUntil: { N: String(Date.now() - 1) },
        },
      }),
    );
    const leases = new DynamoEmployeeLeases({ client: dynamodb, tableName });
    expect(await leases.withLease('acme:E1', later(), async () => 'applied')).toBe('applied');
  });
});
