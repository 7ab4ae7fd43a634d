import { createLifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { postSignedWebhook } from '../cli/send-command.js';
import { median } from './throughput.js';
import { hires, newEmployee, type WorkerHarness } from './worker-harness.js';

/** Median time for the ingest Lambda to verify, validate and enqueue one signed webhook. */
export async function measureIngest(harness: WorkerHarness, posts: number): Promise<number> {
  const times: number[] = [];
  for (let post = 0; post < posts; post += 1) {
    const body = JSON.stringify(
      createLifecycleEvent({ type: 'employee.hired', data: newEmployee(), source: 'bench' }),
    );
    const started = performance.now();
    const response = await postSignedWebhook({ url: harness.ingestUrl, secret: harness.webhookSecret, body });
    times.push(performance.now() - started);
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
  }
  return median(times);
}

/**
 * Time for one signed request of `events` hires (one employee each) to be answered 202 by the
 * ingest at `url`, starting from an empty queue so each figure is the request's own cost.
 */
export async function measureIngestRequest(
  harness: WorkerHarness,
  url: string,
  events: number,
): Promise<number> {
  await harness.emptyQueue();
  const body = JSON.stringify(hires(events));
  const started = performance.now();
  const response = await postSignedWebhook({ url, secret: harness.webhookSecret, body });
  const elapsed = performance.now() - started;
  if (response.status !== 202) throw new Error(`ingest answered ${response.status} to ${events} events`);
  return elapsed;
}
