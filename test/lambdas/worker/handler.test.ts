import { PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ENV } from '../../../lambdas/contract/environment.js';
import { DEAD_LETTER_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import { SecretsManagerApiKey, withKeyRefresh } from '../../../lambdas/core/cpaas/api-key.js';
import { CpaasClient } from '../../../lambdas/core/cpaas/client.js';
import { CpaasServerError } from '../../../lambdas/core/cpaas/errors.js';
import type { CpaasUsersApi } from '../../../lambdas/core/cpaas/users-api.js';
import { employeeKey } from '../../../lambdas/core/events/lifecycle-event.js';
import { handlerEnvironment } from '../../../tools/local/provision.js';
import { motoClientConfig } from '../../support/aws.js';
import { withBegin } from '../../support/links.js';
import { eventRecord, lambdaContext, sqsRecord } from '../../support/records.js';
import { unhandledRejectionsDuring } from '../../support/unhandled-rejections.js';
import { until } from '../../support/until.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const MAX_RECEIVE_COUNT = 3;

describe('worker handler: batches, failures, dead letters, secrets, dry run', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture(MAX_RECEIVE_COUNT);
  });
  afterAll(() => fx.close());
  beforeEach(() => {
    fx.sandbox.control.clearFaults();
    fx.sandbox.control.resetRequestCounts();
  });

  const totalRequests = () => Object.values(fx.sandbox.control.requestCounts()).reduce((a, b) => a + b, 0);
  const dlqFor = async (eventId: string) =>
    (await fx.aws.deadLetters()).filter(
      (message) => message.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.eventId]?.StringValue === eventId,
    );

  it('mixed groups: A fails at record 2 -> A2 and A3 reported; group B completes', async () => {
    const a = employee();
    const b = employee();
    const records = [
      eventRecord(lifecycleEvent('employee.hired', a)),
      eventRecord(lifecycleEvent('employee.hired', b)),
      eventRecord(lifecycleEvent('employee.changed', { ...a, lastName: 'A2' })),
      eventRecord(lifecycleEvent('employee.changed', { ...b, lastName: 'B2' })),
      eventRecord(lifecycleEvent('employee.changed', { ...a, lastName: 'A3' })),
      eventRecord(lifecycleEvent('employee.changed', { ...b, lastName: 'B3' })),
    ];
    const real = withKeyRefresh(fx.admin, fx.keys);
    // Employee A's reads fail as a 503 would; everything else goes to the sandbox.
    const failingForA: CpaasUsersApi = {
      ...real,
      async getUser(userId, options) {
        const linkA = await fx.store.getLink(`default:${a.employeeId}`);
        if (userId === linkA?.cpaasUserId) throw new CpaasServerError('CPaaS API 503', { status: 503 });
        return real.getUser(userId, options);
      },
    };
    const response = await fx.handler({ api: failingForA })(records);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual([
      records[2]?.messageId,
      records[4]?.messageId,
    ]);
    expect(fx.usersWithEmail(a.workEmail)[0]?.last_name).toBe('Hopper');
    expect(fx.usersWithEmail(b.workEmail)[0]?.last_name).toBe('B3');
  });

  it('a permanent failure is dead-lettered at once with its reason; the group goes on', async () => {
    const data = employee();
    const bad = sqsRecord(
      JSON.stringify({ specversion: '1.0', id: 'bad-1', subject: data.employeeId }),
      `default:${data.employeeId}`,
    );
    const good = eventRecord(lifecycleEvent('employee.hired', data));
    const response = await fx.handler()([bad, good]);
    expect(response.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
    const [message] = await dlqFor('bad-1');
    expect(message?.Body).toBe(bad.body);
    expect(message?.Attributes?.MessageGroupId).toBe(`default:${data.employeeId}`);
    const attribute = (name: string) => message?.MessageAttributes?.[name]?.StringValue;
    expect(attribute(DEAD_LETTER_ATTRIBUTES.failureKind)).toBe('permanent');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorClass)).toBe('InvalidLifecycleEventError');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorMessage)).toContain('invalid lifecycle event');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.attempts)).toBe('1');
    expect(Number.isNaN(Date.parse(attribute(DEAD_LETTER_ATTRIBUTES.failedAt) ?? ''))).toBe(false);
  });

  it('a queued event with control characters (an older producer) is dead-lettered naming the field, never applied', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    const body = JSON.stringify({ ...event, data: { ...event.data, lastName: 'Bell\u0007\u001b[2J' } });
    const response = await fx.handler()([sqsRecord(body, `default:${event.subject}`)]);
    expect(response.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toEqual([]);
    const [message] = await dlqFor(event.id);
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorMessage]?.StringValue).toContain(
      'data.lastName: must not contain control',
    );
  });

  it('an event of a data schema version this worker does not know is dead-lettered as such', async () => {
    const event = lifecycleEvent('employee.hired', employee());
    const body = JSON.stringify({ ...event, dataschema: 'urn:cpaas-lifecycle:employee:v2' });
    const response = await fx.handler()([sqsRecord(body, `default:${event.subject}`)]);
    expect(response.batchItemFailures).toEqual([]);
    const [message] = await dlqFor(event.id);
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorClass]?.StringValue).toBe(
      'UnsupportedEventVersionError',
    );
  });

  it('the API rejecting a change (email taken: 400) is permanent: dead-lettered, not retried', async () => {
    const taken = employee();
    const data = employee();
    await fx.apply(lifecycleEvent('employee.hired', taken));
    await fx.apply(lifecycleEvent('employee.hired', data));
    const event = lifecycleEvent('employee.changed', { ...data, workEmail: taken.workEmail });
    const response = await fx.handler()([eventRecord(event)]);
    expect(response.batchItemFailures).toEqual([]);
    const [message] = await dlqFor(event.id);
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorClass]?.StringValue).toBe(
      'CpaasValidationError',
    );
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorMessage]?.StringValue).not.toContain(
      taken.workEmail,
    );
  });

  it('a hire whose email belongs to a user linked to another employee is dead-lettered, not adopted', async () => {
    const owner = employee();
    await fx.apply(lifecycleEvent('employee.hired', owner));
    const ownerUser = fx.usersWithEmail(owner.workEmail)[0];
    // The address is reused for a new hire while the former owner's user still exists.
    const newcomer = employee({ workEmail: owner.workEmail, firstName: 'Someone', lastName: 'Else' });
    const event = lifecycleEvent('employee.hired', newcomer);
    const response = await fx.handler()([eventRecord(event)]);
    expect(response.batchItemFailures).toEqual([]);
    const [message] = await dlqFor(event.id);
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorClass]?.StringValue).toBe(
      'UserLinkedElsewhereError',
    );
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.errorMessage]?.StringValue).toContain(
      `linked to employee default:${owner.employeeId}`,
    );
    expect(message?.MessageAttributes?.[DEAD_LETTER_ATTRIBUTES.failureKind]?.StringValue).toBe('permanent');
    expect(fx.usersWithEmail(owner.workEmail)).toEqual([ownerUser]);
    expect((await fx.store.getLink(`default:${owner.employeeId}`))?.cpaasUserId).toBe(ownerUser?.id);
    expect(await fx.store.getLink(`default:${newcomer.employeeId}`)).toBeUndefined();
  });

  it('a transient failure is retried by SQS, and dead-lettered as exhausted on the last allowed attempt', async () => {
    const data = employee();
    const event = lifecycleEvent('employee.hired', data);
    fx.sandbox.control.setFaults('createUser', { script: [503, 503] });
    const early = await fx.handler()([eventRecord(event, 1)]);
    expect(early.batchItemFailures).toHaveLength(1);
    expect(await dlqFor(event.id)).toHaveLength(0);
    const last = await fx.handler()([eventRecord(event, MAX_RECEIVE_COUNT)]);
    expect(last.batchItemFailures).toEqual([]);
    const [message] = await dlqFor(event.id);
    const attribute = (name: string) => message?.MessageAttributes?.[name]?.StringValue;
    expect(attribute(DEAD_LETTER_ATTRIBUTES.failureKind)).toBe('exhausted');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorClass)).toBe('CpaasServerError');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.attempts)).toBe(String(MAX_RECEIVE_COUNT));
  });

  it('secret rotated mid-run: the cached key gets a 401, the key is re-read once and the call succeeds', async () => {
    const secretId = fx.aws.resources.apiKeySecretId;
    const put = (value: string) =>
      fx.aws.secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
    await put('retired-key-0000');
    await fx.keys.refresh(fx.keys.generation);
    expect(await fx.keys.get()).toBe('retired-key-0000');
    await put(fx.sandbox.apiKey);
    const data = employee();
    const line = await fx.apply(lifecycleEvent('employee.hired', data));
    expect(line.attributes).toMatchObject({ outcome: 'created' });
    expect(fx.sandbox.control.requestCounts().createUser).toBe(2);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });

  describe('a key not cached loads beside the state round trips before the first call', () => {
    // Each test's Secrets Manager client, destroyed even when the test fails midway.
    const clients: SecretsManagerClient[] = [];
    afterEach(() => {
      for (const client of clients.splice(0)) client.destroy();
    });

    /**
     * The fixture's API over a key cache of its own, as a cold worker has: its GetSecretValue calls
     * are counted, and the first `failing` of them fail as a throttled Secrets Manager would.
     */
    function coldKeyApi(failing = 0) {
      const client = new SecretsManagerClient(motoClientConfig());
      const counts = { loads: 0, failed: 0 };
      client.middlewareStack.add(
        (next) => async (args) => {
          counts.loads += 1;
          if (counts.failed < failing) {
            counts.failed += 1;
            throw new Error('ThrottlingException: rate exceeded');
          }
          return next(args);
        },
        { step: 'initialize' },
      );
      const keys = new SecretsManagerApiKey({ client, secretId: fx.aws.resources.apiKeySecretId });
      const cpaas = new CpaasClient({
        baseUrl: fx.sandbox.url,
        accountId: fx.sandbox.accountId,
        apiKey: () => keys.get(),
        allowInsecureHttp: true,
      });
      clients.push(client);
      return { api: withKeyRefresh(cpaas, keys), counts };
    }

    /** The fixture's state store, with each `begin` (the lease and its read) held until released. */
    function heldLease() {
      let leases = 0;
      let release: () => void = () => {};
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const store = withBegin(fx.store, async (...args) => {
        leases += 1;
        await released;
        return fx.store.begin(...args);
      });
      return { store, release, leases: () => leases };
    }

    it('a termination on a cold worker loads the key while its lease is unanswered, then revokes with it', async () => {
      const data = employee();
      await fx.apply(lifecycleEvent('employee.hired', data));
      const cold = coldKeyApi();
      const lease = heldLease();
      const run = fx.handler({ api: cold.api, store: lease.store })([
        eventRecord(lifecycleEvent('employee.terminated', { employeeId: data.employeeId })),
      ]);
      await until(
        () => lease.leases() === 1 && cold.counts.loads === 1,
        'the key load, with the lease still unanswered',
        20_000,
      );
      lease.release();
      expect((await run).batchItemFailures).toEqual([]);
      expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
      expect(cold.counts.loads).toBe(1);
    });

    it('a load that fails before the first call is not the event failing: the call loads the key again', async () => {
      const data = employee();
      const cold = coldKeyApi(1);
      const unhandled = await unhandledRejectionsDuring(async () => {
        const lease = heldLease();
        const run = fx.handler({ api: cold.api, store: lease.store })([
          eventRecord(lifecycleEvent('employee.hired', data)),
        ]);
        await until(() => cold.counts.failed === 1, 'the early key load to fail', 20_000);
        lease.release();
        expect((await run).batchItemFailures).toEqual([]);
      });
      expect(unhandled).toEqual([]);
      expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
      expect(cold.counts.loads).toBe(2);
    });
  });

  it('with too little time left starts nothing and reports every record for redelivery', async () => {
    const records = [employee(), employee()].map((data) =>
      eventRecord(lifecycleEvent('employee.hired', data)),
    );
    const response = await fx.handler({ timeMarginMs: 10_000 })(records, () => 9_000);
    expect(response.batchItemFailures.map((failure) => failure.itemIdentifier)).toEqual(
      records.map((record) => record.messageId),
    );
    expect(totalRequests()).toBe(0);
  });

  it('DRY_RUN computes and logs the plan, and writes nothing to the API or the state table', async () => {
    const data = employee();
    const line = await fx.apply(lifecycleEvent('employee.hired', data), { dryRun: true });
    expect(line.attributes).toMatchObject({ outcome: 'created', dryRun: true });
    expect(line.attributes.plan).toEqual(
      expect.arrayContaining([expect.objectContaining({ action: 'create' })]),
    );
    expect(totalRequests()).toBe(0);
    expect(fx.usersWithEmail(data.workEmail)).toHaveLength(0);
    expect(await fx.store.getLink(employeeKey({ subject: data.employeeId }))).toBeUndefined();
  });

  it('logs one line per outcome with ids, duration and API calls, and never an email, a name or the key', async () => {
    const data = employee({ firstName: 'Zebedee', lastName: 'Quartermaine' });
    const before = fx.logs.length;
    await fx.apply(lifecycleEvent('employee.hired', data));
    await fx.apply(lifecycleEvent('employee.changed', { ...data, lastName: 'Quintessence' }));
    const termination = lifecycleEvent('employee.terminated', { ...data });
    fx.sandbox.control.setFaults('deleteUser', { script: [503] });
    await fx.handler()([eventRecord(termination)]);
    await fx.apply(termination);
    const lines = fx.logs.slice(before);
    expect(lines.map((entry) => entry.attributes.outcome)).toEqual([
      'created',
      'updated',
      'retrying',
      'deleted',
    ]);
    for (const entry of lines) {
      expect(entry.attributes).toEqual(
        expect.objectContaining({ eventId: expect.any(String), employeeKey: `default:${data.employeeId}` }),
      );
      expect(entry.attributes.durationMs).toEqual(expect.any(Number));
    }
    const text = JSON.stringify(fx.logs);
    for (const secret of [data.workEmail, 'Zebedee', 'Quartermaine', 'Quintessence', fx.sandbox.apiKey]) {
      expect(text).not.toContain(secret);
    }
  });
});

describe('worker entry point from the environment', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture(MAX_RECEIVE_COUNT);
  });
  afterAll(() => fx.close());

  it('reads its configuration on the first invocation (not at import) and converges', async () => {
    const { handler } = await import('../../../lambdas/worker/handler.js');
    const environment = handlerEnvironment(motoClientConfig(), fx.aws.resources, {
      baseUrl: fx.sandbox.url,
      accountId: fx.sandbox.accountId,
    });
    Object.assign(process.env, environment, { [ENV.terminationPolicy]: 'disable' });
    const data = employee();
    const hire = eventRecord(lifecycleEvent('employee.hired', data));
    const termination = eventRecord(lifecycleEvent('employee.terminated', { employeeId: data.employeeId }));
    const response = await handler({ Records: [hire, termination] }, lambdaContext());
    expect(response.batchItemFailures).toEqual([]);
    expect(fx.usersWithEmail(data.workEmail)).toEqual([expect.objectContaining({ enabled: false })]);
    expect(await fx.store.getLink(`default:${data.employeeId}`)).toMatchObject({ status: 'disabled' });
  });
});

describe('batch concurrency at 50 ms API latency', () => {
  let fx: WorkerFixture;
  beforeAll(async () => {
    fx = await workerFixture(MAX_RECEIVE_COUNT);
    fx.sandbox.control.setFaults('*', { latencyMs: 50 });
  });
  afterAll(() => fx.close());

  it('ten employees (ten groups) in one batch all converge; prints the batch time against one event', async () => {
    const run = fx.handler();
    // Warm: key cached, connections open, as in a warm Lambda.
    await run([eventRecord(lifecycleEvent('employee.hired', employee()))]);
    const startedOne = performance.now();
    await run([eventRecord(lifecycleEvent('employee.hired', employee()))]);
    const oneMs = performance.now() - startedOne;
    const team = Array.from({ length: 10 }, () => employee());
    const startedTen = performance.now();
    const response = await run(team.map((data) => eventRecord(lifecycleEvent('employee.hired', data))));
    const tenMs = performance.now() - startedTen;
    console.log(
      `one event ${oneMs.toFixed(0)} ms; 10 groups ${tenMs.toFixed(0)} ms (${(tenMs / oneMs).toFixed(2)}x)`,
    );
    expect(response.batchItemFailures).toEqual([]);
    for (const data of team) expect(fx.usersWithEmail(data.workEmail)).toHaveLength(1);
  });
});
