import { GetQueueAttributesCommand, SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { QueueUnavailableError } from '../../../../lambdas/core/events/errors.js';
import {
  type LifecycleEvent,
  messageGroupIdFor,
  toQueueMessage,
} from '../../../../lambdas/core/events/lifecycle-event.js';
import { planLanes, SQS_SEND_LANES, sqsEventQueue } from '../../../../lambdas/core/events/sqs-event-queue.js';
import { uniqueName } from '../../../support/aws.js';
import {
  changeEvent,
  countingSqsClient,
  createFifoQueue,
  drainQueue,
  hireEvent,
  type QueuedMessage,
  rejectionOf,
} from '../../../support/ingest-fixture.js';

/** `employees` new hires, then `changes` rounds of one change each, interleaved as an HRIS sends them. */
function interleavedEvents(employees: number, changes: number): LifecycleEvent[] {
  const hires = Array.from({ length: employees }, () => hireEvent('acme'));
  const rounds = Array.from({ length: changes }, (_, round) =>
    hires.map((hire) => changeEvent('acme', hire.subject, `Round${round}`)),
  );
  return [...hires, ...rounds.flat()];
}

/** Event ids per message group, in the order given. */
function idsByGroup(events: readonly { group: string; id: string }[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { group, id } of events) groups.set(group, [...(groups.get(group) ?? []), id]);
  return groups;
}

function expectEachEmployeeInOrder(received: readonly QueuedMessage[], sent: readonly LifecycleEvent[]) {
  expect(received.map((message) => JSON.parse(message.body).id).sort()).toEqual(
    sent.map((event) => event.id).sort(),
  );
  expect(
    idsByGroup(
      received.map((message) => ({ group: message.groupId ?? '', id: JSON.parse(message.body).id })),
    ),
  ).toEqual(idsByGroup(sent.map((event) => ({ group: messageGroupIdFor(event), id: event.id }))));
}

/** Makes the client's next SendMessageBatch that carries `event` throw, as a dropped connection would. */
function failOnceOn(client: SQSClient, event: LifecycleEvent): void {
  const body = JSON.stringify(event);
  let armed = true;
  client.middlewareStack.add(
    (next) => async (args) => {
      const entries = (args.input as { Entries?: { MessageBody?: string }[] }).Entries ?? [];
      if (armed && entries.some((entry) => entry.MessageBody === body)) {
        armed = false;
        throw Object.assign(new Error('injected'), { name: 'TimeoutError' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'failOnceOn' },
  );
}

async function messagesOnQueue(client: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes } = await client.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(Attributes?.ApproximateNumberOfMessages);
}

describe('planLanes', () => {
  it('puts each employee whole into one lane, in request order', () => {
    const events = interleavedEvents(30, 3);
    const lanes = planLanes(events, SQS_SEND_LANES);
    expect(lanes).toHaveLength(SQS_SEND_LANES);
    const laneOfGroup = new Map<string, number>();
    lanes.forEach((lane, index) => {
      for (const event of lane) {
        expect(laneOfGroup.get(messageGroupIdFor(event)) ?? index).toBe(index);
        laneOfGroup.set(messageGroupIdFor(event), index);
      }
      expect(lane).toEqual(events.filter((event) => lane.includes(event)));
    });
    expect(lanes.flat()).toHaveLength(events.length);
  });

  it('balances lanes by event count, a large employee alone in its lane', () => {
    const large = hireEvent('acme');
    const events = [
      large,
      ...Array.from({ length: 24 }, (_, index) => changeEvent('acme', large.subject, `N${index}`)),
      ...Array.from({ length: 50 }, () => hireEvent('acme')),
    ];
    const lanes = planLanes(events, SQS_SEND_LANES);
    expect(lanes.map((lane) => lane.length).sort((a, b) => b - a)).toEqual([25, 8, 7, 7, 7, 7, 7, 7]);
    expect(
      lanes.find((lane) => lane.includes(large))?.every((event) => event.subject === large.subject),
    ).toBe(true);
  });

  it('uses no more lanes than full batches, and one lane when asked', () => {
    expect(planLanes(interleavedEvents(25, 0), SQS_SEND_LANES)).toHaveLength(3);
    expect(planLanes(interleavedEvents(1, 29), SQS_SEND_LANES)).toHaveLength(1);
    expect(planLanes([], SQS_SEND_LANES)).toEqual([]);
    const events = interleavedEvents(40, 2);
    expect(planLanes(events, 1)).toEqual([events]);
  });
});

describe('sqsEventQueue', () => {
  it('sends 25 events in 3 batches with the canonical group and dedup ids', async () => {
    const { client, batchCalls } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const events = Array.from({ length: 25 }, () => hireEvent('acme'));
    await sqsEventQueue(client, queueUrl).enqueue(events);
    expect(batchCalls()).toBe(3);
    const messages = await drainQueue(client, queueUrl);
    expect(
      messages
        .map(({ body, groupId, dedupId }) => ({ body, groupId, dedupId }))
        .sort((a, b) => a.body.localeCompare(b.body)),
    ).toEqual(
      events
        .map((event) => toQueueMessage(event))
        .map((message) => ({
          body: message.MessageBody,
          groupId: message.MessageGroupId,
          dedupId: message.MessageDeduplicationId,
        }))
        .sort((a, b) => a.body.localeCompare(b.body)),
    );
  });

  it("keeps one employee's events in request order across batches", async () => {
    const { client } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const hire = hireEvent('acme', { employeeId: 'ordered-1' });
    const changes = Array.from({ length: 14 }, (_, index) =>
      changeEvent('acme', 'ordered-1', `Name${index}`),
    );
    await sqsEventQueue(client, queueUrl).enqueue([hire, ...changes]);
    const received = (await drainQueue(client, queueUrl)).map((message) => JSON.parse(message.body).id);
    expect(received).toEqual([hire.id, ...changes.map((event) => event.id)]);
  });

  it("sends different employees' batches at once, each employee's events in request order", async () => {
    const { client, batchCalls, maxBatchesInFlight } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const events = interleavedEvents(40, 4);
    await sqsEventQueue(client, queueUrl).enqueue(events);
    expect(batchCalls()).toBe(20);
    expect(maxBatchesInFlight()).toBeGreaterThan(1);
    expectEachEmployeeInOrder(await drainQueue(client, queueUrl), events);
  });

  it('sends one batch at a time with one lane', async () => {
    const { client, maxBatchesInFlight } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const events = interleavedEvents(30, 1);
    await sqsEventQueue(client, queueUrl, { lanes: 1 }).enqueue(events);
    expect(maxBatchesInFlight()).toBe(1);
    expectEachEmployeeInOrder(await drainQueue(client, queueUrl), events);
  });

  it('stops a lane at its failed batch, rejects once every lane settled, and a retry delivers each event once in order', async () => {
    const { client, batchesInFlight } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    // 10 employees x 6 events over 6 lanes: some lanes hold two employees, so two batches.
    const events = interleavedEvents(10, 5);
    const twoBatchLane = planLanes(events, SQS_SEND_LANES).find((lane) => lane.length > 10);
    if (!twoBatchLane) throw new Error('expected a lane of two batches');
    failOnceOn(client, twoBatchLane[0] as LifecycleEvent);
    const queue = sqsEventQueue(client, queueUrl);

    const error = await rejectionOf(queue.enqueue(events));
    expect(error).toBeInstanceOf(QueueUnavailableError);
    expect(error.message).toBe('SQS SendMessageBatch failed: TimeoutError');
    expect(batchesInFlight()).toBe(0);
    // Every other lane got through; the failed lane sent nothing after its failed first batch.
    expect(await messagesOnQueue(client, queueUrl)).toBe(events.length - twoBatchLane.length);

    await queue.enqueue(events);
    expectEachEmployeeInOrder(await drainQueue(client, queueUrl), events);
  });

  it('rejects with QueueUnavailableError when SQS answers with an error', async () => {
    const { client } = countingSqsClient();
    const queueUrl = await createFifoQueue(client);
    const missing = queueUrl.replace(/[^/]+$/, `${uniqueName('absent')}.fifo`);
    await expect(sqsEventQueue(client, missing).enqueue([hireEvent()])).rejects.toBeInstanceOf(
      QueueUnavailableError,
    );
  });

  // moto only fails single entries for a bad DelaySeconds, which this code never sets, so the
  // partial-failure answer SQS gives under throttling is replayed with aws-sdk-client-mock.
  it('rejects with QueueUnavailableError when SQS takes some entries of a batch but not all', async () => {
    const sqs = mockClient(SQSClient);
    sqs.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm0', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', SenderFault: false, Code: 'InternalError' }],
    });
    try {
      const queue = sqsEventQueue(new SQSClient({ region: 'us-east-1' }), 'https://sqs.invalid/1/q.fifo');
      const error = await rejectionOf(queue.enqueue([hireEvent(), hireEvent()]));
      expect(error).toBeInstanceOf(QueueUnavailableError);
      expect(error.message).toBe('SQS refused 1 of 2 entries (InternalError)');
    } finally {
      sqs.restore();
    }
  });
});
