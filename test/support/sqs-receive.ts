import {
  type Message,
  ReceiveMessageCommand,
  type ReceiveMessageCommandInput,
  type SQSClient,
} from '@aws-sdk/client-sqs';

/**
 * Every message the queue hands out now, ten at a time until it answers empty. Give a
 * `VisibilityTimeout` long enough that received messages stay hidden, or the loop sees them again.
 */
export async function receiveUntilEmpty(
  sqs: SQSClient,
  input: Omit<ReceiveMessageCommandInput, 'MaxNumberOfMessages'>,
): Promise<Message[]> {
  const messages: Message[] = [];
  for (;;) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ ...input, MaxNumberOfMessages: 10 }),
    );
    if (Messages.length === 0) return messages;
    messages.push(...Messages);
  }
}
