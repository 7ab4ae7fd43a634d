import { randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_TABLE_KEYS } from '../../../lambdas/contract/state-table.js';
import { DEFAULT_TENANT_ID } from '../../../lambdas/contract/tenants.js';
import { upgradeTenantKeys } from '../../../lambdas/core/config/environment.js';
import type { LifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { rekeyLegacyTenantItems } from '../../../lambdas/core/state/legacy-tenant-keys.js';
import { silentLogger } from '../../../lambdas/core/telemetry/logger.js';
import { DynamoTenantRegistry } from '../../../lambdas/core/tenants/tenant-registry.js';
import { DEFAULT_DEPROVISIONING } from '../../support/tenant-fixture.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

let fx: WorkerFixture;
let documents: DynamoDBDocumentClient;
/** A state table of its own per group: the upgrade runs once per table. */
function freshTable() {
  beforeAll(async () => {
    fx = await workerFixture();
    documents = DynamoDBDocumentClient.from(fx.aws.dynamodb);
  });
  afterAll(() => fx.close());
}

const table = () => fx.aws.resources.stateTableName;
const pk = STATE_TABLE_KEYS.partitionKey;
const item = async (key: string) =>
  (await documents.send(new GetCommand({ TableName: table(), Key: { [pk]: key }, ConsistentRead: true })))
    .Item;
const put = (value: Record<string, unknown>) =>
  documents.send(new PutCommand({ TableName: table(), Item: value }));

/** As the ingest sets it now: every event on the default routes is the default tenant's. */
const routed = (event: LifecycleEvent): LifecycleEvent => ({ ...event, tenant: DEFAULT_TENANT_ID });

/**
 * An employee as a worker before tenants left it, written literally (not through today's key
 * helpers): its event carried `tenant: <value>` (Merge's linked account id, or a standard event's
 * own), so its link, its user's claim and its pending termination are keyed `<value>:<employee>`.
 */
async function legacyEmployee(tenantValue: string) {
  const data = employee();
  const user = await fx.admin.createUser({
    email: data.workEmail,
    first_name: data.firstName,
    last_name: data.lastName,
  });
  const hire = { ...lifecycleEvent('employee.hired', data), tenant: tenantValue };
  const key = `${tenantValue}:${data.employeeId}`;
  await put({
    [pk]: `link#${key}`,
    cpaasUserId: user.id,
    status: 'active',
    lastEventId: hire.id,
    lastEventTime: hire.time,
    updatedAt: hire.time,
    version: 2,
    recentEventIds: [hire.id],
    schedulePending: true,
  });
  await put({ [pk]: `user#${user.id}`, employeeKey: key });
  const leaving = {
    ...lifecycleEvent('employee.terminated', { ...data, effectiveAt: '2031-01-01T00:00:00.000Z' }),
    tenant: tenantValue,
  };
  await put({
    [pk]: `schedule#${key}`,
    eventId: leaving.id,
    eventTime: leaving.time,
    body: JSON.stringify(leaving),
    dueShard: 'due',
    dueAt: '2031-01-01T00:00:00.000Z',
  });
  return { data, user, key };
}

describe('a deployment whose events carried their own tenant values, not upgraded', () => {
  freshTable();
  it('the gap, without the upgrade: a change finds no link and its user "linked elsewhere"; a termination finds no user', async () => {
    const { data, user } = await legacyEmployee(randomUUID());

    const change = await fx.apply(routed(lifecycleEvent('employee.changed', { ...data, lastName: 'Moved' })));
    expect(change.attributes).toMatchObject({
      outcome: 'dead-lettered',
      errorClass: 'UserLinkedElsewhereError',
    });
    const termination = await fx.apply(routed(lifecycleEvent('employee.terminated', data)), {
      policy: 'disable',
    });
    expect(termination.attributes.outcome).toBe('unchanged');
    expect(fx.sandbox.control.users().find((each) => each.id === user.id)?.enabled).not.toBe(false);
  });
});

describe('upgrading a deployment whose events carried their own tenant values', () => {
  freshTable();
  it('the same VoIP user is changed then disabled, its claim and schedule follow, other keys stay', async () => {
    const merge = await legacyEmployee(randomUUID()); // a Merge linked account id
    const standard = await legacyEmployee('Acme_HR.1'); // a standard event's own tenant value
    const registry = new DynamoTenantRegistry({ client: fx.aws.dynamodb, tableName: table() });
    const tenantId = `t-${randomUUID().slice(0, 8)}`;
    await registry.add({
      id: tenantId,
      cpaasAccountId: 'acct-other',
      sources: ['standard'],
      accountIds: [],
      deprovisioning: DEFAULT_DEPROVISIONING,
    });
    const link = {
      status: 'active',
      lastEventId: 'ev-1',
      lastEventTime: '2026-01-01',
      updatedAt: '2026-01-01',
    };
    const registeredLink = { [pk]: `link#${tenantId}:E1`, ...link };
    const defaultLink = { [pk]: 'link#default:E2', ...link };
    await put(registeredLink);
    await put(defaultLink);
    // A termination the brake held for the Merge employee, also keyed by the old value.
    const held = { ...lifecycleEvent('employee.terminated', merge.data), tenant: merge.key.split(':')[0] };
    await put({
      [pk]: `hold#${merge.key}#${held.id}`,
      employeeKey: merge.key,
      eventId: held.id,
      body: JSON.stringify(held),
      heldAt: '2026-05-01T00:00:00.000Z',
      recent: 5,
      limit: 5,
    });
    const upgrade = upgradeTenantKeys(fx.aws.dynamodb, table(), silentLogger);

    await upgrade();
    const holds = [];
    for await (const each of fx.holds.list(DEFAULT_TENANT_ID)) holds.push(each);
    expect(holds).toEqual([
      expect.objectContaining({
        employeeKey: `${DEFAULT_TENANT_ID}:${merge.data.employeeId}`,
        eventId: held.id,
      }),
    ]);
    expect(JSON.parse(holds[0]?.body ?? '').tenant).toBe(DEFAULT_TENANT_ID);
    for (const { data, user, key } of [merge, standard]) {
      const moved = `${DEFAULT_TENANT_ID}:${data.employeeId}`;
      expect(await item(`link#${key}`)).toBeUndefined();
      expect(await item(`link#${moved}`)).toMatchObject({ cpaasUserId: user.id, status: 'active' });
      expect(await item(`user#${user.id}`)).toMatchObject({ employeeKey: moved });
      expect(await item(`schedule#${key}`)).toBeUndefined();
      const schedule = await item(`schedule#${moved}`);
      expect(JSON.parse(String(schedule?.body)).tenant).toBe(DEFAULT_TENANT_ID);

      const change = await fx.apply(
        routed(lifecycleEvent('employee.changed', { ...data, lastName: 'Moved' })),
        {
          upgrade,
        },
      );
      expect(change.attributes).toMatchObject({ outcome: 'updated', cpaasUserId: user.id });
      expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
      // The change is newer than the pending termination it found under the new key: it cancels it.
      expect(await item(`schedule#${moved}`)).toBeUndefined();

      const termination = await fx.apply(routed(lifecycleEvent('employee.terminated', data)), {
        upgrade,
        policy: 'disable',
      });
      expect(termination.attributes).toMatchObject({ outcome: 'disabled', cpaasUserId: user.id });
      expect(fx.sandbox.control.users().find((each) => each.id === user.id)?.enabled).toBe(false);
    }
    expect(await item(registeredLink[pk])).toEqual(registeredLink);
    expect(await item(defaultLink[pk])).toEqual(defaultLink);
    expect(await item('upgrade#tenant-keys')).toMatchObject({
      links: 2,
      schedules: 2,
      holds: 1,
      conflicts: 0,
    });

    // Done once: a later process reads the marker and moves nothing.
    await put({ ...defaultLink, [pk]: 'link#late-value:E3' });
    await upgradeTenantKeys(fx.aws.dynamodb, table(), silentLogger)();
    expect(await item('link#late-value:E3')).toBeDefined();
  });
});

describe('re-keying', () => {
  freshTable();
  it('is idempotent, and leaves an employee whose new key the default tenant already has where it is', async () => {
    const subject = `E-${randomUUID().slice(0, 8)}`;
    const link = { status: 'active', lastEventId: 'ev-1', updatedAt: '2026-01-01', version: 1 };
    const mine = { [pk]: `link#default:${subject}`, ...link, lastEventTime: '2026-02-01' };
    const theirs = { [pk]: `link#acc-9:${subject}`, ...link, lastEventTime: '2026-01-01' };
    const theirSchedule = { [pk]: `schedule#acc-9:${subject}`, eventId: 'ev-2', body: '{"tenant":"acc-9"}' };
    const movable = { [pk]: 'link#acc-9:E-other', ...link, lastEventTime: '2026-01-01' };
    for (const each of [mine, theirs, theirSchedule, movable]) await put(each);
    const options = { tableName: table(), isRegistered: async () => false, logger: silentLogger };

    expect(await rekeyLegacyTenantItems(documents, options)).toEqual({
      links: 1,
      schedules: 0,
      holds: 0,
      conflicts: 1,
    });
    expect(await item(mine[pk])).toEqual(mine);
    expect(await item(theirs[pk])).toEqual(theirs);
    expect(await item(theirSchedule[pk])).toEqual(theirSchedule);
    expect(await item('link#default:E-other')).toMatchObject({ ...link, lastEventTime: '2026-01-01' });
    expect(await rekeyLegacyTenantItems(documents, options)).toEqual({
      links: 0,
      schedules: 0,
      holds: 0,
      conflicts: 1,
    });
  });
});
