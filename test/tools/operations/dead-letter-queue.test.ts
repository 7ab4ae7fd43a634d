import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { createLifecycleEvent, messageGroupIdFor } from '../../../lambdas/core/events/lifecycle-event.js';
import {
  countDeadLetters,
  findDeadLetter,
  listDeadLetters,
  purgeDeadLetters,
  redactBody,
  redriveDeadLetters,
  resolveSourceQueueUrl,
  SQS_REDRIVE_SUMMARY,
} from '../../../tools/operations/dead-letter-queue.js';
import { motoClientConfig } from '../../support/aws.js';
import {
  deadLetterBySqsRedrive,
  deadLetterLikeWorker,
  drainBodies,
  employeeEvent,
  provisionQueues,
} from './dead-letter-fixtures.js';

const sqs = new SQSClient(motoClientConfig());
const validation = {
  errorClass: 'CpaasValidationError',
  errorMessage: 'timezone is not valid',
  attempts: 1,
  failureKind: 'permanent' as const,
};

describe('listDeadLetters', () => {
  it("shows the worker's reason, and SQS redrive for messages without one, without consuming them", async () => {
    const resources = await provisionQueues();
    const rejected = employeeEvent('emp-rejected');
    const exhausted = employeeEvent('emp-exhausted');
    const rejectedId = await deadLetterLikeWorker(sqs, resources, rejected, validation);
    const exhaustedId = await deadLetterBySqsRedrive(sqs, resources, exhausted);
    const options = { sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl };

    const first = await listDeadLetters(options);
    expect(first.approximateTotal).toBe(2);
    const byId = new Map(first.messages.map((letter) => [letter.messageId, letter]));
    expect(byId.get(rejectedId)).toMatchObject({
      eventId: rejected.id,
      eventType: 'employee.hired',
      employeeId: 'emp-rejected',
      messageGroupId: messageGroupIdFor(rejected),
      reason: {
        movedBy: 'worker',
        failureKind: 'permanent',
        errorClass: 'CpaasValidationError',
        attempts: 1,
      },
    });
    expect(byId.get(rejectedId)?.reason.summary).toBe(
      'permanent after 1 attempt: CpaasValidationError: timezone is not valid',
    );
    expect(byId.get(exhaustedId)).toMatchObject({
      eventId: exhausted.id,
      reason: { movedBy: 'sqs-redrive', failureKind: 'exhausted' },
    });
    expect(byId.get(exhaustedId)?.reason.summary).toContain(SQS_REDRIVE_SUMMARY);

    // Listing released everything: a second listing sees the same messages at once.
    const second = await listDeadLetters(options);
    expect(second.messages.map((letter) => letter.messageId).sort()).toEqual(
      [rejectedId, exhaustedId].sort(),
    );
  });

  it('finds one message by id and masks personal data in its body', async () => {
    const resources = await provisionQueues();
    const id = await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-show'), validation);
    const letter = await findDeadLetter({
      sqs,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      messageId: id,
    });
    expect(letter?.messageId).toBe(id);
    const shown = redactBody(letter?.body ?? '');
    expect(shown).not.toContain('emp-show@example.com');
    expect(shown).not.toContain('Lovelace');
    expect(JSON.parse(shown).data).toMatchObject({ employeeId: 'emp-show', workEmail: '<redacted>' });
    expect(
      await findDeadLetter({ sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl, messageId: 'nope' }),
    ).toBeUndefined();
  });
});

describe('redriveDeadLetters', () => {
  it('finds the source queue from the DLQ', async () => {
    const resources = await provisionQueues();
    expect(await resolveSourceQueueUrl({ sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl })).toBe(
      resources.queueUrl,
    );
  });

  it("sends a priority-lane dead letter back to the priority queue: its DLQ's only source", async () => {
    const resources = await provisionQueues();
    const termination = createLifecycleEvent({
      type: 'employee.terminated',
      source: 'test',
      data: { employeeId: 'emp-leaver' },
    });
    await deadLetterLikeWorker(sqs, resources.priority, termination, validation);
    const deadLetterQueueUrl = resources.priority.deadLetterQueueUrl;
    const sourceQueueUrl = await resolveSourceQueueUrl({ sqs, deadLetterQueueUrl });
    expect(sourceQueueUrl).toBe(resources.priority.queueUrl);

    expect((await redriveDeadLetters({ sqs, deadLetterQueueUrl, sourceQueueUrl })).moved).toHaveLength(1);
    expect((await drainBodies(sqs, resources.priority.queueUrl)).map((message) => message.body)).toEqual([
      JSON.stringify(termination),
    ]);
    expect(await drainBodies(sqs, resources.queueUrl)).toEqual([]);
  });

  it('moves every dead letter back with its body and group, in group order, without the reason', async () => {
    const resources = await provisionQueues();
    const first = employeeEvent('emp-order');
    const second = employeeEvent('emp-order', 'employee.changed');
    await deadLetterLikeWorker(sqs, resources, first, validation);
    await deadLetterLikeWorker(sqs, resources, second, validation);
    await deadLetterBySqsRedrive(sqs, resources, employeeEvent('emp-other'));

    const result = await redriveDeadLetters({
      sqs,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      sourceQueueUrl: resources.queueUrl,
    });
    expect(result.moved).toHaveLength(3);
    expect(result.notFound).toEqual([]);
    expect(await countDeadLetters({ sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl })).toBe(0);

    const back = await drainBodies(sqs, resources.queueUrl);
    const orderGroup = back.filter((message) => message.group === messageGroupIdFor(first));
    expect(orderGroup.map((message) => JSON.parse(message.body).id)).toEqual([first.id, second.id]);
    expect(back.map((message) => message.body)).toContain(JSON.stringify(first));
  });

  it('moves only the requested ids and reports the ones it could not find', async () => {
    const resources = await provisionQueues();
    const keep = await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-keep'), validation);
    const move = await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-move'), validation);
    const result = await redriveDeadLetters({
      sqs,
      deadLetterQueueUrl: resources.deadLetterQueueUrl,
      sourceQueueUrl: resources.queueUrl,
      messageIds: [move, 'missing-id'],
    });
    expect(result.moved.map((moved) => moved.messageId)).toEqual([move]);
    expect(result.notFound).toEqual(['missing-id']);
    const left = await listDeadLetters({ sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl });
    expect(left.messages.map((letter) => letter.messageId)).toEqual([keep]);
  });
});

describe('purgeDeadLetters', () => {
  it('empties the DLQ', async () => {
    const resources = await provisionQueues();
    await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-purge'), validation);
    expect(await purgeDeadLetters({ sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl })).toBe(1);
    expect(await countDeadLetters({ sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl })).toBe(0);
  });
});
