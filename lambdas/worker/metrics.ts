import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS, SERVICE_NAMES, TENANT_DIMENSION } from '../contract/settings.js';

/** What the worker measures; the Lambda publishes it as CloudWatch EMF. */
export interface WorkerMetrics {
  outcome(outcome: string): void;
  apiLatency(milliseconds: number): void;
  /** A message dead-lettered, for `tenant`: counted by failure kind and by tenant. */
  deadLetter(failureKind: string, tenant: string): void;
  /** A termination `tenant`'s deletion brake held: the stack alarms on any; counted in total and by tenant. */
  terminationHeld(tenant: string): void;
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

interface Count {
  readonly metric: string;
  /** The count's own dimension, if any; without one it is counted under `service` alone. */
  readonly dimension?: { readonly name: string; readonly value: string };
  /** Also counted per tenant, as a second dimension set of the same EMF line. */
  readonly tenant?: string;
  count: number;
}

/**
 * Powertools Metrics as EMF: `EventOutcome` with an `outcome` dimension (one alarm per outcome
 * without a metric per name), `ApiLatency` in milliseconds, `DeadLetterSends` by failure kind and
 * by tenant, `TerminationsHeld` in total and by tenant, `RevocationLatency` in milliseconds.
 *
 * Counts are summed per invocation and written in `publish`: one EMF line per distinct dimension
 * value of a batch (a batch of ten created users is one `EventOutcome` line of value 10), not one
 * per event. EMF lines are CloudWatch Logs bytes, the line item that grows with every event.
 *
 * The tenant is a dimension only of the two counts that say "this tenant needs an operator" (a
 * dead letter, a held termination), never of the per-event ones (outcome, latency): a custom
 * metric is billed for the hours it receives data, so a per-tenant series costs only in the hours
 * that tenant has a failure, and 100 healthy tenants add nothing. Each is one EMF line with two
 * dimension sets, so the existing alarms (by failure kind, by service) read the same series as
 * before and no line is added.
 */
export function powertoolsMetrics(): WorkerMetrics {
  const metrics = new Metrics({ namespace: METRICS.namespace, serviceName: SERVICE_NAMES.worker });
  // One single-metric instance for every count line: each `addMetric` writes its line and clears
  // the dimensions it was given, and a new instance per line (a Console each) was ~3% of the
  // worker's CPU per invocation at 0 ms API latency.
  const single = metrics.singleMetric();
  const counts = new Map<string, Count>();
  const counted = (metric: string, dimension?: Count['dimension'], tenant?: string) => {
    const key = [metric, dimension?.name, dimension?.value, tenant].join('\n');
    const entry = counts.get(key);
    if (entry === undefined) {
      counts.set(key, {
        metric,
        ...(dimension === undefined ? {} : { dimension }),
        ...(tenant === undefined ? {} : { tenant }),
        count: 1,
      });
    } else entry.count += 1;
  };
  return {
    outcome: (outcome) => counted(METRICS.eventOutcome, { name: 'outcome', value: outcome }),
    apiLatency: (milliseconds) =>
      metrics.addMetric(METRICS.apiLatency, MetricUnit.Milliseconds, milliseconds),
    deadLetter: (failureKind, tenant) =>
      counted(METRICS.deadLetterSends, { name: 'failureKind', value: failureKind }, tenant),
    terminationHeld: (tenant) => counted(METRICS.terminationsHeld, undefined, tenant),
    revocationLatency: (milliseconds) =>
      metrics.addMetric(METRICS.revocationLatency, MetricUnit.Milliseconds, milliseconds),
    publish: () => {
      for (const { metric, dimension, tenant, count } of counts.values()) {
        if (dimension !== undefined) single.addDimension(dimension.name, dimension.value);
        // An empty set is the `service` dimension alone, which `addDimension` would otherwise give.
        else if (tenant !== undefined) single.addDimensions({});
        if (tenant !== undefined) single.addDimensions({ [TENANT_DIMENSION]: tenant });
        single.addMetric(metric, MetricUnit.Count, count);
      }
      counts.clear();
      if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
    },
  };
}
