import { desiredFields, newUserInput } from '../../lambdas/core/converge/desired-user.js';
import type { WorkerHandler } from '../../lambdas/worker/handler.js';
import { hires, newEmployee, type WorkerHarness } from './worker-harness.js';

export interface ThroughputFigures {
  readonly latencyMs: number;
  /** CPaaS calls per second the worker made, batches of 10 groups back to back. */
  readonly workerCallsPerSecond: number;
  /** CPaaS calls per second of a bare client with the same 10 calls in flight. */
  readonly rawCallsPerSecond: number;
  /** Median of the rounds' worker / raw ratios (not the ratio of the two medians). */
  readonly ratio: number;
}

const CONCURRENCY = 10;

function totalRequests(harness: WorkerHarness): number {
  return Object.values(harness.sandbox.control.requestCounts()).reduce((sum, count) => sum + count, 0);
}

/** One side's CPaaS calls per second over `batches` rounds of 10 (worker batches, or raw calls). */
async function workerRate(harness: WorkerHarness, batches: number, worker: WorkerHandler): Promise<number> {
  const start = totalRequests(harness);
  let ms = 0;
  for (let batch = 0; batch < batches; batch += 1) ms += await harness.invoke(hires(CONCURRENCY), worker);
  return ((totalRequests(harness) - start) / ms) * 1000;
}

async function rawRate(harness: WorkerHarness, calls: number): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < calls) {
        next += 1;
        // The create the worker sends for the same hire, every managed field: the in-process
        // sandbox's share of a call grows with its body, and the ratio is the worker's share.
        await harness.client.createUser(newUserInput(desiredFields(newEmployee(), true)));
      }
    }),
  );
  return (calls / (performance.now() - started)) * 1000;
}

/**
 * Worker vs raw client, side by side at one API latency: the worker's overhead per CPaaS call
 * (parsing, state table round trips, batching) is what the ratio shows. Both sides are measured
 * in `rounds` back-to-back pairs after one warm-up pair, and each figure is the median of its
 * rounds: at 0 ms a round lasts some 100 ms, and one round alone read anywhere from 0.47 to 0.98
 * on one machine (JIT warm-up, GC and the other process on the 2 cores fall on either side).
 */
export async function measureThroughput(
  harness: WorkerHarness,
  latencyMs: number,
  batches: number,
  worker: WorkerHandler,
  rounds: number,
): Promise<ThroughputFigures> {
  harness.sandbox.control.setFaults('*', { latencyMs });
  await workerRate(harness, 1, worker);
  await rawRate(harness, CONCURRENCY);
  const workerRates: number[] = [];
  const rawRates: number[] = [];
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    workerRates.push(await workerRate(harness, batches, worker));
    rawRates.push(await rawRate(harness, batches * CONCURRENCY));
    ratios.push((workerRates.at(-1) as number) / (rawRates.at(-1) as number));
  }
  harness.sandbox.control.clearFaults();
  return {
    latencyMs,
    workerCallsPerSecond: median(workerRates),
    rawCallsPerSecond: median(rawRates),
    ratio: median(ratios),
  };
}

/** Median duration of a one-event invocation and of a 10-group batch at one API latency. */
export async function measureBatchVsSingle(
  harness: WorkerHarness,
  latencyMs: number,
  rounds: number,
  worker: WorkerHandler,
): Promise<{ singleMs: number; batchMs: number; ratio: number }> {
  harness.sandbox.control.setFaults('*', { latencyMs });
  const single: number[] = [];
  const batch: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    single.push(await harness.invoke(hires(1), worker));
    batch.push(await harness.invoke(hires(CONCURRENCY), worker));
  }
  harness.sandbox.control.clearFaults();
  const singleMs = median(single);
  const batchMs = median(batch);
  return { singleMs, batchMs, ratio: batchMs / singleMs };
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}
