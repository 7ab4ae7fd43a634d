import type { Command, Option } from 'commander';
import type { LaneQueueUrls } from '../../lambdas/core/events/lane.js';
import { flagOrEnvOption, requiredString, SHARED_SETTINGS } from './options.js';

/** The flags of a command that puts events on the lifecycle queues. */
export interface LaneQueueFlags {
  queueUrl?: string;
  priorityQueueUrl?: string;
  bulkQueueUrl?: string;
}

/**
 * `--queue-url` and `--priority-queue-url`, under the variables the deployed functions read: a
 * command that sends events routes each to its lane's queue as ingest does, so it needs both.
 */
export function laneQueueOptions(purpose: string): Option[] {
  return [
    flagOrEnvOption(SHARED_SETTINGS.queueUrl, 'url', `standard lane's queue ${purpose}`),
    flagOrEnvOption(SHARED_SETTINGS.priorityQueueUrl, 'url', `priority lane's queue ${purpose}`),
  ];
}

/**
 * `--bulk-queue-url`, for a command that may send many events of one tenant at once (`reconcile
 * --apply`): past the tenant's burst allowance they go on the bulk lane, as from ingest, so the
 * run does not queue ahead of every other tenant's next hire. Optional: without it they all go on
 * the standard lane.
 */
export function bulkQueueOption(purpose: string): Option {
  return flagOrEnvOption(SHARED_SETTINGS.bulkQueueUrl, 'url', `bulk lane's queue ${purpose}`);
}

/**
 * Both lanes' queue URLs from the flags or the environment, or a usage error naming what is
 * missing; the bulk lane's too when given (only a command with `bulkQueueOption` routes to it).
 */
export function requiredLaneQueueUrls(command: Command, flags: LaneQueueFlags): LaneQueueUrls {
  const bulk = flags.bulkQueueUrl ?? process.env[SHARED_SETTINGS.bulkQueueUrl.env];
  return {
    standard: requiredString(command, flags.queueUrl, SHARED_SETTINGS.queueUrl),
    priority: requiredString(command, flags.priorityQueueUrl, SHARED_SETTINGS.priorityQueueUrl),
    ...(bulk ? { bulk } : {}),
  };
}
