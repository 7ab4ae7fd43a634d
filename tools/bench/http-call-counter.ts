import { type Channel, channel } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/**
 * Counts AWS SDK calls by `X-Amz-Target` (e.g. `secretsmanager.GetSecretValue`) as they leave the
 * process, so the figures come from the production wiring without a hook in it. undici (the CPaaS
 * client) does not use node:http, so only AWS calls are seen.
 */
export function countAwsCalls(): {
  count(target: string): number;
  targets(): [string, number][];
  stop(): void;
} {
  const counts = new Map<string, number>();
  const requests: Channel = channel('http.client.request.start');
  const onRequest = (message: unknown) => {
    const request = (message as { request: ClientRequest }).request;
    const target = String(request.getHeader('x-amz-target') ?? 'other');
    counts.set(target, (counts.get(target) ?? 0) + 1);
  };
  requests.subscribe(onRequest);
  return {
    count: (target) => counts.get(target) ?? 0,
    targets: () => [...counts],
    stop: () => requests.unsubscribe(onRequest),
  };
}
