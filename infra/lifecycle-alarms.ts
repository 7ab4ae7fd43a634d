import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRICS, SERVICE_NAMES } from '../lambdas/contract/settings.js';

/** The priority lane (terminations): its queue, DLQ and worker function, alarmed on their own. */
export interface PriorityLaneAlarmsProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  readonly worker: IFunction;
  /** Far below the standard lane's: the lane exists so a revocation never waits. */
  readonly oldestMessageAgeAlarmSeconds: number;
}

export interface LifecycleAlarmsProps {
  readonly queue: IQueue;
  readonly deadLetterQueue: IQueue;
  /** The bulk lane (a tenant's burst), drained by `worker` too; alarmed like the standard lane. */
  readonly bulk: { readonly queue: IQueue; readonly deadLetterQueue: IQueue };
  readonly worker: IFunction;
  readonly priority: PriorityLaneAlarmsProps;
  readonly ingest: IFunction;
  /** The SCIM service provider: an identity provider's changes wait while it answers 5xx. */
  readonly scim: IFunction;
  /** Scheduled every minute, so a period without any invocation means it stopped. */
  readonly sweep: IFunction;
  readonly oldestMessageAgeAlarmSeconds: number;
  readonly alarmEmail?: string;
}

/** SQS publishes its metrics every five minutes; a shorter period only adds missing data points. */
const PERIOD = Duration.minutes(5);
/** Periods without a sweep invocation before it counts as stopped: Lambda's metrics can arrive late. */
const SWEEP_SILENT_PERIODS = 3;
/** Powertools Metrics puts the service name into every metric as the default dimension `service`. */
const SERVICE_DIMENSION = 'service';

/**
 * The signals that mean a person's VoIP account is not in step with HR: something was
 * dead-lettered, the worker is failing, the queue is not draining, the deletion brake is holding
 * terminations, the SCIM endpoint fails, or the sweep (future-dated events, grace-period deletions) fails or stopped. Each alarm notifies the topic
 * when it fires and when it clears, so whoever is paged also learns that it recovered.
 */
export class LifecycleAlarms extends Construct {
  readonly topic: Topic;
  readonly alarms: readonly Alarm[];

  constructor(scope: Construct, id: string, props: LifecycleAlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', { displayName: 'cpaas-lifecycle alarms', enforceSSL: true });
    if (props.alarmEmail !== undefined) {
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
    }

    const above = (name: string, description: string, metric: IMetric, threshold: number): Alarm =>
      new Alarm(this, name, {
        alarmDescription: description,
        metric,
        threshold,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // No data means an idle pipeline, not a broken one.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });

    this.alarms = [
      above(
        'DeadLetters',
        'Lifecycle events were dead-lettered: inspect them with `cpaas-lifecycle dlq` and redrive or discard.',
        props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
        }),
        0,
      ),
      above(
        'WorkerErrors',
        'The worker Lambda failed invocations (crash, timeout or a whole failed batch): see its log group.',
        props.worker.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        0,
      ),
      above(
        'OldestMessageAge',
        `The oldest lifecycle event has waited more than ${props.oldestMessageAgeAlarmSeconds} s: the worker ` +
          'is not draining the queue (throttled, disabled or failing).',
        props.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
        props.oldestMessageAgeAlarmSeconds,
      ),
      above(
        'BulkOldestMessageAge',
        `An event on the bulk lane (a tenant's burst) has waited more than ${props.oldestMessageAgeAlarmSeconds} s: ` +
          'the worker is not draining it (throttled, disabled or failing).',
        props.bulk.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
        props.oldestMessageAgeAlarmSeconds,
      ),
      above(
        'BulkDeadLetters',
        "Events of a tenant's burst were dead-lettered: inspect them with " +
          '`cpaas-lifecycle dlq list --queue-url <BulkDeadLetterQueueUrl>` and redrive or discard.',
        props.bulk.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
        }),
        0,
      ),
      above(
        'PriorityDeadLetters',
        'Terminations were dead-lettered: a leaver may still have VoIP access. Inspect them with ' +
          '`cpaas-lifecycle dlq list --queue-url <PriorityDeadLetterQueueUrl>` and redrive once fixed.',
        props.priority.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: 'Maximum',
        }),
        0,
      ),
      above(
        'PriorityWorkerErrors',
        "The priority lane's worker Lambda failed invocations: terminations are not being applied. See its log group.",
        props.priority.worker.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        0,
      ),
      above(
        'PriorityOldestMessageAge',
        `A termination has waited more than ${props.priority.oldestMessageAgeAlarmSeconds} s on the priority lane: ` +
          'revocations are not being applied (worker throttled, disabled or failing).',
        props.priority.queue.metricApproximateAgeOfOldestMessage({ period: PERIOD, statistic: 'Maximum' }),
        props.priority.oldestMessageAgeAlarmSeconds,
      ),
      above(
        'IngestServerErrors',
        'The webhook endpoint answered 5xx (queue or secrets unavailable): HRIS deliveries are being retried or lost.',
        props.ingest.metric('Url5xxCount', { period: PERIOD, statistic: 'Sum' }),
        0,
      ),
      above(
        'ScimServerErrors',
        'The SCIM endpoint answered 5xx (state table, queue or tokens secret unavailable, or the function ' +
          'failed): the identity provider retries on its next cycle, so its changes are late. See the SCIM log group.',
        props.scim.metric('Url5xxCount', { period: PERIOD, statistic: 'Sum' }),
        0,
      ),
      above(
        'TerminationsHeld',
        'The deletion brake held terminations (more than its threshold in its window): nothing was deleted or ' +
          'disabled for them. Run `cpaas-lifecycle holds list`, then `holds release` what is genuine or ' +
          '`holds discard` what is not.',
        new Metric({
          namespace: METRICS.namespace,
          metricName: METRICS.terminationsHeld,
          dimensionsMap: { [SERVICE_DIMENSION]: SERVICE_NAMES.worker },
          period: PERIOD,
          statistic: 'Sum',
        }),
        0,
      ),
      above(
        'SweepErrors',
        'A sweep run failed: some future-dated events or grace-period deletions stay due and are retried ' +
          'every minute. See the sweep log group for the failing items.',
        props.sweep.metricErrors({ period: PERIOD, statistic: 'Sum' }),
        0,
      ),
      new Alarm(this, 'SweepNotRunning', {
        alarmDescription:
          `The sweep was not invoked for ${SWEEP_SILENT_PERIODS * PERIOD.toMinutes()} minutes (rule disabled or ` +
          'invocations failing): future-dated events and grace-period deletions are not applied.',
        metric: props.sweep.metricInvocations({ period: PERIOD, statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: SWEEP_SILENT_PERIODS,
        // Here no data is the failure: a scheduled function is invoked even when there is nothing to do.
        treatMissingData: TreatMissingData.BREACHING,
      }),
    ];
    const action = new SnsAction(this.topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
