import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HR_API_SOURCES } from '../../../../lambdas/contract/settings.js';
import { validateQueuedEvent } from '../../../../lambdas/core/events/details-pending-event.js';
import { laneFor } from '../../../../lambdas/core/events/lane.js';
import { HR_FAKE_DRIVERS } from '../../../../tools/fakes/hr-fake-driver.js';
import { type RunningHrFake, startHrFake } from '../../../../tools/fakes/hr-fakes.js';
import { drainQueue, type IngestFixture, startIngestFixture } from '../../../support/ingest-fixture.js';

/**
 * What every HR API source's webhook route promises, whatever the provider: a notification signed
 * as the provider signs it is queued at once as one details-pending event in the employee's FIFO
 * group (ingest never calls the HR API), a leaver's on the priority lane; one signed with anything
 * else is refused with 401 and queues nothing. The webhooks are the ones the local mode's fakes
 * send (`HR_FAKE_DRIVERS`), with the secrets they are started with.
 */
describe.each(HR_API_SOURCES)('%s webhooks over HTTP onto the FIFO queue', (source) => {
  let fake: RunningHrFake;
  let fixture: IngestFixture;
  const driver = HR_FAKE_DRIVERS[source];

  beforeAll(async () => {
    fake = await startHrFake(source);
    fixture = await startIngestFixture({ [source]: [fake.webhookSecret] });
  });
  afterAll(async () => {
    await fixture?.close();
    await fake?.close();
  });
  const endpoints = () => ({
    webhookUrl: `${fixture.server.url}/webhooks/${source}`,
    webhookSecret: fake.webhookSecret,
  });
  const queued = async () =>
    (await drainQueue(fixture.sqs, fixture.queueUrl)).map((message) => ({
      groupId: message.groupId,
      event: validateQueuedEvent(JSON.parse(message.body)),
    }));

  it('queues a change as one details-pending event in the employee group', async () => {
    expect((await driver.sendWebhook(endpoints(), 'changed', `${source}-1`)).status).toBe(202);
    const [only, ...rest] = await queued();
    expect(rest).toEqual([]);
    expect(only?.groupId).toBe(`default:${source}-1`);
    expect(only?.event).toMatchObject({ type: 'employee.changed', source, detailsfrom: source });
    expect(only && laneFor(only.event)).toBe('standard');
  });

  it("puts a leaver's notification on the priority lane, still for the fetched record to decide", async () => {
    expect((await driver.sendWebhook(endpoints(), 'terminated', `${source}-2`)).status).toBe(202);
    const [only, ...rest] = await queued();
    expect(rest).toEqual([]);
    expect(only?.event).toMatchObject({ detailsfrom: source, data: { mayRevokeAccess: true } });
    expect(only && laneFor(only.event)).toBe('priority');
  });

  it('refuses a notification signed with another secret (401) and queues nothing', async () => {
    const forged = await driver.sendWebhook(endpoints(), 'hired', `${source}-3`, `${fake.webhookSecret}x`);
    expect(forged.status).toBe(401);
    expect(await queued()).toEqual([]);
  });
});
