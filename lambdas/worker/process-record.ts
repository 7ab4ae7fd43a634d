import type { SQSRecord } from 'aws-lambda';
import { MESSAGE_ATTRIBUTES } from '../contract/settings.js';
import { TENANT_ID_PATTERN } from '../contract/tenants.js';
import { type ConvergePorts, converge } from '../core/converge/converge.js';
import {
  isDetailsPending,
  type QueuedEvent,
  validateQueuedEvent,
} from '../core/events/details-pending-event.js';
import {
  employeeKey,
  LIFECYCLE_DATA_SCHEMA,
  type LifecycleEvent,
  parseLifecycleEvent,
  tenantOf,
} from '../core/events/lifecycle-event.js';
import type { EmployeeDetailsFetchers } from '../core/hris/employee-details.js';
import type { ProvisioningReport, ProvisioningStatusRecorder } from '../core/state/provisioning-status.js';
import type { Logger } from '../core/telemetry/logger.js';
import type { TenantLookup, TenantPorts } from '../core/tenants/tenant-ports.js';
import type { DeadLetterSink } from './dead-letter.js';
import { withEmployeeDetails } from './employee-details.js';
import { UnsupportedEventVersionError } from './errors.js';
import { classifyFailure } from './failure.js';
import type { WorkerMetrics } from './metrics.js';
import { provisioningReportFor } from './provisioning-report.js';

export interface RecordProcessorDependencies {
  /** What every tenant shares: the state table, the clock, the dry-run switch, the deadline. */
  readonly ports: Omit<ConvergePorts, keyof TenantPorts>;
  /** Each event's own tenant's CPaaS access, deprovisioning settings and brake. */
  readonly tenants: TenantLookup<TenantPorts>;
  readonly deadLetters: DeadLetterSink;
  /** Told what became of each event, for the producers that show it (SCIM); ignores the rest. */
  readonly provisioning: ProvisioningStatusRecorder;
  /** The queue's redrive maxReceiveCount: the attempt at which the worker dead-letters itself. */
  readonly maxReceiveCount: number;
  readonly logger: Logger;
  readonly metrics: WorkerMetrics;
  /** The HR APIs that details-pending events are completed from (none: such an event is retried, then dead-lettered). */
  readonly details?: EmployeeDetailsFetchers;
  /** Epoch ms the invocation's work must end by: how long an HR API fetch may retry. */
  readonly deadline: number;
}

/**
 * Best effort: the id, employee and tenant of a message that may not be a valid event, for logs,
 * the DLQ and the metrics. The tenant is a metric dimension, so one that is not a tenant id
 * (a malformed body) is `unknown` rather than a new metric per stray value.
 */
function identify(body: string): { eventId?: string; employeeKey?: string; tenant: string } {
  try {
    const value = JSON.parse(body) as Record<string, unknown>;
    const eventId = typeof value.id === 'string' ? value.id : undefined;
    const subject = typeof value.subject === 'string' ? value.subject : undefined;
    const tenant = typeof value.tenant === 'string' ? value.tenant : undefined;
    return {
      ...(eventId === undefined ? {} : { eventId }),
      ...(subject === undefined ? {} : { employeeKey: employeeKey({ subject, tenant }) }),
      tenant: tenant === undefined || TENANT_ID_PATTERN.test(tenant) ? tenantOf({ tenant }) : 'unknown',
    };
  } catch {
    return { tenant: 'unknown' };
  }
}

/** A termination that took the VoIP user's access away now (not one held, scheduled or already applied). */
function revokedAccess(event: LifecycleEvent, outcome: string): boolean {
  return event.type === 'employee.terminated' && (outcome === 'deleted' || outcome === 'disabled');
}

/** Parses a message, telling an event of an unknown version apart from a malformed one. */
export function readEvent(body: string): QueuedEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return parseLifecycleEvent(body); // throws the error that names the malformed JSON
  }
  const dataschema = (value as { dataschema?: unknown } | null)?.dataschema;
  if (typeof dataschema === 'string' && dataschema !== LIFECYCLE_DATA_SCHEMA) {
    throw new UnsupportedEventVersionError(
      `unsupported event dataschema ${JSON.stringify(dataschema.slice(0, 100))}; this worker reads ${LIFECYCLE_DATA_SCHEMA}`,
    );
  }
  return validateQueuedEvent(value);
}

/** The message's event, or undefined when it is not a valid one (nothing to report it for). */
function eventOrUndefined(body: string): LifecycleEvent | undefined {
  try {
    const event = readEvent(body);
    return isDetailsPending(event) ? undefined : event;
  } catch {
    return undefined;
  }
}

/**
 * Converges one message and decides what becomes of it: applied -> acknowledged; permanent
 * failure -> dead-lettered with its reason and acknowledged, so the employee's later events go
 * on; transient failure -> thrown so SQS redelivers, except on the last allowed attempt, when it
 * is dead-lettered too, so every DLQ message says why it is there. Logs one line per outcome,
 * and reports the outcome (applied, failed with the reason) to `provisioning`.
 */
export function createRecordProcessor(
  deps: RecordProcessorDependencies,
): (record: SQSRecord) => Promise<void> {
  const { logger, metrics } = deps;

  /**
   * Best effort: the report only informs (the SCIM GET), so its failure must neither redeliver an
   * applied event nor dead-letter one; it is logged, and a redelivery or the next change reports.
   */
  async function report(event: LifecycleEvent | undefined, outcome: ProvisioningReport | undefined) {
    if (event === undefined || outcome === undefined || deps.ports.dryRun) return;
    try {
      await deps.provisioning.record(event, outcome, deps.ports.clock());
    } catch (error) {
      logger.warn('provisioning status not recorded', {
        eventId: event.id,
        status: outcome.status,
        errorClass: (error as Error).name,
      });
    }
  }

  return async (record) => {
    const started = performance.now();
    const attempts = Number(record.attributes.ApproximateReceiveCount) || 1;
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const queued = readEvent(record.body);
      // An unknown tenant rejects here (permanent): dead-lettered with the reason, nothing else
      // waits, and no HR API is asked about a person of a tenant that is not served.
      const ports: ConvergePorts = { ...deps.ports, ...(await deps.tenants(tenantOf(queued))) };
      // A key not cached (a cold worker, a tenant's first event, an expired cache) loads beside
      // the HR fetch and the state round trips, not after them: a revocation's GET waits less.
      ports.api.preload?.();
      const event = await withEmployeeDetails(queued, deps.details ?? {}, deps.deadline);
      const releasedHold =
        record.messageAttributes?.[MESSAGE_ATTRIBUTES.releasedHold]?.stringValue === 'true';
      const result = await converge(event, ports, { releasedHold });
      metrics.outcome(result.outcome);
      if (result.outcome === 'held' && !deps.ports.dryRun) metrics.terminationHeld(tenantOf(event));
      if (revokedAccess(event, result.outcome) && !deps.ports.dryRun) {
        // SQS stamps SentTimestamp with wall-clock time, so it is measured against the wall clock.
        metrics.revocationLatency(Date.now() - Number(record.attributes.SentTimestamp));
      }
      logger.info('event converged', {
        eventId: event.id,
        eventType: event.type,
        employeeKey: employeeKey(event),
        outcome: result.outcome,
        durationMs: elapsed(),
        apiCalls: result.apiCalls,
        dryRun: deps.ports.dryRun,
        ...(releasedHold ? { releasedHold } : {}),
        ...(result.cpaasUserId === undefined ? {} : { cpaasUserId: result.cpaasUserId }),
        ...(deps.ports.dryRun ? { plan: result.plan } : {}),
      });
      await report(event, provisioningReportFor(result.outcome));
    } catch (error) {
      const failure = classifyFailure(error);
      // Parsed again only here: on the path every applied event takes, one JSON.parse is enough.
      const identity = identify(record.body);
      const lastAttempt = attempts >= deps.maxReceiveCount;
      const common = {
        ...identity,
        errorClass: failure.errorClass,
        errorMessage: failure.message,
        attempts,
        durationMs: elapsed(),
        dryRun: deps.ports.dryRun,
      };
      if (failure.kind === 'transient' && !lastAttempt) {
        metrics.outcome('retrying');
        logger.warn('event failed, will be retried', { ...common, outcome: 'retrying' });
        throw error;
      }
      const failureKind = failure.kind === 'permanent' ? 'permanent' : 'exhausted';
      if (!deps.ports.dryRun) {
        await deps.deadLetters.send(record, {
          failureKind,
          errorClass: failure.errorClass,
          errorMessage: failure.message,
          ...(identity.eventId === undefined ? {} : { eventId: identity.eventId }),
          attempts,
          failedAt: deps.ports.clock(),
        });
        metrics.deadLetter(failureKind, identity.tenant);
      }
      metrics.outcome('dead-lettered');
      logger.error('event dead-lettered', { ...common, outcome: 'dead-lettered', failureKind });
      await report(eventOrUndefined(record.body), {
        status: 'failed',
        reason: `${failure.errorClass}: ${failure.message}`,
      });
    }
  };
}
