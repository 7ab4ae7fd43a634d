import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Runs `action` with an SQS client from the usual AWS SDK environment and closes it however the
 * action ends, so a failed command does not keep the process alive on open sockets.
 */
export async function withSqs<T>(action: (sqs: SQSClient) => Promise<T>): Promise<T> {
  const sqs = new SQSClient({});
  try {
    return await action(sqs);
  } finally {
    sqs.destroy();
  }
}
