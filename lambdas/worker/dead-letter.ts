import { createHash } from 'node:crypto';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { SQSRecord } from 'aws-lambda';
import { DEAD_LETTER_ATTRIBUTES } from '../contract/settings.js';
import { escapeUnsafeText } from '../core/events/clean-text.js';

/** Why a message is dead-lettered: `exhausted` is a transient failure out of attempts. */
export interface DeadLetterReason {
  readonly failureKind: 'permanent' | 'exhausted';
  readonly errorClass: string;
  /** Already safe to store: no email, name or secret. */
  readonly errorMessage: string;
  readonly eventId?: string;
  readonly attempts: number;
  readonly failedAt: Date;
}

/** Where the worker puts messages it gives up on. */
export interface DeadLetterSink {
  send(record: SQSRecord, reason: DeadLetterReason): Promise<void>;
}

/** SQS allows 10 message attributes; the reason takes 6 of them. */
const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * Escaped: SQS refuses an attribute with characters outside XML's set (NUL, ESC, U+FFFF...), and a
 * body's id or a vendor's message can hold them; a refused dead letter would never be parked.
 */
const text = (value: string): MessageAttributeValue => ({
  DataType: 'String',
  StringValue: escapeUnsafeText(value),
});

function reasonAttributes(reason: DeadLetterReason): Record<string, MessageAttributeValue> {
  return {
    [DEAD_LETTER_ATTRIBUTES.errorClass]: text(reason.errorClass),
    [DEAD_LETTER_ATTRIBUTES.errorMessage]: text(reason.errorMessage || '(no message)'),
    [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(reason.attempts) },
    [DEAD_LETTER_ATTRIBUTES.failedAt]: text(reason.failedAt.toISOString()),
    [DEAD_LETTER_ATTRIBUTES.failureKind]: text(reason.failureKind),
    ...(reason.eventId === undefined ? {} : { [DEAD_LETTER_ATTRIBUTES.eventId]: text(reason.eventId) }),
  };
}

/** The producer's own string/number attributes, as many as fit beside the reason. */
function originalAttributes(record: SQSRecord, room: number): Record<string, MessageAttributeValue> {
  const kept = Object.entries(record.messageAttributes ?? {})
    .filter(([name, value]) => value.stringValue !== undefined && !name.startsWith('cpaas-lifecycle.'))
    .slice(0, Math.max(0, room))
    .map(([name, value]) => [name, { DataType: value.dataType, StringValue: value.stringValue }] as const);
  return Object.fromEntries(kept);
}

/**
 * Sends failed messages to the FIFO DLQ with the reason as message attributes, so an operator
 * (and `cpaas-lifecycle dlq`) sees why without reading logs. The message group is kept, so a
 * redrive replays one employee's events in order; the deduplication id is new (derived from the
 * message id and attempt) so SQS does not drop it as a repeat, yet a worker that crashes after
 * sending and sends again within 5 minutes leaves one copy, not two.
 */
export class SqsDeadLetterSink implements DeadLetterSink {
  constructor(
    readonly client: SQSClient,
    readonly queueUrl: string,
  ) {}

  async send(record: SQSRecord, reason: DeadLetterReason): Promise<void> {
    const reasonAttrs = reasonAttributes(reason);
    const room = MAX_MESSAGE_ATTRIBUTES - Object.keys(reasonAttrs).length;
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: record.body,
        MessageGroupId: record.attributes.MessageGroupId ?? 'dead-letter',
        MessageDeduplicationId: createHash('sha256')
          .update(`dead-letter:${record.messageId}:${reason.attempts}`)
          .digest('hex'),
        MessageAttributes: { ...originalAttributes(record, room), ...reasonAttrs },
      }),
    );
  }
}
