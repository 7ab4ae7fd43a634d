import { SQSClient } from '@aws-sdk/client-sqs';

/**
 * Runs `action` with `client` and destroys it however the action ends, so a failed command does
 * not keep the process alive on open sockets.
 */
export async function withClient<C extends { destroy(): void }, T>(
  client: C,
  action: (client: C) => Promise<T>,
): Promise<T> {
  try {
    return await action(client);
  } finally {
    client.destroy();
  }
}

/** `withClient` for SQS, from the usual AWS SDK environment. */
export function withSqs<T>(action: (sqs: SQSClient) => Promise<T>): Promise<T> {
  return withClient(new SQSClient({}), action);
}
