import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../../lambdas/contract/settings.js';
import { sqsLaneRoutedQueue } from '../../../../lambdas/core/events/lane-routed-queue.js';
import { createLifecycleEvent } from '../../../../lambdas/core/events/lifecycle-event.js';
import {
  countingSqsClient,
  createFifoQueue,
  drainQueue,
  hireEvent,
} from '../../../support/ingest-fixture.js';

function termination(employeeId: string) {
  return createLifecycleEvent({
    type: 'employee.terminated',
    source: 'test',
    tenant: 'acme',
    data: { employeeId },
  });
}

describe('sqsLaneRoutedQueue (moto)', () => {
  it("puts terminations on the priority queue and the rest on the standard one, each lane in the request's order", async () => {
    const { client } = countingSqsClient();
    const urls = { standard: await createFifoQueue(client), priority: await createFifoQueue(client) };
    const hire = hireEvent('acme', { employeeId: 'lane-1' });
    const leaver = termination('lane-1');
    const rehire = hireEvent('acme', { employeeId: 'lane-1' });
    const other = termination('lane-2');

    await sqsLaneRoutedQueue(client, urls).enqueue([hire, leaver, rehire, other]);

    const ids = async (url: string) =>
      (await drainQueue(client, url)).map((message) => JSON.parse(message.body).id);
    expect(await ids(urls.standard)).toEqual([hire.id, rehire.id]);
    expect(await ids(urls.priority)).toEqual([leaver.id, other.id]);
  });

  it('sends nothing to a lane the request has no event for', async () => {
    const { client, batchCalls } = countingSqsClient();
    const urls = { standard: await createFifoQueue(client), priority: await createFifoQueue(client) };
    await sqsLaneRoutedQueue(client, urls).enqueue([hireEvent('acme')]);
    expect(batchCalls()).toBe(1);
    expect(await drainQueue(client, urls.priority)).toEqual([]);
  });

  it("sends a tenant's hires beyond its burst allowance to the bulk lane, not another tenant's, never a termination", async () => {
    const { client } = countingSqsClient();
    const urls = {
      standard: await createFifoQueue(client),
      priority: await createFifoQueue(client),
      bulk: await createFifoQueue(client),
    };
    const allowance = DEFAULTS.burstAllowance.events;
    const burst = Array.from({ length: allowance + 5 }, (_, index) =>
      hireEvent('acme', { employeeId: `burst-${index}` }),
    );
    const leaver = termination('burst-0');
    const otherTenant = hireEvent('globex', { employeeId: 'quiet-1' });

    const queue = sqsLaneRoutedQueue(client, urls);
    await queue.enqueue([...burst, leaver]);
    await queue.enqueue([otherTenant]);

    const ids = async (url: string) =>
      (await drainQueue(client, url)).map((message) => JSON.parse(message.body).id);
    expect(await ids(urls.standard)).toEqual(
      [...burst.slice(0, allowance), otherTenant].map((event) => event.id),
    );
    expect(await ids(urls.bulk)).toEqual(burst.slice(allowance).map((event) => event.id));
    expect(await ids(urls.priority)).toEqual([leaver.id]);
  });
});
