import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoProvisioningStatusRecorder } from '../../../lambdas/core/state/provisioning-status.js';
import { DynamoScimOutboxes, SCIM_OUTBOX_SWEEP_DELAY_MS } from '../../../lambdas/core/state/scim-outbox.js';
import { silentLogger } from '../../../lambdas/core/telemetry/logger.js';
import { type SweepPorts, sweep } from '../../../lambdas/sweep/sweep.js';
import { type ScimFixture, scimUser, startScimFixture } from '../../support/scim-fixture.js';
import { type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const VOIP = 'urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2.0:User';

let fx: WorkerFixture;
let scim: ScimFixture;

beforeAll(async () => {
  fx = await workerFixture();
  scim = await startScimFixture({ aws: fx.aws });
});
afterAll(async () => {
  await scim.close();
  await fx.close();
});

const unique = (name: string) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;

/** The sweep over the fixture's table and queues, its clock `offsetMs` from now. */
function ports(offsetMs: number, overrides: Partial<SweepPorts> = {}): SweepPorts {
  const tableName = fx.aws.resources.stateTableName;
  return {
    api: fx.admin,
    schedules: fx.schedules,
    deletions: fx.store,
    outboxes: new DynamoScimOutboxes({ client: fx.aws.dynamodb, tableName }),
    enqueue: async (message, lane) => {
      await fx.aws.sqs.send(new SendMessageCommand({ QueueUrl: fx.aws.queueUrls[lane], ...message }));
    },
    clock: () => new Date(Date.now() + offsetMs),
    logger: silentLogger,
    dryRun: false,
    ...overrides,
  };
}

/** The user's id by a filter, which reads the store and, unlike a GET by id, does not finish an outbox. */
async function idOf(userName: string): Promise<string> {
  const filter = encodeURIComponent(`userName eq "${userName}"`);
  const { json } = await scim.request('GET', `/Users?filter=${filter}`);
  const [user] = json.Resources as { id: string }[];
  if (user === undefined) throw new Error(`no user ${userName}`);
  return user.id;
}

const LATER = SCIM_OUTBOX_SWEEP_DELAY_MS + 60_000;

describe('the sweep queues a SCIM outbox no request finished (SCIM function + sweep on moto)', () => {
  it.each(['before-send', 'after-send'] as const)(
    'a create answered 503 (%s) and never retried reaches the worker once, and its late retry still gets 201',
    async (when) => {
      const userName = unique(`outbox-${when}`);
      scim.queue.fail(1, when);
      expect((await scim.request('POST', '/Users', scimUser(userName))).status).toBe(503);
      const id = await idOf(userName);
      // A request may still be running: the sweep leaves a fresh outbox alone.
      expect(await sweep(ports(0))).toMatchObject({ outboxes: 0, failed: 0 });
      if (when === 'before-send') expect(await scim.events()).toEqual([]);

      expect(await sweep(ports(LATER))).toMatchObject({ outboxes: 1, failed: 0 });
      expect(await sweep(ports(LATER))).toMatchObject({ outboxes: 0, failed: 0 });
      const events = await scim.events();
      expect(events.map((event) => [event.type, event.id])).toEqual([['employee.hired', `scim-${id}-1`]]);
      expect(await scim.storedItem(id)).not.toHaveProperty('pending');
      expect(await scim.storedItem(id)).not.toHaveProperty('dueAt');

      const recorder = new DynamoProvisioningStatusRecorder({
        client: fx.aws.dynamodb,
        tableName: fx.aws.resources.stateTableName,
      });
      for (const event of events) await fx.apply(event, { provisioning: recorder });
      expect(fx.usersWithEmail(userName)).toHaveLength(1);

      // The identity provider's next cycle retries the create: the same user, no second event.
      const retried = await scim.request('POST', '/Users', scimUser(userName));
      expect(retried.status).toBe(201);
      expect(retried.json.id).toBe(id);
      expect((retried.json[VOIP] as { provisioning: unknown }).provisioning).toEqual({
        status: 'applied',
        eventId: `scim-${id}-1`,
      });
      expect(await scim.events()).toEqual([]);
      expect((await scim.request('POST', '/Users', scimUser(userName))).status).toBe(409);
    },
  );

  it('a dry run queues nothing and leaves the outbox', async () => {
    const userName = unique('outbox-dry');
    scim.queue.fail(1, 'before-send');
    expect((await scim.request('POST', '/Users', scimUser(userName))).status).toBe(503);
    expect(await sweep(ports(LATER, { dryRun: true }))).toMatchObject({ outboxes: 0, failed: 0 });
    expect(await scim.events()).toEqual([]);
    expect(await sweep(ports(LATER))).toMatchObject({ outboxes: 1 });
    expect(await scim.events()).toHaveLength(1);
  });
});
