import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import { SqsDeadLetterSink } from '../../../lambdas/worker/dead-letter.js';
import { type AwsFixture, awsFixture } from '../../support/aws-fixture.js';
import { sqsRecord } from '../../support/records.js';

describe('SqsDeadLetterSink (moto FIFO DLQ)', () => {
  let aws: AwsFixture;
  beforeAll(async () => {
    aws = await awsFixture();
  });
  afterAll(() => aws.destroy());

  it('keeps the body and message group, adds the reason attributes, and sends once per attempt', async () => {
    const sink = new SqsDeadLetterSink(aws.sqs, aws.resources.deadLetterQueueUrl);
    const record = sqsRecord('{"id":"ev-1"}', 'default:E1', 5);
    record.messageAttributes = { traceparent: { dataType: 'String', stringValue: 't-1' } } as never;
    const reason = {
      failureKind: 'exhausted',
      errorClass: 'CpaasServerError',
      errorMessage: 'CPaaS API 503',
      eventId: 'ev-1',
      attempts: 5,
      failedAt: new Date('2026-11-22T10:00:00Z'),
    } as const;
    await sink.send(record, reason);
    await sink.send(record, reason);
    const messages = await aws.deadLetters();
    expect(messages).toHaveLength(1);
    const [message] = messages;
    expect(message?.Body).toBe('{"id":"ev-1"}');
    expect(message?.Attributes?.MessageGroupId).toBe('default:E1');
    const attribute = (name: string) => message?.MessageAttributes?.[name]?.StringValue;
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorClass)).toBe('CpaasServerError');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe('CPaaS API 503');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.eventId)).toBe('ev-1');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.attempts)).toBe('5');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.failedAt)).toBe('2026-11-22T10:00:00.000Z');
    expect(attribute(DEAD_LETTER_ATTRIBUTES.failureKind)).toBe('exhausted');
    expect(attribute('traceparent')).toBe('t-1');
  });

  it('parks a letter whose event id or vendor message holds characters SQS refuses, escaped', async () => {
    const sink = new SqsDeadLetterSink(aws.sqs, aws.resources.deadLetterQueueUrl);
    const forgedId = 'x\u001b[2J\nhandled  employee.terminated employee CEO';
    await sink.send(sqsRecord(JSON.stringify({ id: forgedId }), 'default:E2', 1), {
      failureKind: 'permanent',
      errorClass: 'InvalidLifecycleEventError',
      errorMessage: 'vendor said \u0000\uffff',
      eventId: forgedId,
      attempts: 1,
      failedAt: new Date('2026-11-22T10:00:00Z'),
    });
    const letter = (await aws.deadLetters()).find(
      (message) => message.Attributes?.MessageGroupId === 'default:E2',
    );
    const attribute = (name: string) => letter?.MessageAttributes?.[name]?.StringValue;
    expect(attribute(DEAD_LETTER_ATTRIBUTES.eventId)).toBe(
      'x\\u001B[2J\\u000Ahandled  employee.terminated employee CEO',
    );
    expect(attribute(DEAD_LETTER_ATTRIBUTES.errorMessage)).toBe('vendor said \\u0000\\uFFFF');
  });
});
