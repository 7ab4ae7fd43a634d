import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DEAD_LETTER_ATTRIBUTES } from '../../../lambdas/contract/settings.js';
import {
  createLifecycleEvent,
  type LifecycleEvent,
  toQueueMessage,
} from '../../../lambdas/core/events/lifecycle-event.js';
import {
  type LaneResources,
  type ProvisionedResources,
  provisionLocalResources,
} from '../../../tools/local/provision.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';
import { receiveUntilEmpty } from '../../support/sqs-receive.js';

/** Fresh queue + DLQ pairs (one per lane) as the stack builds them, redriving after one receive so tests stay fast. */
export async function provisionQueues(): Promise<ProvisionedResources> {
  return provisionLocalResources(motoClientConfig(), {
    names: uniqueResourceNames('dlq'),
    maxReceiveCount: 1,
    apiKey: 'unused',
    webhookSecrets: {},
  });
}

export function employeeEvent(
  employeeId: string,
  type: 'employee.hired' | 'employee.changed' = 'employee.hired',
): LifecycleEvent {
  return createLifecycleEvent({
    type,
    source: 'test',
    data: { employeeId, workEmail: `${employeeId}@example.com`, firstName: 'Ada', lastName: 'Lovelace' },
  });
}

/** Dead-letters an event the way the worker does: straight to the lane's DLQ with the reason attributes. */
export async function deadLetterLikeWorker(
  sqs: SQSClient,
  resources: LaneResources,
  event: LifecycleEvent,
  reason: {
    errorClass: string;
    errorMessage: string;
    attempts: number;
    failureKind: 'permanent' | 'exhausted';
  },
): Promise<string> {
  const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
  const sent = await sqs.send(
    new SendMessageCommand({
      QueueUrl: resources.deadLetterQueueUrl,
      ...toQueueMessage(event),
      MessageAttributes: {
        [DEAD_LETTER_ATTRIBUTES.errorClass]: attribute(reason.errorClass),
        [DEAD_LETTER_ATTRIBUTES.errorMessage]: attribute(reason.errorMessage),
        [DEAD_LETTER_ATTRIBUTES.eventId]: attribute(event.id),
        [DEAD_LETTER_ATTRIBUTES.attempts]: { DataType: 'Number', StringValue: String(reason.attempts) },
        [DEAD_LETTER_ATTRIBUTES.failureKind]: attribute(reason.failureKind),
        [DEAD_LETTER_ATTRIBUTES.failedAt]: attribute(new Date().toISOString()),
      },
    }),
  );
  return sent.MessageId ?? '';
}

/** Lets the source queue's RedrivePolicy move an event to the DLQ: no reason attributes. */
export async function deadLetterBySqsRedrive(
  sqs: SQSClient,
  resources: ProvisionedResources,
  event: LifecycleEvent,
): Promise<string> {
  const sent = await sqs.send(
    new SendMessageCommand({ QueueUrl: resources.queueUrl, ...toQueueMessage(event) }),
  );
  // maxReceiveCount is 1: the first receive counts, the second one moves the message.
  for (let receive = 0; receive < 2; receive += 1) {
    await sqs.send(new ReceiveMessageCommand({ QueueUrl: resources.queueUrl, VisibilityTimeout: 0 }));
  }
  return sent.MessageId ?? '';
}

/** Bodies currently on a queue, consumed (for asserting where messages ended up). */
export async function drainBodies(
  sqs: SQSClient,
  queueUrl: string,
): Promise<Array<{ body: string; group?: string }>> {
  const messages = await receiveUntilEmpty(sqs, {
    QueueUrl: queueUrl,
    VisibilityTimeout: 60,
    MessageSystemAttributeNames: ['All'],
  });
  return messages.map((message) => {
    const group = message.Attributes?.MessageGroupId;
    return { body: message.Body ?? '', ...(group === undefined ? {} : { group }) };
  });
}
