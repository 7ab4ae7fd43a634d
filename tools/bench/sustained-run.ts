import { countAwsCalls } from './http-call-counter.js';
import { hires, type WorkerHarness } from './worker-harness.js';

export interface SustainedRunFigures {
  readonly events: number;
  readonly secretsManagerCalls: number;
  /** DynamoDB calls per event, by operation (e.g. `TransactWriteItems`). */
  readonly dynamoCallsPerEvent: Readonly<Record<string, number>>;
  readonly cpaasCalls: number;
  /** Mean worker invocation time per event (batches of 10). */
  readonly msPerEvent: number;
  readonly peakRssMb: number;
  readonly peakHeapMb: number;
  readonly baselineRssMb: number;
  readonly baselineHeapMb: number;
}

const MB = 1024 * 1024;
const BATCH = 10;
const DYNAMODB_TARGET = 'DynamoDB_20120810.';

/**
 * Many events through one warm worker: Secrets Manager calls (the key is cached, so one per cache
 * period), DynamoDB and CPaaS calls per event, the time per event, and the process's peak memory.
 */
export async function sustainedRun(harness: WorkerHarness, events: number): Promise<SustainedRunFigures> {
  harness.sandbox.control.clearFaults();
  harness.sandbox.control.resetRequestCounts();
  const calls = countAwsCalls();
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sample = setInterval(() => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  }, 50);
  let workerMs = 0;
  try {
    for (let done = 0; done < events; done += BATCH)
      workerMs += await harness.invoke(hires(Math.min(BATCH, events - done)));
  } finally {
    clearInterval(sample);
    calls.stop();
  }
  const cpaasCalls = Object.values(harness.sandbox.control.requestCounts()).reduce(
    (sum, count) => sum + count,
    0,
  );
  return {
    events,
    secretsManagerCalls: calls.count('secretsmanager.GetSecretValue'),
    dynamoCallsPerEvent: Object.fromEntries(
      calls
        .targets()
        .filter(([target]) => target.startsWith(DYNAMODB_TARGET))
        .map(([target, count]) => [target.slice(DYNAMODB_TARGET.length), count / events]),
    ),
    cpaasCalls,
    msPerEvent: workerMs / events,
    peakRssMb: peakRss / MB,
    peakHeapMb: peakHeap / MB,
    baselineRssMb: baseline.rss / MB,
    baselineHeapMb: baseline.heapUsed / MB,
  };
}
