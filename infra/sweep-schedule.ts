import { type Duration, Stack } from 'aws-cdk-lib';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type IScheduleTarget, Schedule, ScheduleExpression, TimeWindow } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';

export interface SweepScheduleProps {
  readonly fn: IFunction;
  readonly interval: Duration;
}

/**
 * An EventBridge Scheduler rate schedule that invokes `fn` every `interval`. Scheduler rather than
 * a scheduled EventBridge rule: AWS documents those rules as legacy and recommends Scheduler, and
 * its first 14 million invocations a month are free. Each tick is retried by the next one, so
 * neither Scheduler nor Lambda retries a tick, and a tick not delivered within one interval is
 * dropped: runs do not pile up or overlap after an outage. No dead-letter queue: a tick carries no
 * data (the work is in the state table), so a lost one loses nothing; the SweepNotRunning alarm
 * notices when ticks stop.
 */
export class SweepSchedule extends Construct {
  readonly schedule: Schedule;
  /** The role Scheduler assumes: it may invoke `fn` (unqualified) and nothing else. */
  readonly role: Role;

  constructor(scope: Construct, id: string, props: SweepScheduleProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.role = new Role(this, 'Role', {
      // Confused-deputy guard: only this account's schedules in the default group may assume it.
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({
              service: 'scheduler',
              resource: 'schedule-group',
              resourceName: 'default',
            }),
          },
        },
      }),
    });
    // Not `fn.grantInvoke`: that adds `<function>:*` (every version and alias), a wildcard this
    // schedule does not need since it invokes $LATEST.
    this.role.addToPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [props.fn.functionArn] }),
    );
    const target: IScheduleTarget = {
      bind: () => ({
        arn: props.fn.functionArn,
        role: this.role,
        retryPolicy: {
          maximumRetryAttempts: 0,
          maximumEventAgeInSeconds: props.interval.toSeconds(),
        },
      }),
    };
    this.schedule = new Schedule(this, 'Schedule', {
      description: 'Runs the cpaas-lifecycle sweep',
      schedule: ScheduleExpression.rate(props.interval),
      timeWindow: TimeWindow.off(),
      target,
    });
    // Lambda's own retries of an asynchronous invocation would overlap the next tick.
    props.fn.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: props.interval });
  }
}
