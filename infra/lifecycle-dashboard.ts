import { Duration } from 'aws-cdk-lib';
import {
  type Alarm,
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IMetric,
  LogQueryVisualizationType,
  LogQueryWidget,
  MathExpression,
  Metric,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS, SERVICE_NAMES, TENANT_DIMENSION } from '../lambdas/contract/settings.js';
import type { LifecycleAlarmsProps } from './lifecycle-alarms.js';

export interface LifecycleDashboardProps extends Omit<LifecycleAlarmsProps, 'alarmEmail'> {
  readonly alarms: readonly Alarm[];
  /** Both lanes' workers' log groups: their outcome lines name each failed event's tenant. */
  readonly workerLogGroups: readonly ILogGroup[];
}

const PERIOD = Duration.minutes(5);
const WIDE = 24;
const HALF = 12;
const HEIGHT = 6;
/** Tenants per top-tenants widget: the ones an operator looks at first. */
const TOP_TENANTS = 10;

/** A metric the worker emits through Powertools (EMF), where `service` is always a dimension. */
function workerMetric(metricName: string, statistic: string, label: string): Metric {
  return new Metric({
    namespace: METRICS.namespace,
    metricName,
    dimensionsMap: { service: SERVICE_NAMES.worker },
    period: PERIOD,
    statistic,
    label,
  });
}

/**
 * Every series of a metric whatever its other dimensions (one per outcome, per failure kind): a
 * SEARCH expression, so a new outcome shows up without a change to the dashboard.
 */
function searchByDimension(metricName: string, dimension: string, statistic: string): MathExpression {
  return new MathExpression({
    expression: `SEARCH('{${METRICS.namespace},${dimension},service} MetricName="${metricName}"', '${statistic}', ${PERIOD.toSeconds()})`,
    usingMetrics: {},
    label: '',
    period: PERIOD,
  });
}

/**
 * A count's tenants with the most in each period, from its per-tenant dimension set (`service`,
 * `tenant`): a Metrics Insights query, so a new tenant shows up without a change here, and the
 * series exist only in the hours a tenant had a failure (the worker adds the dimension to no
 * per-event metric).
 */
export function topTenantsQuery(metricName: string, limit = TOP_TENANTS): string {
  return (
    `SELECT SUM(${metricName}) FROM SCHEMA(${METRICS.namespace}, service, ${TENANT_DIMENSION}) ` +
    `GROUP BY ${TENANT_DIMENSION} ORDER BY SUM() DESC LIMIT ${limit}`
  );
}

/**
 * The worker's failed outcome lines (`event dead-lettered`, `event failed, will be retried`), which
 * carry the tenant, counted by tenant: retries as well as dead letters, which no per-tenant metric
 * counts. A Logs Insights widget is billed only for the bytes it scans when the dashboard is open.
 */
export const FAILURES_BY_TENANT_QUERY = [
  `fields @timestamp, ${TENANT_DIMENSION}, outcome, errorClass`,
  `filter outcome in ["dead-lettered", "retrying"]`,
  `stats count(*) as failures by ${TENANT_DIMENSION}, outcome`,
  'sort failures desc',
  `limit ${TOP_TENANTS}`,
].join('\n| ');

const topTenants = (metricName: string) =>
  new MathExpression({
    expression: topTenantsQuery(metricName),
    usingMetrics: {},
    label: '',
    period: PERIOD,
  });

const graph = (title: string, left: IMetric[], width = HALF, leftLabel?: string) =>
  new GraphWidget({
    title,
    left,
    width,
    height: HEIGHT,
    ...(leftLabel === undefined ? {} : { leftYAxis: { label: leftLabel, showUnits: false } }),
  });

/**
 * The page an operator opens first: are the alarms clear, are events applied, is anything
 * dead-lettered or waiting, how fast do leavers lose access, is the deletion brake holding, and
 * which tenants fail. Ordered from "is something wrong" to "where".
 */
export class LifecycleDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: LifecycleDashboardProps) {
    super(scope, id);
    const lanes = [
      { label: 'standard', queue: props.queue, deadLetterQueue: props.deadLetterQueue, worker: props.worker },
      { label: 'priority (terminations)', ...props.priority },
      { label: "bulk (a tenant's burst)", ...props.bulk },
    ];
    const functions = [
      { label: 'ingest', fn: props.ingest },
      { label: 'scim', fn: props.scim },
      { label: 'worker', fn: props.worker },
      { label: 'priority worker', fn: props.priority.worker },
      { label: 'sweep', fn: props.sweep },
    ];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          new AlarmStatusWidget({
            title: 'Alarms (each says what to do in its description)',
            alarms: [...props.alarms],
            width: WIDE,
            height: 3,
          }),
        ],
        [
          graph('Events by outcome (worker)', [searchByDimension(METRICS.eventOutcome, 'outcome', 'Sum')]),
          graph(
            'Revoke latency: termination queued -> access removed',
            [
              workerMetric(METRICS.revocationLatency, 'p50', 'p50'),
              workerMetric(METRICS.revocationLatency, 'p99', 'p99'),
              workerMetric(METRICS.revocationLatency, 'Maximum', 'max'),
            ],
            HALF,
            'ms',
          ),
        ],
        [
          graph(
            'Dead-letter queue depth (`cpaas-lifecycle dlq list`)',
            lanes.map((lane) =>
              lane.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
                period: PERIOD,
                statistic: 'Maximum',
                label: lane.label,
              }),
            ),
          ),
          graph(
            'Oldest queued event age',
            lanes.map((lane) =>
              lane.queue.metricApproximateAgeOfOldestMessage({
                period: PERIOD,
                statistic: 'Maximum',
                label: lane.label,
              }),
            ),
            HALF,
            's',
          ),
        ],
        [
          graph('Deletion brake: terminations held (`cpaas-lifecycle holds list`)', [
            workerMetric(METRICS.terminationsHeld, 'Sum', 'held'),
          ]),
          graph('Dead-lettered by failure kind', [
            searchByDimension(METRICS.deadLetterSends, 'failureKind', 'Sum'),
          ]),
        ],
        [
          graph('Top tenants by dead letters (`cpaas-lifecycle dlq list --tenant`)', [
            topTenants(METRICS.deadLetterSends),
          ]),
          graph('Top tenants by terminations held (`cpaas-lifecycle holds list --tenant`)', [
            topTenants(METRICS.terminationsHeld),
          ]),
        ],
        [
          new LogQueryWidget({
            title: 'Failures by tenant: dead-lettered and retrying (worker logs)',
            logGroupNames: props.workerLogGroups.map((group) => group.logGroupName),
            queryString: FAILURES_BY_TENANT_QUERY,
            view: LogQueryVisualizationType.TABLE,
            width: WIDE,
            height: HEIGHT,
          }),
        ],
        [
          graph(
            'Function errors',
            functions.map(({ label, fn }) => fn.metricErrors({ period: PERIOD, statistic: 'Sum', label })),
          ),
          graph(
            'Function throttles',
            functions.map(({ label, fn }) => fn.metricThrottles({ period: PERIOD, statistic: 'Sum', label })),
          ),
        ],
        [
          new TextWidget({
            markdown:
              'Runbook: `docs/operations-cli.md` (dlq, holds, plan, reconcile) and `docs/reliability.md`. ' +
              'A dead-lettered termination means a leaver may still have access: redrive it first.',
            width: WIDE,
            height: 2,
          }),
        ],
      ],
    });
  }
}
