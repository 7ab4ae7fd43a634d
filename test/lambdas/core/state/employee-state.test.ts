import { randomUUID } from 'node:crypto';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_TABLE_KEYS } from '../../../../lambdas/contract/state-table.js';
import { EmployeeBusyError } from '../../../../lambdas/core/state/errors.js';
import { DynamoStateStore, type EmployeeLink } from '../../../../lambdas/core/state/state-store.js';
import { motoClientConfig } from '../../../support/aws.js';
import { createStateTable } from '../../../support/holds-fixture.js';
import { until } from '../../../support/until.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
afterAll(() => dynamodb.destroy());

/** Consistent reads of link items: what a delivery waiting for the lease does, instead of writing. */
let linkReads = 0;
dynamodb.middlewareStack.add(
  (next) => async (args) => {
    const input = args.input as { ConsistentRead?: boolean; Key?: Record<string, { S?: string }> };
    if (input.ConsistentRead === true && JSON.stringify(input.Key ?? {}).includes('link#')) linkReads += 1;
    return next(args);
  },
  { step: 'initialize', name: 'countLinkReads' },
);

const later = () => Date.now() + 30_000;
const event = (time = '2026-03-01T00:00:00.000Z') => ({ id: `ev-${randomUUID()}`, time });
const link = (employeeKey: string, eventId: string, time: string): EmployeeLink => ({
  employeeKey,
  cpaasUserId: 'a'.repeat(32),
  status: 'active',
  lastEventId: eventId,
  lastEventTime: time,
  updatedAt: time,
});

async function freshStore(client = dynamodb) {
  const tableName = await createStateTable(dynamodb);
  return { tableName, store: new DynamoStateStore({ client, tableName }) };
}

/** A delivery of `employeeKey` that took the lease (on a fresh table) and holds it until `open()`. */
async function holdLease(employeeKey: string) {
  const { store, tableName } = await freshStore();
  const first = event();
  const state = await store.begin(employeeKey, first, later());
  expect(await state.lock()).toBe(true);
  return {
    store,
    tableName,
    async open() {
      expect(await state.save(link(employeeKey, first.id, first.time))).toBe(true);
      await state.close();
    },
  };
}

describe('DynamoEmployeeState: the employee lease on the link item (moto)', () => {
  it("applies one employee's deliveries one at a time: the second reads until the first gives the lease back", async () => {
    const { store, open } = await holdLease('acme:E1');
    const before = linkReads;
    let second: Awaited<ReturnType<typeof store.begin>> | undefined;
    const waiting = store.begin('acme:E1', event('2026-03-02T00:00:00Z'), later()).then((state) => {
      second = state;
    });
    await until(() => linkReads > before + 1, 'the second delivery reading again');
    expect(second).toBeUndefined();
    await open();
    await waiting;
    // It decides on what the first one wrote.
    expect(second?.link?.status).toBe('active');
    await second?.close();
  });

  it('lets other employees through while one is leased', async () => {
    const { store, open } = await holdLease('acme:E1');
    const other = await store.begin('acme:E2', event(), later());
    expect(await other.lock()).toBe(true);
    await other.close();
    await open();
  });

  it('gives up with a transient EmployeeBusyError when the lease stays taken past its deadline', async () => {
    const { store, open } = await holdLease('acme:E1');
    const busy = await store.begin('acme:E1', event(), Date.now() + 100).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(EmployeeBusyError);
    expect((busy as EmployeeBusyError).permanent).toBe(false);
    await open();
  });

  it('refuses a write when the link changed since it was read: the event reads again', async () => {
    const { store } = await freshStore();
    const key = 'acme:E3';
    const termination = event('2026-03-02T00:00:00Z');
    const change = event('2026-03-01T00:00:00Z');
    const [first, second] = await Promise.all([
      store.begin(key, termination, later()),
      store.begin(key, change, later()),
    ]);
    expect(await first.lock()).toBe(true);
    expect(await first.save({ ...link(key, termination.id, termination.time), status: 'disabled' })).toBe(
      true,
    );
    // Read before the termination's write: neither its lease nor its record gets through.
    expect(await second.lock()).toBe(false);
    expect(await second.record()).toBe(false);
    await Promise.all([first.close(), second.close()]);
  });

  it('keeps the applied result when giving the lease back fails: the lease frees itself at the deadline', async () => {
    const failing = new DynamoDBClient(motoClientConfig());
    failing.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { UpdateExpression?: string };
        if (input.UpdateExpression?.startsWith('REMOVE')) throw new Error('connection reset while releasing');
        return next(args);
      },
      { step: 'initialize', name: 'failRelease' },
    );
    try {
      const { store, tableName } = await freshStore(failing);
      const first = await store.begin('acme:E1', event(), Date.now() + 300);
      expect(await first.lock()).toBe(true);
      // The event ended without its save (held by the brake, say): the release fails, silently.
      await first.close();
      // Still held until its deadline; then the next delivery takes it over.
      const before = linkReads;
      const next = await new DynamoStateStore({ client: dynamodb, tableName }).begin(
        'acme:E1',
        event(),
        later(),
      );
      expect(linkReads - before).toBeGreaterThan(1);
      expect(await next.lock()).toBe(true);
      await next.close();
    } finally {
      failing.destroy();
    }
  });

  it("takes over a lease whose holder's invocation ended without giving it back (a crash)", async () => {
    const { store, tableName } = await freshStore();
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: {
          [STATE_TABLE_KEYS.partitionKey]: { S: 'link#acme:E1' },
          leaseOwner: { S: 'crashed-worker' },
          leaseUntil: { N: String(Date.now() - 1) },
          version: { N: '1' },
        },
      }),
    );
    const before = linkReads;
    const applied = event();
    const state = await store.begin('acme:E1', applied, later());
    expect(linkReads).toBe(before + 1);
    expect(state.link).toBeUndefined();
    expect(await state.lock()).toBe(true);
    expect(await state.save(link('acme:E1', applied.id, applied.time))).toBe(true);
    await state.close();
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: { S: 'link#acme:E1' } },
      }),
    );
    expect(Item?.leaseOwner).toBeUndefined();
    expect(Item?.[STATE_TABLE_KEYS.ttlAttribute]).toBeUndefined();
  });

  it('a new employee whose first event never completes leaves an item that expires (TTL), and no link', async () => {
    const { store, tableName } = await freshStore();
    const deadline = later();
    const state = await store.begin('acme:E9', event(), deadline);
    expect(await state.lock()).toBe(true);
    await state.close();
    const { Item } = await dynamodb.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: { S: 'link#acme:E9' } },
      }),
    );
    expect(Number(Item?.[STATE_TABLE_KEYS.ttlAttribute]?.N)).toBeGreaterThan(deadline / 1000);
    expect(await store.getLink('acme:E9')).toBeUndefined();
  });
});

describe('DynamoStateStore.begin with the lease taken with the read (moto)', () => {
  const getLinkItem = async (tableName: string, employeeKey: string) =>
    (
      await dynamodb.send(
        new GetItemCommand({
          TableName: tableName,
          Key: { [STATE_TABLE_KEYS.partitionKey]: { S: `link#${employeeKey}` } },
          ConsistentRead: true,
        }),
      )
    ).Item;

  it('a hire of a new employee holds the lease from its first call, on an item that expires until linked', async () => {
    const { store, tableName } = await freshStore();
    const deadline = later();
    const hire = event();
    const before = linkReads;
    const state = await store.begin('acme:N1', hire, deadline, 'absent');
    expect(linkReads).toBe(before);
    expect(state.link).toBeUndefined();
    expect(
      Number((await getLinkItem(tableName, 'acme:N1'))?.[STATE_TABLE_KEYS.ttlAttribute]?.N),
    ).toBeGreaterThan(deadline / 1000);
    // Another delivery of the employee waits for it, as for a lease taken by `lock()`.
    const busy = await store.begin('acme:N1', event(), Date.now() + 100, 'absent').catch((error) => error);
    expect(busy).toBeInstanceOf(EmployeeBusyError);
    expect(await state.lock()).toBe(true);
    expect(await state.save(link('acme:N1', hire.id, hire.time))).toBe(true);
    await state.close();
    const item = await getLinkItem(tableName, 'acme:N1');
    expect(item?.leaseOwner).toBeUndefined();
    expect(item?.[STATE_TABLE_KEYS.ttlAttribute]).toBeUndefined();
    expect(await store.getLink('acme:N1')).toMatchObject({ status: 'active', lastEventId: hire.id });
  });

  it('a wrong guess opens the state as a read would: unleased, and the lock is conditional on the version read', async () => {
    const { store, open } = await holdLease('acme:N2');
    await open();
    // 'absent' on an existing employee (a rehire): the item comes back from the failed condition.
    const rehire = event('2026-03-05T00:00:00.000Z');
    const state = await store.begin('acme:N2', rehire, later(), 'absent');
    expect(state.link).toMatchObject({ status: 'active' });
    const overtaking = await store.begin('acme:N2', event('2026-03-06T00:00:00.000Z'), later());
    expect(await overtaking.record()).toBe(true);
    expect(await state.lock()).toBe(false);
    await Promise.all([state.close(), overtaking.close()]);
  });

  it('a termination of a provisioned employee takes the lease, a redelivered or older one does not', async () => {
    const { store, tableName, open } = await holdLease('acme:N3');
    await open();
    const termination = event('2026-03-05T00:00:00.000Z');
    const state = await store.begin('acme:N3', termination, later(), 'present');
    expect((await getLinkItem(tableName, 'acme:N3'))?.leaseOwner?.S).toBeDefined();
    expect(
      await state.save({ ...link('acme:N3', termination.id, termination.time), status: 'deleted' }),
    ).toBe(true);
    await state.close();
    for (const answered of [termination, event('2026-03-04T00:00:00.000Z')]) {
      const again = await store.begin('acme:N3', answered, later(), 'present');
      expect((await getLinkItem(tableName, 'acme:N3'))?.leaseOwner).toBeUndefined();
      expect(again.link).toMatchObject({ status: 'deleted', lastEventId: termination.id });
      expect(again.processed).toBe(answered === termination);
      await again.close();
    }
    // No item at all (a termination of someone never provisioned): nothing written, nothing leased.
    const never = await store.begin('acme:N4', event(), later(), 'present');
    expect(never.link).toBeUndefined();
    expect(await getLinkItem(tableName, 'acme:N4')).toBeUndefined();
    await never.close();
  });

  it('gives a lease taken with the read back when the rest of the read fails', async () => {
    const failing = new DynamoDBClient(motoClientConfig());
    failing.middlewareStack.add(
      (next) => async (args) => {
        if (JSON.stringify(args.input).includes('event#')) throw new Error('connection reset');
        return next(args);
      },
      { step: 'initialize', name: 'failLegacyRead' },
    );
    try {
      const { tableName } = await freshStore();
      const time = '2026-03-05T00:00:00.000Z';
      // A link of the former format: an event of its time may be named only by an event# item.
      await dynamodb.send(
        new PutItemCommand({
          TableName: tableName,
          Item: {
            [STATE_TABLE_KEYS.partitionKey]: { S: 'link#acme:N5' },
            cpaasUserId: { S: 'a'.repeat(32) },
            status: { S: 'active' },
            lastEventId: { S: 'former' },
            lastEventTime: { S: time },
            updatedAt: { S: time },
          },
        }),
      );
      const store = new DynamoStateStore({ client: failing, tableName });
      await expect(store.begin('acme:N5', event(time), later(), 'present')).rejects.toThrow(
        'connection reset',
      );
      expect((await getLinkItem(tableName, 'acme:N5'))?.leaseOwner).toBeUndefined();
    } finally {
      failing.destroy();
    }
  });
});
