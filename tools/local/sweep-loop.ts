import type { Logger } from '../../lambdas/core/telemetry/logger.js';
import type { SweepReport } from '../../lambdas/sweep/sweep.js';

export interface SweepLoopOptions {
  readonly intervalMs: number;
  readonly run: () => Promise<SweepReport>;
  readonly log: (line: string) => void;
}

export interface RunningSweepLoop {
  /** Runs a sweep now (after any run in flight): what a test does instead of waiting a minute. */
  runNow(): Promise<SweepReport | undefined>;
  /** Stops the timer and waits for a run in flight. */
  stop(): Promise<void>;
}

/**
 * The local stand-in for the stack's every-minute EventBridge schedule: runs the same sweep,
 * never two at once, and keeps going after a failed run (the next one retries what stayed due).
 */
export function startSweepLoop(options: SweepLoopOptions): RunningSweepLoop {
  let running: Promise<SweepReport | undefined> = Promise.resolve(undefined);
  let inFlight = 0;
  let stopped = false;
  const once = () => {
    inFlight += 1;
    running = running
      .then(() => options.run())
      .catch((error: Error) => {
        options.log(`sweep failed (${error.name}): ${error.message}`);
        return undefined;
      })
      .finally(() => {
        inFlight -= 1;
      });
    return running;
  };
  // A tick that finds a run still going is skipped, as a slow sweep must not build a backlog.
  const timer = setInterval(() => {
    if (!stopped && inFlight === 0) void once();
  }, options.intervalMs);
  timer.unref();
  return {
    runNow: once,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}

/** The sweep's structured log lines as human-readable local-mode lines (ids only, never PII). */
export function sweepLogLines(log: (line: string) => void): Logger {
  const line = (message: string, attributes: Record<string, unknown>) => {
    const ids = ['employeeKey', 'eventId', 'cpaasUserId', 'dueAt', 'errorMessage']
      .filter((key) => attributes[key] !== undefined)
      .map((key) => `${key}=${String(attributes[key])}`)
      .join(' ');
    log(`${message}${ids ? ` (${ids})` : ''}`);
  };
  return { info: line, warn: line, error: line, debug() {} };
}
