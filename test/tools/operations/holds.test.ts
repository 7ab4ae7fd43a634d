import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { MESSAGE_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import { messageGroupIdFor, toQueueMessage } from '../../../lambdas/core/events/lifecycle-event.js';
import { DynamoHoldStore, type HeldTermination } from '../../../lambdas/core/state/hold-store.js';
import { AmbiguousHoldIdError, UnknownHoldError } from '../../../tools/operations/errors.js';
import { discardHolds, listHolds, releaseHolds, selectHolds } from '../../../tools/operations/holds.js';
import { motoClientConfig } from '../../support/aws.js';
import {
  createLifecycleQueue,
  createStateTable,
  heldTermination,
  receiveAll,
  terminationEvent,
} from '../../support/holds-fixture.js';

const aws = motoClientConfig();
const dynamodb = new DynamoDBClient(aws);
const sqs = new SQSClient(aws);
afterAll(() => {
  dynamodb.destroy();
  sqs.destroy();
});

async function setUp(...held: HeldTermination[]) {
  const holds = new DynamoHoldStore({ client: dynamodb, tableName: await createStateTable(dynamodb) });
  for (const one of held) await holds.hold(one);
  const queueUrls = { standard: await createLifecycleQueue(sqs), priority: await createLifecycleQueue(sqs) };
  // A held event is a termination: it goes back on the priority lane.
  return { holds, queueUrls, queueUrl: queueUrls.priority };
}

describe('holds operations (moto)', () => {
  it('releases a hold: the exact body, marked released, in its employee group, past FIFO dedup; then removes it', async () => {
    const event = terminationEvent('emp-r1');
    const other = heldTermination(terminationEvent('emp-r2'), '2026-11-22T12:01:00.000Z');
    const held = heldTermination(event, '2026-11-22T12:00:00.000Z');
    const { holds, queueUrls, queueUrl } = await setUp(held, other);
    // The original delivery, still inside SQS's five-minute deduplication interval.
    const original = toQueueMessage(event);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, ...original }));

    const released = await releaseHolds({ holds, sqs, queueUrls, selection: { ids: [event.id] } });

    expect(released).toEqual([
      { employeeKey: held.employeeKey, eventId: event.id, messageId: expect.any(String), queueUrl },
    ]);
    expect(await receiveAll(sqs, queueUrls.standard)).toEqual([]);
    const [first, resent, ...more] = await receiveAll(sqs, queueUrl);
    expect(more).toEqual([]);
    expect(first?.MessageAttributes).toBeUndefined();
    expect(resent?.Body).toBe(held.body);
    expect(resent?.MessageId).toBe(released[0]?.messageId);
    expect(resent?.Attributes?.MessageGroupId).toBe(messageGroupIdFor(event));
    expect(resent?.Attributes?.MessageDeduplicationId).not.toBe(original.MessageDeduplicationId);
    expect(resent?.MessageAttributes?.[MESSAGE_ATTRIBUTES.releasedHold]).toEqual({
      DataType: 'String',
      StringValue: 'true',
    });
    expect(await listHolds(holds)).toEqual([other]);
  });

  it('releases everything oldest first, so an employee keeps the order of its events', async () => {
    const newer = heldTermination(terminationEvent('emp-r3'), '2026-11-22T12:02:00.000Z');
    const older = heldTermination(terminationEvent('emp-r3'), '2026-11-22T12:01:00.000Z');
    const { holds, queueUrls, queueUrl } = await setUp(newer, older);
    await releaseHolds({ holds, sqs, queueUrls, selection: { all: true } });
    expect((await receiveAll(sqs, queueUrl)).map((message) => message.Body)).toEqual([
      older.body,
      newer.body,
    ]);
    expect(await listHolds(holds)).toEqual([]);
  });

  it('names a hold by employeeKey/eventId when two employees share an event id', async () => {
    const a = heldTermination(terminationEvent('emp-r4', 'hris-42'), '2026-11-22T12:00:00.000Z');
    const b = heldTermination(terminationEvent('emp-r5', 'hris-42'), '2026-11-22T12:01:00.000Z');
    const { holds } = await setUp(a, b);
    await expect(selectHolds(holds, { ids: ['hris-42'] })).rejects.toThrow(
      new AmbiguousHoldIdError(
        'event id hris-42 is held for 2 employees; name one as default:emp-r4/hris-42 or default:emp-r5/hris-42',
      ),
    );
    expect(await selectHolds(holds, { ids: ['default:emp-r5/hris-42'] })).toEqual([b]);
  });

  it('acts on nothing when one id is unknown', async () => {
    const held = heldTermination(terminationEvent('emp-r6'), '2026-11-22T12:00:00.000Z');
    const { holds, queueUrls, queueUrl } = await setUp(held);
    const selection = { ids: [held.eventId, 'no-such-event'] };
    await expect(releaseHolds({ holds, sqs, queueUrls, selection })).rejects.toThrow(UnknownHoldError);
    await expect(discardHolds(holds, selection)).rejects.toThrow('no hold no-such-event');
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);
    expect(await listHolds(holds)).toEqual([held]);
  });

  it('discards holds without sending anything', async () => {
    const gone = heldTermination(terminationEvent('emp-r7'), '2026-11-22T12:00:00.000Z');
    const kept = heldTermination(terminationEvent('emp-r8'), '2026-11-22T12:01:00.000Z');
    const { holds, queueUrl } = await setUp(gone, kept);
    expect(await discardHolds(holds, { ids: [gone.eventId] })).toEqual([gone]);
    expect(await listHolds(holds)).toEqual([kept]);
    expect(await discardHolds(holds, { all: true })).toEqual([kept]);
    expect(await listHolds(holds)).toEqual([]);
    expect(await receiveAll(sqs, queueUrl)).toEqual([]);
  });
});
