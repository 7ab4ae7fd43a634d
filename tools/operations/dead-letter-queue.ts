import { randomUUID } from 'node:crypto';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ListDeadLetterSourceQueuesCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../lambdas/contract/settings.js';
import { DEFAULT_TENANT_ID } from '../../lambdas/contract/tenants.js';
import { SourceQueueUnknownError } from './errors.js';

/** Why a message is in the DLQ, from the worker's reason attributes or, failing those, from SQS. */
export interface DeadLetterReason {
  /** `worker`: the worker dead-lettered it with a reason; `sqs-redrive`: the queue's RedrivePolicy moved it. */
  readonly movedBy: 'worker' | 'sqs-redrive';
  /** `permanent` (never retried) or `exhausted` (transient, out of attempts). */
  readonly failureKind: string;
  readonly errorClass?: string;
  readonly errorMessage?: string;
  /** Deliveries of the event before it was dead-lettered, when the worker recorded them. */
  readonly attempts?: number;
  readonly failedAt?: string;
  /** One line for humans. */
  readonly summary: string;
}

/** A dead-lettered message as an operator sees it. */
export interface DeadLetter {
  readonly messageId: string;
  readonly messageGroupId?: string;
  readonly eventId?: string;
  readonly eventType?: string;
  readonly employeeId?: string;
  /**
   * The event's tenant; `default` for an event that names none and for a body that is no event
   * at all (a single-account deployment's, or one no tenant can be told from).
   */
  readonly tenant: string;
  /**
   * SQS's ApproximateReceiveCount. It counts the DLQ's own receives too, so every inspection
   * (list, show) adds one: read it as "at least".
   */
  readonly receiveCount: number;
  readonly sentAt?: string;
  readonly reason: DeadLetterReason;
  readonly body: string;
}

export const SQS_REDRIVE_SUMMARY = 'exhausted retries (moved by SQS redrive)';

const REASON_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set(Object.values(DEAD_LETTER_ATTRIBUTES));

function stringAttribute(message: Message, name: string): string | undefined {
  return message.MessageAttributes?.[name]?.StringValue;
}

function reasonOf(message: Message, receiveCount: number): DeadLetterReason {
  const errorClass = stringAttribute(message, DEAD_LETTER_ATTRIBUTES.errorClass);
  const errorMessage = stringAttribute(message, DEAD_LETTER_ATTRIBUTES.errorMessage);
  const failureKind = stringAttribute(message, DEAD_LETTER_ATTRIBUTES.failureKind);
  if (!errorClass && !errorMessage && !failureKind) {
    return {
      movedBy: 'sqs-redrive',
      failureKind: 'exhausted',
      summary: `${SQS_REDRIVE_SUMMARY}; received ${receiveCount} times`,
    };
  }
  const attemptsText = stringAttribute(message, DEAD_LETTER_ATTRIBUTES.attempts);
  const attempts = attemptsText === undefined ? undefined : Number(attemptsText);
  const failedAt = stringAttribute(message, DEAD_LETTER_ATTRIBUTES.failedAt);
  const kind = failureKind ?? 'unknown';
  const after = attempts === undefined ? '' : ` after ${attempts} attempt${attempts === 1 ? '' : 's'}`;
  return {
    movedBy: 'worker',
    failureKind: kind,
    ...(errorClass === undefined ? {} : { errorClass }),
    ...(errorMessage === undefined ? {} : { errorMessage }),
    ...(attempts === undefined || Number.isNaN(attempts) ? {} : { attempts }),
    ...(failedAt === undefined ? {} : { failedAt }),
    summary: `${kind}${after}: ${errorClass ?? 'Error'}: ${errorMessage ?? '(no message)'}`,
  };
}

function eventFieldsOf(body: string): {
  eventId?: string;
  eventType?: string;
  employeeId?: string;
  tenant: string;
} {
  try {
    const event = JSON.parse(body) as { id?: unknown; type?: unknown; subject?: unknown; tenant?: unknown };
    return {
      ...(typeof event.id === 'string' ? { eventId: event.id } : {}),
      ...(typeof event.type === 'string' ? { eventType: event.type } : {}),
      ...(typeof event.subject === 'string' ? { employeeId: event.subject } : {}),
      tenant: typeof event.tenant === 'string' ? event.tenant : DEFAULT_TENANT_ID,
    };
  } catch {
    return { tenant: DEFAULT_TENANT_ID };
  }
}

/** Reads a received DLQ message into what an operator needs: which event, whose, and why it failed. */
export function describeDeadLetter(message: Message): DeadLetter {
  const receiveCount = Number(message.Attributes?.ApproximateReceiveCount ?? '0');
  const body = message.Body ?? '';
  const fromBody = eventFieldsOf(body);
  const eventId = stringAttribute(message, DEAD_LETTER_ATTRIBUTES.eventId) ?? fromBody.eventId;
  const sentTimestamp = Number(message.Attributes?.SentTimestamp);
  return {
    messageId: message.MessageId ?? '',
    ...(message.Attributes?.MessageGroupId === undefined
      ? {}
      : { messageGroupId: message.Attributes.MessageGroupId }),
    ...(eventId === undefined ? {} : { eventId }),
    ...(fromBody.eventType === undefined ? {} : { eventType: fromBody.eventType }),
    ...(fromBody.employeeId === undefined ? {} : { employeeId: fromBody.employeeId }),
    tenant: fromBody.tenant,
    receiveCount,
    ...(Number.isFinite(sentTimestamp) ? { sentAt: new Date(sentTimestamp).toISOString() } : {}),
    reason: reasonOf(message, receiveCount),
    body,
  };
}

const PERSONAL_FIELDS = ['workEmail', 'firstName', 'lastName'] as const;

/**
 * The body with the employee's email and names masked, so `dlq show` can be pasted into a
 * ticket; the operator asks for the raw body explicitly.
 */
export function redactBody(body: string): string {
  let event: unknown;
  try {
    event = JSON.parse(body);
  } catch {
    return `(not JSON, ${Buffer.byteLength(body)} bytes)`;
  }
  const data = (event as { data?: Record<string, unknown> } | null)?.data;
  if (data && typeof data === 'object') {
    for (const field of PERSONAL_FIELDS) {
      if (field in data) data[field] = '<redacted>';
    }
  }
  return JSON.stringify(event, null, 2);
}

export interface DeadLetterQueueOptions {
  readonly sqs: SQSClient;
  readonly deadLetterQueueUrl: string;
}

/**
 * One tenant's dead letters (default: the default tenant's). Every tenant's land in the lane's one
 * DLQ; an operator acts on one tenant's at a time and never moves or drops another's.
 */
export interface TenantDeadLetterOptions extends DeadLetterQueueOptions {
  readonly tenant?: string;
}

const isOfTenant = (message: Message, options: TenantDeadLetterOptions) =>
  eventFieldsOf(message.Body ?? '').tenant === (options.tenant ?? DEFAULT_TENANT_ID);

/** Long enough to page through a big DLQ, short enough that an interrupted listing heals itself. */
const INSPECTION_HOLD_SECONDS = 30;

async function receiveBatch(
  { sqs, deadLetterQueueUrl }: DeadLetterQueueOptions,
  visibilityTimeout: number,
): Promise<Message[]> {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: deadLetterQueueUrl,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilityTimeout,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
      MessageAttributeNames: ['All'],
    }),
  );
  return Messages;
}

async function release(
  { sqs, deadLetterQueueUrl }: DeadLetterQueueOptions,
  messages: Message[],
): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    const chunk = messages.slice(start, start + 10);
    await sqs.send(
      new ChangeMessageVisibilityBatchCommand({
        QueueUrl: deadLetterQueueUrl,
        Entries: chunk.map((message, index) => ({
          Id: String(index),
          ReceiptHandle: message.ReceiptHandle ?? '',
          VisibilityTimeout: 0,
        })),
      }),
    );
  }
}

/**
 * Receives every message it can reach, holding each one (so the next receive returns new ones),
 * hands them to `visit`, and releases whatever `visit` did not consume. Holding is what makes
 * paging possible without deleting; on a FIFO queue it also locks each held message's group, so
 * later messages of a group whose first messages were held in an earlier round stay hidden
 * until the release. `visit` returns true for a message it consumed (deleted).
 */
async function sweep(
  options: DeadLetterQueueOptions,
  visit: (message: Message) => Promise<boolean>,
): Promise<void> {
  const held: Message[] = [];
  try {
    for (;;) {
      const batch = await receiveBatch(options, INSPECTION_HOLD_SECONDS);
      if (batch.length === 0) break;
      for (const message of batch) {
        let consumed = false;
        try {
          consumed = await visit(message);
        } finally {
          if (!consumed) held.push(message);
        }
      }
    }
  } finally {
    await release(options, held);
  }
}

/** How many messages SQS says the DLQ holds (visible and in flight). */
export async function countDeadLetters({ sqs, deadLetterQueueUrl }: DeadLetterQueueOptions): Promise<number> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: deadLetterQueueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return (
    Number(Attributes?.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
  );
}

export interface DeadLetterListing {
  /** The tenant's dead letters. */
  readonly messages: DeadLetter[];
  /** Messages of every tenant the listing reached. */
  readonly reached: number;
  /** What SQS says the queue holds, every tenant's; more than `reached` when FIFO group locks hid some. */
  readonly approximateTotal: number;
}

/**
 * Lists the tenant's dead letters without consuming any: every message is received, described
 * and released again (visibility 0), so it stays in the queue for a later redrive.
 */
export async function listDeadLetters(options: TenantDeadLetterOptions): Promise<DeadLetterListing> {
  const approximateTotal = await countDeadLetters(options);
  const messages: DeadLetter[] = [];
  let reached = 0;
  await sweep(options, async (message) => {
    reached += 1;
    if (isOfTenant(message, options)) messages.push(describeDeadLetter(message));
    return false;
  });
  return { messages, reached, approximateTotal };
}

/** One of the tenant's DLQ messages by its SQS message id, without consuming it; undefined when not reachable. */
export async function findDeadLetter(
  options: TenantDeadLetterOptions & { readonly messageId: string },
): Promise<DeadLetter | undefined> {
  const { messages } = await listDeadLetters(options);
  return messages.find((message) => message.messageId === options.messageId);
}

/**
 * The queue whose RedrivePolicy points at this DLQ (ListDeadLetterSourceQueues), so a redrive
 * needs no second URL in the usual one-queue set-up.
 */
export async function resolveSourceQueueUrl(options: DeadLetterQueueOptions): Promise<string> {
  const { queueUrls = [] } = await options.sqs.send(
    new ListDeadLetterSourceQueuesCommand({ QueueUrl: options.deadLetterQueueUrl }),
  );
  const [only] = queueUrls;
  if (queueUrls.length !== 1 || only === undefined) {
    throw new SourceQueueUnknownError(
      queueUrls.length === 0
        ? 'no queue redrives to this DLQ; pass --source-queue-url'
        : `${queueUrls.length} queues redrive to this DLQ; pass --source-queue-url`,
    );
  }
  return only;
}

export interface RedriveOptions extends TenantDeadLetterOptions {
  readonly sourceQueueUrl: string;
  /** Message ids to move; every reachable message when absent. */
  readonly messageIds?: readonly string[];
  readonly onMoved?: (moved: RedrivenMessage) => void;
}

export interface RedrivenMessage {
  readonly messageId: string;
  readonly newMessageId: string;
  readonly eventId?: string;
}

export interface RedriveResult {
  readonly moved: RedrivenMessage[];
  /** Requested ids not found (already gone, or hidden behind a FIFO group lock). */
  readonly notFound: string[];
}

function withoutReasonAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, MessageAttributeValue> | undefined {
  const kept = Object.entries(attributes ?? {}).filter(([name]) => !REASON_ATTRIBUTE_NAMES.has(name));
  return kept.length === 0 ? undefined : Object.fromEntries(kept);
}

/**
 * Moves the tenant's dead letters back to the source queue: send (same body and message group, the reason
 * attributes dropped, a fresh deduplication id so SQS does not discard it as a repeat of the
 * original), then delete from the DLQ. Done by hand because moto answers StartMessageMoveTask
 * with a 500; a crash between send and delete leaves a duplicate, which the worker's
 * convergence makes harmless, never a loss. Messages are moved in the order received, so a
 * FIFO group keeps its order.
 */
export async function redriveDeadLetters(options: RedriveOptions): Promise<RedriveResult> {
  const wanted = options.messageIds === undefined ? undefined : new Set(options.messageIds);
  const moved: RedrivenMessage[] = [];
  const startedAt = Date.now();
  await sweep(options, async (message) => {
    const messageId = message.MessageId ?? '';
    if (!isOfTenant(message, options)) return false;
    if (wanted && !wanted.has(messageId)) return false;
    // One that failed again after being redriven by this very run is left for the operator.
    if (Number(message.Attributes?.SentTimestamp) > startedAt) return false;
    const groupId = message.Attributes?.MessageGroupId;
    const attributes = withoutReasonAttributes(message.MessageAttributes);
    const sent = await options.sqs.send(
      new SendMessageCommand({
        QueueUrl: options.sourceQueueUrl,
        MessageBody: message.Body ?? '',
        ...(groupId === undefined ? {} : { MessageGroupId: groupId, MessageDeduplicationId: randomUUID() }),
        ...(attributes === undefined ? {} : { MessageAttributes: attributes }),
      }),
    );
    await options.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        ReceiptHandle: message.ReceiptHandle,
      }),
    );
    const { eventId } = describeDeadLetter(message);
    const record = {
      messageId,
      newMessageId: sent.MessageId ?? '',
      ...(eventId === undefined ? {} : { eventId }),
    };
    moved.push(record);
    options.onMoved?.(record);
    return true;
  });
  const movedIds = new Set(moved.map((message) => message.messageId));
  return { moved, notFound: [...(wanted ?? [])].filter((id) => !movedIds.has(id)) };
}

/**
 * Deletes the tenant's dead letters, one by one as they are reached; returns how many. Not SQS's
 * PurgeQueue: that drops every tenant's. One in flight (another inspection holds it) is not
 * reached: `dlq list` shows it afterwards.
 */
export async function purgeDeadLetters(options: TenantDeadLetterOptions): Promise<number> {
  let deleted = 0;
  await sweep(options, async (message) => {
    if (!isOfTenant(message, options)) return false;
    await options.sqs.send(
      new DeleteMessageCommand({
        QueueUrl: options.deadLetterQueueUrl,
        ReceiptHandle: message.ReceiptHandle,
      }),
    );
    deleted += 1;
    return true;
  });
  return deleted;
}
