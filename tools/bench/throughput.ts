import type { WorkerHandler } from '../../lambdas/worker/handler.js';
import { hires, newEmployee, type WorkerHarness } from './worker-harness.js';

export interface ThroughputFigures {
  readonly latencyMs: number;
  /** CPaaS calls per second the worker made, batches of 10 groups back to back. */
  readonly workerCallsPerSecond: number;
  /** CPaaS calls per second of a bare client with the same 10 calls in flight. */
  readonly rawCallsPerSecond: number;
  readonly ratio: number;
}

const CONCURRENCY = 10;

function totalRequests(harness: WorkerHarness): number {
  return Object.values(harness.sandbox.control.requestCounts()).reduce((sum, count) => sum + count, 0);
}

/**
 * Worker vs raw client, side by side at one API latency: the worker's overhead per CPaaS call
 * (parsing, state table round trips, batching) is what the ratio shows.
 */
export async function measureThroughput(
  harness: WorkerHarness,
  latencyMs: number,
  batches: number,
  worker: WorkerHandler,
): Promise<ThroughputFigures> {
  harness.sandbox.control.setFaults('*', { latencyMs });
  const workerStart = totalRequests(harness);
  let workerMs = 0;
  for (let batch = 0; batch < batches; batch += 1)
    workerMs += await harness.invoke(hires(CONCURRENCY), worker);
  const workerCalls = totalRequests(harness) - workerStart;

  const rawCalls = batches * CONCURRENCY;
  let next = 0;
  const rawStart = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < rawCalls) {
        next += 1;
        const employee = newEmployee();
        await harness.client.createUser({
          email: employee.workEmail,
          first_name: employee.firstName,
          last_name: employee.lastName,
        });
      }
    }),
  );
  const rawMs = performance.now() - rawStart;
  harness.sandbox.control.clearFaults();
  const workerCallsPerSecond = (workerCalls / workerMs) * 1000;
  const rawCallsPerSecond = (rawCalls / rawMs) * 1000;
  return {
    latencyMs,
    workerCallsPerSecond,
    rawCallsPerSecond,
    ratio: workerCallsPerSecond / rawCallsPerSecond,
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
