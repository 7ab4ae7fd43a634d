import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import { STATE_TABLE_KEYS } from '../../../lambdas/contract/state-table.js';
import { employeeKey } from '../../../lambdas/core/events/lifecycle-event.js';
import { brakeWindowKey, LinkedUserCounts } from '../../../lambdas/core/state/deletion-brake.js';
import { DynamoScimOutboxes } from '../../../lambdas/core/state/scim-outbox.js';
import { silentLogger } from '../../../lambdas/core/telemetry/logger.js';
import { registeredTenantPorts } from '../../../lambdas/core/tenants/tenant-ports.js';
import { DynamoTenantRegistry } from '../../../lambdas/core/tenants/tenant-registry.js';
import { sweep } from '../../../lambdas/sweep/sweep.js';
import type { WorkerMetrics } from '../../../lambdas/worker/metrics.js';
import type { ObservedRequest } from '../../../tools/sandbox/index.js';
import { motoClientConfig } from '../../support/aws.js';
import { eventRecord } from '../../support/records.js';
import { addTestTenant, type TestTenant, tenantEvent, uniqueTenantId } from '../../support/tenant-fixture.js';
import { DAY_MS, employee, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

let fx: WorkerFixture;
let registry: DynamoTenantRegistry;
let secrets: SecretsManagerClient;
let getSecretValues = 0;
const requests: ObservedRequest[] = [];

beforeAll(async () => {
  fx = await workerFixture(3, { onRequest: (request) => requests.push(request) });
  const tableName = fx.aws.resources.stateTableName;
  registry = new DynamoTenantRegistry({ client: fx.aws.dynamodb, tableName });
  secrets = new SecretsManagerClient(motoClientConfig());
  // Every GetSecretValue the tenants' key caches send, counted where it leaves the process.
  secrets.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName === 'GetSecretValueCommand') getSecretValues += 1;
      return next(args);
    },
    { step: 'initialize' },
  );
});
afterAll(async () => {
  secrets.destroy();
  await fx.close();
});

const clock = () => fx.now ?? new Date();

/** The registered tenants' ports as the Lambda builds them, over the counting Secrets Manager client. */
function tenantPorts() {
  const tableName = fx.aws.resources.stateTableName;
  return registeredTenantPorts({
    registry,
    cpaas: { baseUrl: fx.sandbox.url, allowInsecureHttp: true, secretCacheSeconds: 300 },
    secrets,
    dynamodb: fx.aws.dynamodb,
    tableName,
    linkedUsers: new LinkedUserCounts({ client: fx.aws.dynamodb, tableName, now: clock }),
    now: clock,
  });
}

const addTenant = (prefix: string, deprovisioning = {}) =>
  addTestTenant(
    {
      addAccount: () => fx.sandbox.control.addAccount(),
      tenants: {
        registry,
        secrets,
        documents: DynamoDBDocumentClient.from(fx.aws.dynamodb),
        tableName: fx.aws.resources.stateTableName,
      },
    },
    uniqueTenantId(prefix),
    deprovisioning,
  );

const usersOf = (tenant: TestTenant) => fx.sandbox.control.account(tenant.accountId)?.users() ?? [];

/** A metrics port that remembers the per-tenant calls. */
function recordingMetrics() {
  const held: string[] = [];
  const deadLetters: Array<[string, string]> = [];
  const metrics: WorkerMetrics = {
    outcome() {},
    apiLatency() {},
    revocationLatency() {},
    publish() {},
    terminationHeld: (tenant) => held.push(tenant),
    deadLetter: (kind, tenant) => deadLetters.push([kind, tenant]),
  };
  return { metrics, held, deadLetters };
}

describe('worker: tenants (sandbox + moto)', () => {
  it("applies a tenant's event with that tenant's key on that tenant's account only", async () => {
    const a = await addTenant('a');
    const b = await addTenant('b');
    const tenants = tenantPorts();
    const person = employee();
    const before = requests.length;
    const hired = await fx.apply(tenantEvent(a.tenant.id, 'employee.hired', person), { tenants });
    expect(hired.attributes.outcome).toBe('created');
    const made = requests.slice(before);
    expect(made.length).toBeGreaterThan(0);
    for (const request of made) {
      expect(request.path).toContain(`/v1/account/${a.accountId}/`);
      expect(request.keyAccountId).toBe(a.accountId);
    }
    expect(usersOf(a).map((user) => user.email)).toEqual([person.workEmail]);
    expect(usersOf(b)).toEqual([]);
    expect(fx.usersWithEmail(person.workEmail)).toEqual([]);
    expect(fx.sandbox.control.account(b.accountId)?.requestCounts()).toMatchObject({
      listUsers: 0,
      createUser: 0,
      getUser: 0,
    });

    // The same HR employee id and email in B is B's own employee, with B's own user and link.
    await fx.apply(tenantEvent(b.tenant.id, 'employee.hired', person), { tenants });
    expect(usersOf(b).map((user) => user.email)).toEqual([person.workEmail]);
    const terminated = await fx.apply(
      tenantEvent(a.tenant.id, 'employee.terminated', { employeeId: person.employeeId }),
      { tenants },
    );
    expect(terminated.attributes.outcome).toBe('deleted');
    expect(usersOf(a)).toEqual([]);
    expect(usersOf(b)).toHaveLength(1);
    const linkOfB = await fx.store.getLink(employeeKey({ tenant: b.tenant.id, subject: person.employeeId }));
    expect(linkOfB).toMatchObject({ status: 'active', cpaasUserId: usersOf(b)[0]?.id });
  });

  it('dead-letters an event of an unknown tenant as permanent with the reason, and applies the rest', async () => {
    const a = await addTenant('a');
    const { metrics, deadLetters } = recordingMetrics();
    const stray = tenantEvent(uniqueTenantId('nobody'), 'employee.hired', employee());
    const person = employee();
    const fine = tenantEvent(a.tenant.id, 'employee.hired', person);
    const response = await fx.handler({ tenants: tenantPorts(), metrics })([
      eventRecord(stray),
      eventRecord(fine),
    ]);
    expect(response.batchItemFailures).toEqual([]);
    expect(usersOf(a).map((user) => user.email)).toEqual([person.workEmail]);
    const letter = (await fx.aws.deadLetters()).find((message) => message.Body?.includes(stray.id));
    const attribute = (name: string) => letter?.MessageAttributes?.[name]?.StringValue;
    expect(attribute(DEAD_LETTER_ATTRIBUTES.failureKind)).toBe('permanent');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorClass)).toBe('TenantNotFoundError');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorMessage)).toContain(
      `tenant ${stray.tenant} is not registered`,
    );
    expect(deadLetters).toEqual([['permanent', stray.tenant]]);
  });

  it('serves only the default tenant when the worker is given no registered tenants', async () => {
    const a = await addTenant('a');
    const event = tenantEvent(a.tenant.id, 'employee.hired', employee());
    const line = await fx.apply(event);
    expect(line.attributes).toMatchObject({ outcome: 'dead-lettered', errorClass: 'TenantNotFoundError' });
    expect(usersOf(a)).toEqual([]);
  });

  it("one tenant's engaged brake and holds never stop another tenant's terminations", async () => {
    const brake = { windowMinutes: 60, minimum: 1, percent: 0 };
    const a = await addTenant('a', { brake });
    const b = await addTenant('b', { brake });
    const tenants = tenantPorts();
    const { metrics, held } = recordingMetrics();
    const [a1, a2, b1] = [employee(), employee(), employee()];
    for (const [tenant, person] of [
      [a, a1],
      [a, a2],
      [b, b1],
    ] as const) {
      await fx.apply(tenantEvent(tenant.tenant.id, 'employee.hired', person), { tenants });
    }
    const terminate = (tenant: TestTenant, person: { employeeId: string }) =>
      fx.apply(tenantEvent(tenant.tenant.id, 'employee.terminated', { employeeId: person.employeeId }), {
        tenants,
        metrics,
      });
    expect((await terminate(a, a1)).attributes.outcome).toBe('deleted');
    expect((await terminate(a, a2)).attributes.outcome).toBe('held');
    // A's brake is full and A has a hold; B's own window admits B's first termination.
    expect((await terminate(b, b1)).attributes.outcome).toBe('deleted');
    expect(usersOf(b)).toEqual([]);
    expect(usersOf(a).map((user) => user.email)).toEqual([a2.workEmail]);
    expect(held).toEqual([a.tenant.id]);

    const holdsOf = async (tenant: TestTenant) => {
      const found = [];
      for await (const hold of fx.holds.list(tenant.tenant.id)) found.push(hold.employeeKey);
      return found;
    };
    expect(await holdsOf(a)).toEqual([employeeKey({ tenant: a.tenant.id, subject: a2.employeeId })]);
    expect(await holdsOf(b)).toEqual([]);
    const windowTimes = async (tenantId: string) => {
      const { Item } = await fx.aws.dynamodb.send(
        new GetItemCommand({
          TableName: fx.aws.resources.stateTableName,
          Key: { [STATE_TABLE_KEYS.partitionKey]: { S: brakeWindowKey(tenantId) } },
        }),
      );
      return Item?.times?.L?.length;
    };
    expect(await windowTimes(a.tenant.id)).toBe(1);
    expect(await windowTimes(b.tenant.id)).toBe(1);
  });

  it("applies each tenant's own policy and grace days, and the sweep deletes with that tenant's key", async () => {
    fx.now = new Date('2027-06-01T08:00:00Z');
    try {
      const a = await addTenant('a', { policy: 'disable-then-delete', deleteGraceDays: 7 });
      const b = await addTenant('b', { policy: 'disable' });
      const tenants = tenantPorts();
      const [pa, pb] = [employee(), employee()];
      for (const [tenant, person] of [
        [a, pa],
        [b, pb],
      ] as const) {
        await fx.apply(tenantEvent(tenant.tenant.id, 'employee.hired', person), { tenants });
        const line = await fx.apply(
          tenantEvent(tenant.tenant.id, 'employee.terminated', { employeeId: person.employeeId }),
          { tenants },
        );
        expect(line.attributes.outcome).toBe('disabled');
      }
      const linkOf = (tenant: TestTenant, person: { employeeId: string }) =>
        fx.store.getLink(employeeKey({ tenant: tenant.tenant.id, subject: person.employeeId }));
      expect((await linkOf(a, pa))?.deleteAfter).toBe(new Date(fx.now.getTime() + 7 * DAY_MS).toISOString());
      expect((await linkOf(b, pb))?.deleteAfter).toBeUndefined();

      fx.now = new Date(fx.now.getTime() + 8 * DAY_MS);
      const report = await sweep({
        api: fx.admin,
        tenants: async (tenantId) => (await tenants(tenantId)).api,
        schedules: fx.schedules,
        deletions: fx.store,
        outboxes: new DynamoScimOutboxes({
          client: fx.aws.dynamodb,
          tableName: fx.aws.resources.stateTableName,
        }),
        enqueue: async (message, lane) => {
          await fx.aws.sqs.send(new SendMessageCommand({ QueueUrl: fx.aws.queueUrls[lane], ...message }));
        },
        clock,
        logger: silentLogger,
        dryRun: false,
      });
      expect(report).toMatchObject({ deleted: 1, failed: 0 });
      expect(usersOf(a)).toEqual([]);
      expect(usersOf(b)).toEqual([expect.objectContaining({ email: pb.workEmail, enabled: false })]);
      expect((await linkOf(a, pa))?.status).toBe('deleted');
    } finally {
      fx.now = undefined;
    }
  });

  it('with 100 tenants reads each key once per cache period, however many events each has', async () => {
    const all: TestTenant[] = [];
    for (let start = 0; start < 100; start += 10) {
      all.push(...(await Promise.all(Array.from({ length: 10 }, () => addTenant('many')))));
    }
    fx.now = new Date('2027-08-01T00:00:00Z');
    try {
      const tenants = tenantPorts();
      const people = all.map(() => employee());
      const handler = fx.handler({ tenants });
      const deliver = async (type: 'employee.hired' | 'employee.changed') => {
        for (let start = 0; start < all.length; start += 10) {
          const records = all
            .slice(start, start + 10)
            .map((tenant, index) =>
              eventRecord(tenantEvent(tenant.tenant.id, type, people[start + index] as never)),
            );
          // Failed records come back, as SQS redelivers them: moto answers some concurrent
          // TransactWriteItems on a busy server with a 500 (it copies every table to roll back).
          let pending = records;
          for (let round = 0; pending.length > 0 && round < 5; round++) {
            const failed = new Set(
              (await handler(pending)).batchItemFailures.map((failure) => failure.itemIdentifier),
            );
            pending = pending.filter((record) => failed.has(record.messageId));
          }
          expect(pending).toEqual([]);
        }
      };
      const before = getSecretValues;
      await deliver('employee.hired');
      await deliver('employee.changed');
      expect(getSecretValues - before).toBe(100);
      fx.now = new Date(fx.now.getTime() + 301_000);
      await deliver('employee.changed');
      expect(getSecretValues - before).toBe(200);
      expect(all.every((tenant) => usersOf(tenant).length === 1)).toBe(true);
    } finally {
      fx.now = undefined;
    }
  }, 120_000);

  it("reads a new tenant's key once when ten of its events arrive together", async () => {
    const a = await addTenant('a');
    fx.sandbox.control.account(a.accountId)?.seedUsers(3);
    const tenants = tenantPorts();
    const before = getSecretValues;
    const pages = await Promise.all(
      Array.from({ length: 10 }, async () => (await tenants(a.tenant.id)).api.listUsers()),
    );
    expect(pages.map((page) => page.data.length)).toEqual(Array(10).fill(3));
    expect(getSecretValues - before).toBe(1);
  });
});
