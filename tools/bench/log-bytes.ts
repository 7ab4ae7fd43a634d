import { createLifecycleEvent, type LifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { createIngestHandler, ingestDependenciesFromEnv } from '../../lambdas/ingest/handler.js';
import { createWorkerHandler, workerDependenciesFromEnv } from '../../lambdas/worker/handler.js';
import { postSignedWebhook } from '../cli/send-command.js';
import { startIngestServer } from '../local/http-server.js';
import { hires, type WorkerHarness } from './worker-harness.js';

export interface LogBytesFigures {
  readonly events: number;
  /** What the ingest logs per event, one webhook per event (its worst case: one line per request). */
  readonly ingestBytesPerEvent: number;
  /** Powertools Logger lines (the one line per event, warnings and errors). */
  readonly logLineBytes: number;
  /** EMF lines: metrics are CloudWatch Logs bytes too. */
  readonly metricBytes: number;
  /** The worker's lines and EMF per event. */
  readonly bytesPerEvent: number;
}

/** Counts what is written to stdout while `run` runs, EMF apart from log lines; nothing reaches the terminal. */
async function stdoutBytes(run: () => Promise<void>): Promise<{ logLineBytes: number; metricBytes: number }> {
  let logLineBytes = 0;
  let metricBytes = 0;
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const bytes = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    if (String(chunk).includes('"_aws"')) metricBytes += bytes;
    else logLineBytes += bytes;
    const done = rest.find((arg) => typeof arg === 'function') as (() => void) | undefined;
    done?.();
    return true;
  }) as typeof process.stdout.write;
  try {
    await run();
  } finally {
    process.stdout.write = write;
  }
  return { logLineBytes, metricBytes };
}

const BATCH = 10;
const INGEST_POSTS = 20;

/**
 * What a worker logs per event as deployed: Lambda's JSON log format at application level INFO
 * (the stack's setting, which Lambda passes as `AWS_LAMBDA_LOG_LEVEL`), metrics on, everything
 * written to stdout counted. Platform lines are not counted: at system level WARN Lambda writes
 * none for a healthy invocation. Hires, then the same employees' terminations, in batches of 10.
 */
export async function measureLogBytes(harness: WorkerHarness, events: number): Promise<LogBytesFigures> {
  const saved = { ...process.env };
  process.env.AWS_LAMBDA_LOG_LEVEL = 'INFO';
  delete process.env.POWERTOOLS_LOG_LEVEL;
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  try {
    const worker = createWorkerHandler(workerDependenciesFromEnv({ ...harness.env }, harness.aws));
    const ingest = await startIngestServer({
      port: 0,
      host: '127.0.0.1',
      handler: createIngestHandler(ingestDependenciesFromEnv({ ...harness.env }, harness.aws)),
    });
    const hired = hires(events / 2);
    const leavers = hired.map((hire) =>
      createLifecycleEvent({
        type: 'employee.terminated',
        data: { employeeId: hire.data.employeeId },
        source: 'bench',
      }),
    );
    const posted = hired.slice(0, INGEST_POSTS);
    const ingestBytes = await stdoutBytes(async () => {
      for (const event of posted) {
        const response = await postSignedWebhook({
          url: `${ingest.url}/webhooks/standard`,
          secret: harness.webhookSecret,
          body: JSON.stringify(event),
        });
        if (response.status !== 202) throw new Error(`ingest answered ${response.status}`);
      }
    });
    await ingest.close();
    await harness.emptyQueue();
    const inBatches = async (batch: readonly LifecycleEvent[]) => {
      for (let done = 0; done < batch.length; done += BATCH) {
        await harness.invoke(batch.slice(done, done + BATCH), worker);
      }
    };
    const { logLineBytes, metricBytes } = await stdoutBytes(async () => {
      await inBatches(hired);
      await inBatches(leavers);
    });
    return {
      events,
      ingestBytesPerEvent: (ingestBytes.logLineBytes + ingestBytes.metricBytes) / posted.length,
      logLineBytes,
      metricBytes,
      bytesPerEvent: (logLineBytes + metricBytes) / events,
    };
  } finally {
    for (const name of ['AWS_LAMBDA_LOG_LEVEL', 'POWERTOOLS_LOG_LEVEL', 'POWERTOOLS_METRICS_DISABLED']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
}
