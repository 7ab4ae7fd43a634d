import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, SERVICE_NAMES } from '../contract/settings.js';

/** What the worker measures; the Lambda publishes it as CloudWatch EMF. */
export interface WorkerMetrics {
  outcome(outcome: string): void;
  apiLatency(milliseconds: number): void;
  deadLetter(failureKind: string): void;
  /** A termination the deletion brake held: the stack alarms on any. */
  terminationHeld(): void;
  /** A termination revoked access this long after it was queued (ms): the dashboard's revoke latency. */
  revocationLatency(milliseconds: number): void;
  /** Called once per invocation: EMF lines are written here. */
  publish(): void;
}

export const noMetrics: WorkerMetrics = {
  outcome() {},
  apiLatency() {},
  deadLetter() {},
  terminationHeld() {},
  revocationLatency() {},
  publish() {},
};

/**
 * Powertools Metrics as EMF: `EventOutcome` with an `outcome` dimension (one alarm per outcome
 * without a metric per name), `ApiLatency` in milliseconds, `DeadLetterSends` by failure kind, `TerminationsHeld`,
 * `RevocationLatency` in milliseconds.
 *
 * Counts are summed per invocation and written in `publish`: one EMF line per distinct dimension
 * value of a batch (a batch of ten created users is one `EventOutcome` line of value 10), not one
 * per event. EMF lines are CloudWatch Logs bytes, the line item that grows with every event.
 */
export function powertoolsMetrics(): WorkerMetrics {
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: SERVICE_NAMES.worker });
  const counts = new Map<string, { metric: string; dimension: string; value: string; count: number }>();
  const counted = (metric: string, dimension: string, value: string) => {
    const key = `${metric}\n${dimension}\n${value}`;
    const entry = counts.get(key);
    if (entry === undefined) counts.set(key, { metric, dimension, value, count: 1 });
    else entry.count += 1;
  };
  return {
    outcome: (outcome) => counted(METRICS.eventOutcome, 'outcome', outcome),
    apiLatency: (milliseconds) =>
      metrics.addMetric(METRICS.apiLatency, MetricUnit.Milliseconds, milliseconds),
    deadLetter: (failureKind) => counted(METRICS.deadLetterSends, 'failureKind', failureKind),
    terminationHeld: () => metrics.addMetric(METRICS.terminationsHeld, MetricUnit.Count, 1),
    revocationLatency: (milliseconds) =>
      metrics.addMetric(METRICS.revocationLatency, MetricUnit.Milliseconds, milliseconds),
    publish: () => {
      for (const { metric, dimension, value, count } of counts.values()) {
        const single = metrics.singleMetric();
        single.addDimension(dimension, value);
        single.addMetric(metric, MetricUnit.Count, count);
      }
      counts.clear();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
