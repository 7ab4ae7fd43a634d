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
});
