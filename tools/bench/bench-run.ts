import { MEMORY_MB } from '../../infra/lifecycle-stack.js';
import { DEFAULTS } from '../../lambdas/contract/settings.js';
import { measureApiCalls } from './api-calls.js';
import { measureColdStart } from './cold-start.js';
import { costPerMillionEvents } from './cost.js';
import { countAwsCalls } from './http-call-counter.js';
import { measureIngest } from './ingest-latency.js';
import { silencePowertools } from './quiet-powertools.js';
import { sustainedRun } from './sustained-run.js';
import { measureBatchVsSingle, measureThroughput } from './throughput.js';
import { startWorkerHarness } from './worker-harness.js';

export interface BenchRow {
  readonly figure: string;
  readonly measured: string;
  readonly target: string;
  /** undefined where the issue sets no target. */
  readonly met?: boolean;
}

export interface BenchOptions {
  /** Events for the Secrets Manager, memory and per-event duration figures. */
  readonly events: number;
  readonly log: (line: string) => void;
}

const LOG_KB_PER_INVOCATION = 2;
const SEEDED_USERS = 10_000;

/**
 * Every bench figure from one run, side by side: the worker against moto_server and the CPaaS
 * sandbox in this process, the bundles in fresh `node` processes. Never a pass/fail test.
 */
export async function runBench(options: BenchOptions): Promise<BenchRow[]> {
  const quiet = silencePowertools();
  const awsCalls = countAwsCalls();
  const harness = await startWorkerHarness();
  const rows: BenchRow[] = [];
  try {
    const variants = [
      { label: 'moto DynamoDB', worker: harness.worker },
      { label: 'in-memory state', worker: harness.inMemoryWorker },
    ];
    options.log('bench: throughput');
    for (const variant of variants) {
      for (const latencyMs of [0, 50]) {
        const figures = await measureThroughput(
          harness,
          latencyMs,
          latencyMs === 0 ? 20 : 10,
          variant.worker,
        );
        rows.push({
          figure: `1. worker / raw client CPaaS calls per s, ${latencyMs} ms latency, 10 in flight, ${variant.label}`,
          measured: `${figures.workerCallsPerSecond.toFixed(1)} / ${figures.rawCallsPerSecond.toFixed(1)} = ${figures.ratio.toFixed(2)}`,
          target: '>= 0.8',
          met: figures.ratio >= 0.8,
        });
      }
    }
    options.log('bench: batch vs single');
    const batches = [];
    for (const variant of variants) {
      const figures = await measureBatchVsSingle(harness, 50, 7, variant.worker);
      batches.push(figures);
      rows.push({
        figure: `2. 10-group batch / single event, 50 ms latency (median of 7), ${variant.label}`,
        measured: `${figures.batchMs.toFixed(0)} ms / ${figures.singleMs.toFixed(0)} ms = ${figures.ratio.toFixed(2)}x`,
        target: '<= 2.5x',
        met: figures.ratio <= 2.5,
      });
    }
    const batch = batches[0] as { singleMs: number };
    options.log('bench: ingest');
    const ingestMs = await measureIngest(harness, 50);
    options.log(`bench: ${options.events} events`);
    const sustained = await sustainedRun(harness, options.events);
    options.log(`bench: API calls with ${SEEDED_USERS} users`);
    const apiCalls = await measureApiCalls(harness, SEEDED_USERS);
    for (const step of apiCalls.steps) {
      rows.push({
        figure: `3. CPaaS calls, ${step.step}, ${SEEDED_USERS.toLocaleString('en-US')} users seeded`,
        measured: String(step.calls),
        target: `<= ${step.target}`,
        met: step.calls <= step.target,
      });
    }
    const secretCalls = awsCalls.count('secretsmanager.GetSecretValue');
    // Measured: one fetch per secret per process and cache period. Priced for a month with one warm
    // worker and one warm ingest instance each refetching once per period: the call count follows
    // time, not events.
    const secretFetchesPerMonth = 2 * ((30 * 86_400) / DEFAULTS.secretCacheSeconds);
    rows.push({
      figure: `4. Secrets Manager GetSecretValue, whole bench process (${sustained.events} sustained events, 2 secrets)`,
      measured: `${secretCalls} over about 1,100 worker and 50 ingest events (one per secret; follows time, not events)`,
      target: `<= 1 per secret per ${DEFAULTS.secretCacheSeconds} s cache period`,
      met: secretCalls <= 2,
    });
    options.log('bench: cold start');
    for (const cold of await measureColdStart(
      { worker: 'lambdas/worker/handler.ts', ingest: 'lambdas/ingest/handler.ts' },
      20,
    )) {
      const sizeRatio = cold.bundleKb / cold.baselineKb;
      const initRatio = cold.initMs / cold.baselineInitMs;
      rows.push({
        figure: `5. ${cold.handler} bundle size / minimal handler (${cold.sdkClients.join(', ')})`,
        measured: `${cold.bundleKb.toFixed(0)} KB / ${cold.baselineKb.toFixed(0)} KB = ${sizeRatio.toFixed(2)} (largest: ${cold.largest.slice(0, 3).join(', ')})`,
        target: '<= 1.3',
        met: sizeRatio <= 1.3,
      });
      rows.push({
        figure: `5. ${cold.handler} module init / minimal handler (median of 20 processes)`,
        measured: `${cold.initMs.toFixed(0)} ms / ${cold.baselineInitMs.toFixed(0)} ms = ${initRatio.toFixed(2)}`,
        target: '<= 1.3',
        met: initRatio <= 1.3,
      });
    }
    rows.push({
      figure: `6. peak memory over ${sustained.events} events (bench process: worker + sandbox + harness)`,
      measured: `RSS ${sustained.peakRssMb.toFixed(0)} MB (from ${sustained.baselineRssMb.toFixed(0)}), heap ${sustained.peakHeapMb.toFixed(0)} MB (from ${sustained.baselineHeapMb.toFixed(0)})`,
      target: `fits ${MEMORY_MB} MB`,
      met: sustained.peakRssMb < MEMORY_MB,
    });
    const cost = costPerMillionEvents({
      workerMsPerEvent: batch.singleMs,
      ingestMsPerEvent: ingestMs,
      memoryMb: MEMORY_MB,
      dynamoCallsPerEvent: apiCalls.dynamoCallsPerEvent,
      secretsManagerCallsPerEvent: secretFetchesPerMonth / 1_000_000,
      logKbPerInvocation: LOG_KB_PER_INVOCATION,
    });
    for (const line of cost)
      rows.push({ figure: `7. ${line.item} per 1M events`, measured: line.arithmetic, target: '' });
    const total = cost.reduce((sum, line) => sum + line.dollars, 0);
    rows.push({
      figure: '7. total per 1,000,000 events (variable part)',
      measured: `$${total.toFixed(2)}`,
      target: '',
    });
    rows.push({
      figure: 'context: worker ms per event, batches of 10, 0 ms latency (moto DynamoDB)',
      measured: `${sustained.msPerEvent.toFixed(1)} ms; CPaaS calls ${(sustained.cpaasCalls / sustained.events).toFixed(2)}/event; records redelivered after a moto error: ${harness.retriedRecords}`,
      target: '',
    });
    return rows;
  } finally {
    awsCalls.stop();
    await harness.close();
    quiet.restore();
  }
}

/** The rows as a fixed-width text table. */
export function formatBenchTable(rows: readonly BenchRow[]): string[] {
  const status = (row: BenchRow) => (row.met === undefined ? '' : row.met ? 'met' : 'MISSED');
  const widths = [
    Math.max(6, ...rows.map((row) => row.figure.length)),
    Math.max(8, ...rows.map((row) => row.measured.length)),
    Math.max(6, ...rows.map((row) => row.target.length)),
  ];
  const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(widths[index] ?? 0)).join(' | ');
  return [
    line(['figure', 'measured', 'target', 'status']),
    `${widths.map((width) => '-'.repeat(width)).join('-|-')}-|-------`,
    ...rows.map((row) => line([row.figure, row.measured, row.target, status(row)])),
  ];
}
