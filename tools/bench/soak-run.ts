import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import type { User } from '../../lambdas/core/cpaas/schemas.js';
import { toQueueMessage } from '../../lambdas/core/events/lifecycle-event.js';
import {
  createWorkerHandler,
  type WorkerHandler,
  workerDependenciesFromEnv,
} from '../../lambdas/worker/handler.js';
import { postSignedWebhook } from '../cli/send-command.js';
import { type LocalModeReady, startLocalMode } from '../local/local-mode.js';
import type { ResourceNames } from '../local/provision.js';
import { listDeadLetters } from '../operations/dead-letter-queue.js';
import { type FaultSpec, startSandbox } from '../sandbox/index.js';
import { BRAKE_OFF_ENV } from './brake-off.js';
import { queuedCount } from './queued-count.js';
import { silencePowertools } from './quiet-powertools.js';
import { buildSoakScenario, type SoakScenario, type SoakScenarioOptions } from './soak-scenario.js';

export interface SoakOptions extends Omit<SoakScenarioOptions, 'takenEmails'> {
  /** Faults on every CPaaS route. */
  readonly faults: FaultSpec;
  readonly awsEndpoint?: string;
  readonly resourceNames?: Partial<ResourceNames>;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface SoakReport {
  readonly scenario: SoakScenario;
  readonly durationMs: number;
  readonly deliveries: number;
  readonly requests: number;
  readonly faultRate: number;
  readonly expectedUsers: number;
  readonly managedUsers: number;
  /** Expected users missing or different (by employee extension), plus users nobody expects. */
  readonly rosterMismatches: readonly string[];
  readonly duplicateUsers: number;
  readonly lostEvents: readonly string[];
  readonly deadLettered: readonly { eventId: string; failureKind: string; errorClass: string }[];
  /**
   * Poison changes not dead-lettered because a later event of the same employee overtook them on
   * another lane (a termination on the priority lane, or a change on the standard lane while the
   * poison waited on the bulk lane): applied first, it made the change stale (acknowledged, not
   * applied). Or because the change overtook its employee's rehire and found the user deleted.
   */
  readonly poisonOvertaken: readonly string[];
  /**
   * True when the DLQ holds only poison events, each with a permanent reason, and every poison
   * event is there or was overtaken by a later event of its employee.
   */
  readonly deadLettersArePoison: boolean;
  readonly passed: boolean;
}

const TAKEN_DOMAIN = 'taken.example.com';
const TAKEN_USERS = 20;
const LOCAL_VISIBILITY_SECONDS = 1;
/** High, so a transient fault never exhausts an event: only the poison set may reach the DLQ. */
const SOAK_MAX_RECEIVE_COUNT = 25;
const POLL_MS = 250;

/**
 * Drives a seeded HR history through the whole local pipeline (signed webhooks -> ingest -> SQS
 * FIFO on moto -> emulated event source -> worker -> CPaaS sandbox with seeded faults) and checks
 * the outcome against an independent model: the roster, duplicates, lost events and the DLQ.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const sandbox = await startSandbox({ seed: options.seed });
  sandbox.control.seedUsers(TAKEN_USERS, { emailDomain: TAKEN_DOMAIN });
  const takenEmails = sandbox.control
    .users()
    .flatMap((user) => (user.email === undefined ? [] : [user.email]));
  const scenario = buildSoakScenario({ ...options, takenEmails });
  const completed = new Map<string, number>();
  let worker: WorkerHandler | undefined;
  // Built on first use: the local mode puts the provisioned environment in place before polling.
  const countingWorker: WorkerHandler = async (event: SQSEvent, context) => {
    worker ??= createWorkerHandler(workerDependenciesFromEnv({ ...process.env, ...BRAKE_OFF_ENV }));
    const response = await worker(event, context);
    const failed = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    for (const record of event.Records) {
      if (failed.has(record.messageId)) continue;
      const id = (JSON.parse(record.body) as { id: string }).id;
      completed.set(id, (completed.get(id) ?? 0) + 1);
    }
    return response;
  };

  const quiet = silencePowertools();
  const local = await startLocalMode({
    port: 0,
    log: () => {},
    cpaas: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, accountId: sandbox.accountId },
    visibilityTimeoutSeconds: LOCAL_VISIBILITY_SECONDS,
    maxReceiveCount: SOAK_MAX_RECEIVE_COUNT,
    workerHandler: countingWorker,
    ...(options.awsEndpoint === undefined ? {} : { awsEndpoint: options.awsEndpoint }),
    ...(options.resourceNames === undefined ? {} : { resourceNames: options.resourceNames }),
  });
  const sqs = new SQSClient({
    endpoint: local.ready.awsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const started = Date.now();
  try {
    sandbox.control.setFaults('*', options.faults);
    sandbox.control.resetRequestCounts();
    await deliver(scenario, local.ready, sqs, options.log);
    const deliveries = scenario.events.length + scenario.duplicated.size;
    const lanes = [local.ready.queueUrl, local.ready.priorityQueueUrl, local.ready.bulkQueueUrl];
    // Every event by id, not only the count: a message re-received after its visibility timeout
    // (a termination waiting out Retry-After on one priority poller while another takes it again)
    // completes twice, and a count alone would then stop before the last event was applied.
    const allHandled = () =>
      scenario.events.every((event) => completed.has(event.id)) && sum(completed.values()) >= deliveries;
    await drained(sqs, lanes, allHandled, options);
    const durationMs = Date.now() - started;
    sandbox.control.clearFaults();
    const requests = sum(Object.values(sandbox.control.requestCounts()));
    const dlqs = [local.ready.dlqUrl, local.ready.priorityDlqUrl, local.ready.bulkDlqUrl];
    const listed = await Promise.all(
      dlqs.map((deadLetterQueueUrl) => listDeadLetters({ sqs, deadLetterQueueUrl })),
    );
    const deadLettered = listed
      .flatMap(({ messages }) => messages)
      .map((message) => ({
        eventId: message.eventId ?? message.messageId,
        failureKind: message.reason.failureKind,
        errorClass: message.reason.errorClass ?? '',
      }));
    return judge(scenario, sandbox.control.users(), takenEmails, completed, deadLettered, {
      durationMs,
      deliveries,
      requests,
      faultRate: requestFaultRate(options.faults),
    });
  } finally {
    sqs.destroy();
    await local.stop();
    await sandbox.close();
    quiet.restore();
  }
}

async function deliver(
  scenario: SoakScenario,
  ready: LocalModeReady,
  sqs: SQSClient,
  log: (line: string) => void,
): Promise<void> {
  let sent = 0;
  for (const event of scenario.events) {
    const response = await postSignedWebhook({
      url: ready.webhookUrl,
      secret: ready.webhookSecret,
      body: JSON.stringify(event),
    });
    if (response.status !== 202) throw new Error(`ingest answered ${response.status} for event ${event.id}`);
    if (scenario.duplicated.has(event.id)) {
      // A second copy SQS's five-minute deduplication does not catch, as an at-least-once redelivery.
      const message = toQueueMessage(event);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: ready.queueUrl,
          ...message,
          MessageDeduplicationId: `${message.MessageDeduplicationId.slice(0, 100)}-again`,
        }),
      );
    }
    sent += 1;
    if (sent % 500 === 0) log(`  posted ${sent}/${scenario.events.length} events`);
  }
}

/** Resolves when every delivery was handled, or when both lanes' queues have stayed empty for a while. */
async function drained(
  sqs: SQSClient,
  queueUrls: readonly string[],
  allHandled: () => boolean,
  options: Pick<SoakOptions, 'timeoutMs'>,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let emptyPolls = 0;
  while (!allHandled() && emptyPolls < 8) {
    if (Date.now() > deadline) throw new Error(`soak did not drain within ${options.timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    const counts = await Promise.all(queueUrls.map((queueUrl) => queuedCount(sqs, queueUrl)));
    emptyPolls = sum(counts) === 0 ? emptyPolls + 1 : 0;
  }
}

/**
 * Poison events that may rightly never reach the DLQ. A later event of the same employee may
 * overtake one: a termination on the priority lane, or, once the soak's burst overflows onto the
 * bulk lane, any later event on another lane. And one that comes after a rehire may come while
 * that rehire still waits on the bulk lane: it finds the user deleted, changes nothing, and is
 * acknowledged (the rehire creates the user from its own fields, never with a taken email).
 */
function overtakable(scenario: SoakScenario): Set<string> {
  const ids = new Set<string>();
  const rehired = new Set<string>();
  const hired = new Set<string>();
  scenario.events.forEach((event, index) => {
    if (event.type === 'employee.hired') {
      if (hired.has(event.subject)) rehired.add(event.subject);
      hired.add(event.subject);
    }
    if (!scenario.poison.has(event.id)) return;
    const later = scenario.events.slice(index + 1);
    if (rehired.has(event.subject) || later.some((next) => next.subject === event.subject)) {
      ids.add(event.id);
    }
  });
  return ids;
}

function judge(
  scenario: SoakScenario,
  users: readonly User[],
  takenEmails: readonly string[],
  completed: ReadonlyMap<string, number>,
  deadLettered: SoakReport['deadLettered'],
  measured: Pick<SoakReport, 'durationMs' | 'deliveries' | 'requests' | 'faultRate'>,
): SoakReport {
  const isUnmanaged = (user: User) => user.email?.endsWith(`@${TAKEN_DOMAIN}`) === true;
  const managed = users.filter((user) => !isUnmanaged(user));
  const byExtension = new Map<string, User[]>();
  for (const user of managed) {
    const key = user.presence_id ?? `(none) ${user.id}`;
    byExtension.set(key, [...(byExtension.get(key) ?? []), user]);
  }
  const emails = users.map((user) => user.email?.toLowerCase() ?? `(none) ${user.id}`);
  const duplicateUsers =
    [...byExtension.values()].reduce((extra, group) => extra + group.length - 1, 0) +
    (emails.length - new Set(emails).size);

  const rosterMismatches: string[] = [];
  const expectedExtensions = new Set<string>();
  for (const [employeeId, expected] of scenario.roster) {
    expectedExtensions.add(expected.extension);
    const actual = byExtension.get(expected.extension)?.[0];
    if (actual === undefined) {
      rosterMismatches.push(`${employeeId}: missing`);
      continue;
    }
    // Which fields and how (the soak's made-up people, no one's real data): where to start looking.
    const differ = [
      ['email', actual.email, expected.email],
      ['first_name', actual.first_name, expected.firstName],
      ['last_name', actual.last_name, expected.lastName],
      ['enabled', actual.enabled, true],
    ].filter(([, got, want]) => got !== want);
    if (differ.length > 0) {
      const fields = differ.map(([name, got, want]) => `${name} ${String(got)} (expected ${String(want)})`);
      rosterMismatches.push(`${employeeId}: fields differ: ${fields.join(', ')}`);
    }
  }
  for (const extension of byExtension.keys()) {
    if (!expectedExtensions.has(extension)) rosterMismatches.push(`extension ${extension}: not expected`);
  }
  const untouched = users.filter(isUnmanaged).length;
  if (untouched !== takenEmails.length)
    rosterMismatches.push(`unmanaged users: ${untouched}/${takenEmails.length}`);

  const inDlq = new Set(deadLettered.map((entry) => entry.eventId));
  const lostEvents = scenario.events
    .map((event) => event.id)
    .filter((id) => !completed.has(id) && !inDlq.has(id));
  const mayBeOvertaken = overtakable(scenario);
  const poisonOvertaken = [...scenario.poison].filter((id) => !inDlq.has(id) && mayBeOvertaken.has(id));
  const deadLettersArePoison =
    deadLettered.length + poisonOvertaken.length === scenario.poison.size &&
    deadLettered.every(
      (entry) =>
        scenario.poison.has(entry.eventId) && entry.failureKind === 'permanent' && entry.errorClass !== '',
    );
  return {
    scenario,
    ...measured,
    expectedUsers: scenario.roster.size,
    managedUsers: managed.length,
    rosterMismatches,
    duplicateUsers,
    lostEvents,
    deadLettered,
    poisonOvertaken,
    deadLettersArePoison,
    passed:
      rosterMismatches.length === 0 &&
      duplicateUsers === 0 &&
      lostEvents.length === 0 &&
      deadLettersArePoison,
  };
}

/** The chance a request meets at least one fault, from the independent per-kind rates. */
export function requestFaultRate(spec: FaultSpec): number {
  const rates = [spec.hangRate, spec.resetRate, spec.rateLimitRate, spec.errorRate];
  return 1 - rates.reduce<number>((clean, rate) => clean * (1 - (rate ?? 0)), 1);
}

/** The soak's closing summary, one fact a line. */
export function describeSoak(report: SoakReport): string[] {
  const { counts } = report.scenario;
  const reasons = [
    ...new Set(report.deadLettered.map((entry) => `${entry.failureKind}/${entry.errorClass}`)),
  ];
  return [
    `events            ${report.scenario.events.length} (hired ${counts.hired}, rehired ${counts.rehired}, changed ${counts.changed} incl. ${counts.emailChanged} email changes, terminated ${counts.terminated}, poison ${report.scenario.poison.size})`,
    `deliveries        ${report.deliveries} (${report.scenario.duplicated.size} duplicates)`,
    `CPaaS requests    ${report.requests} at a ${(report.faultRate * 100).toFixed(1)}% fault rate`,
    `duration          ${(report.durationMs / 1000).toFixed(1)} s`,
    `roster            ${report.managedUsers} users, expected ${report.expectedUsers}, mismatches ${report.rosterMismatches.length}`,
    `duplicate users   ${report.duplicateUsers}`,
    `lost events       ${report.lostEvents.length}`,
    `DLQ               ${report.deadLettered.length} messages, poison set ${report.scenario.poison.size} (${report.poisonOvertaken.length} overtaken or before their rehire), equal: ${report.deadLettersArePoison ? 'yes' : 'no'}${reasons.length ? ` (${reasons.join(', ')})` : ''}`,
    `result            ${report.passed ? 'PASS' : 'FAIL'}`,
  ];
}

function sum(values: Iterable<number>): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
