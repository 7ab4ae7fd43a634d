import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, SERVICE_NAMES } from '../contract/settings.js';

/** What the worker measures; the Lambda publishes it as CloudWatch EMF. */
export interface WorkerMetrics {
  outcome(outcome: string): void;
  apiLatency(milliseconds: number): void;
  deadLetter(failureKind: string): void;
  /** A termination the deletion brake held: the stack alarms on any. */
  terminationHeld(): void;
  /** Called once per invocation: EMF lines are written here. */
  publish(): void;
}

export const noMetrics: WorkerMetrics = {
  outcome() {},
  apiLatency() {},
  deadLetter() {},
  terminationHeld() {},
  publish() {},
};

/**
 * Powertools Metrics as EMF: `EventOutcome` with an `outcome` dimension (one alarm per outcome
 * without a metric per name), `ApiLatency` in milliseconds, `DeadLetterSends` by failure kind, `TerminationsHeld`.
 */
export function powertoolsMetrics(): WorkerMetrics {
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: SERVICE_NAMES.worker });
  const counted = (metric: string, dimension: string, value: string) => {
    const single = metrics.singleMetric();
    single.addDimension(dimension, value);
    single.addMetric(metric, MetricUnit.Count, 1);
  };
  return {
    outcome: (outcome) => counted(METRICS.eventOutcome, 'outcome', outcome),
    apiLatency: (milliseconds) =>
      metrics.addMetric(METRICS.apiLatency, MetricUnit.Milliseconds, milliseconds),
    deadLetter: (failureKind) => counted(METRICS.deadLetterSends, 'failureKind', failureKind),
    terminationHeld: () => metrics.addMetric(METRICS.terminationsHeld, MetricUnit.Count, 1),
    publish: () => {
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
