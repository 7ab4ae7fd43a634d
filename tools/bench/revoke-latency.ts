import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  createLifecycleEvent,
  type LifecycleEvent,
  toQueueMessage,
} from '../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../lambdas/core/events/sqs-event-queue.js';
import { postSignedWebhook } from '../cli/send-command.js';
import { type RunningLocalMode, startLocalMode } from '../local/local-mode.js';
import { startMotoServer } from '../local/moto-server.js';
import { type RunningSandbox, startSandbox } from '../sandbox/index.js';
import { queuedCount } from './queued-count.js';
import { uniqueSuffix } from './unique-suffix.js';

/** Terminations per scenario, sent back to back, each in its own request as an HRIS sends them. */
export const LEAVERS = 8;
/** Hires per webhook request while a backlog is queued: 20 requests queue 1,000 in a few seconds. */
export const BACKLOG_PER_REQUEST = 50;
const POLL_MS = 20;

export interface RevokeScenario {
  /** Hires queued before the terminations are sent. */
  readonly backlog: number;
  /**
   * True: the backlog and the terminations go through ingest, which puts the terminations on the
   * priority lane (and what the backlog's tenant sends beyond its allowance on the bulk lane).
   * False: both are put on the standard queue, the terminations behind the backlog, as before the
   * lanes existed.
   */
  readonly lane: boolean;
}

export interface RevokeFigures {
  /** Seconds from each termination's acceptance (202, or SendMessage) until its user was deleted. */
  readonly latenciesS: readonly number[];
  /** Backlog hires applied per second, from the first hire queued to the last user created. */
  readonly backlogPerSecond: number;
}

/** Polls `condition` every 20 ms until it holds; throws naming `what` after `timeoutMs`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * A fresh local mode on a shared moto_server against `sandbox`: its own queues, state table and
 * secrets, named `<prefix>-...-<unique suffix>`, and quiet; with `tenants`, `t1`..`tN` on accounts
 * of their own in `sandbox`.
 */
export function startBenchLocalMode(
  motoEndpoint: string,
  sandbox: RunningSandbox,
  prefix: string,
  suffix: string,
  tenants?: number,
): Promise<RunningLocalMode> {
  return startLocalMode({
    port: 0,
    awsEndpoint: motoEndpoint,
    cpaas: {
      baseUrl: sandbox.url,
      apiKey: sandbox.apiKey,
      accountId: sandbox.accountId,
      addAccount: () => sandbox.control.addAccount(),
    },
    ...(tenants === undefined ? {} : { tenants }),
    resourceNames: {
      queueName: `${prefix}-${suffix}.fifo`,
      deadLetterQueueName: `${prefix}-dlq-${suffix}.fifo`,
      priorityQueueName: `${prefix}-priority-${suffix}.fifo`,
      bulkQueueName: `${prefix}-bulk-${suffix}.fifo`,
      bulkDeadLetterQueueName: `${prefix}-bulk-dlq-${suffix}.fifo`,
      priorityDeadLetterQueueName: `${prefix}-priority-dlq-${suffix}.fifo`,
      stateTableName: `${prefix}-state-${suffix}`,
      apiKeySecretName: `${prefix}-key-${suffix}`,
      webhookSecretsSecretName: `${prefix}-webhooks-${suffix}`,
      scimTokensSecretName: `${prefix}-scim-tokens-${suffix}`,
    },
    log: () => {},
  });
}

/** An SQS client for the bench's own look at a local mode's queues on moto_server. */
export function benchSqsClient(motoEndpoint: string): SQSClient {
  return new SQSClient({
    endpoint: motoEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  });
}

/** The nearest-rank percentile: with 8 samples p99 is the slowest, p50 the 4th. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

/** A hire whose work email is `<employee id in lower case>@bench.example.com`; the route sets its tenant. */
export function hire(employeeId: string): LifecycleEvent {
  return createLifecycleEvent({
    type: 'employee.hired',
    source: 'bench',
    data: {
      employeeId,
      workEmail: `${employeeId.toLowerCase()}@bench.example.com`,
      firstName: 'B',
      lastName: 'E',
    },
  });
}

/**
 * One run of the whole local pipeline (real ingest over HTTP, both lanes' pollers, the worker,
 * moto and the sandbox over sockets): provision the leavers, queue the backlog, then terminate
 * the leavers back to back and time each revocation at the CPaaS fake (its DELETE request).
 */
class Scenario {
  readonly #deletedAt = new Map<string, number>();
  readonly #userOf = new Map<string, string>();

  constructor(
    readonly mode: RunningLocalMode,
    readonly sandbox: RunningSandbox,
    readonly sqs: SQSClient,
  ) {}

  /** The sandbox's `onRequest`: when a leaver's user is deleted. */
  observe(route: string | undefined, path: string): void {
    if (route === 'deleteUser') this.#deletedAt.set(path.split('/').pop() ?? '', performance.now());
  }

  async #post(events: readonly LifecycleEvent[]): Promise<void> {
    const response = await postSignedWebhook({
      url: this.mode.ready.webhookUrl,
      secret: this.mode.ready.webhookSecret,
      body: JSON.stringify(events),
    });
    if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${response.body}`);
  }

  async run(scenario: RevokeScenario, suffix: string): Promise<RevokeFigures> {
    const leavers = Array.from({ length: LEAVERS }, (_, index) => `LEAVER-${suffix}-${index}`);
    await this.#post(leavers.map(hire));
    await waitUntil(() => this.#provisioned(leavers), 'the leavers provisioned', 60_000);

    const backlog = Array.from({ length: scenario.backlog }, (_, index) => hire(`HIRE-${suffix}-${index}`));
    const usersBefore = this.sandbox.control.users().length;
    const backlogStart = performance.now();
    const standardQueue = sqsEventQueue(this.sqs, this.mode.ready.queueUrl);
    for (let start = 0; start < backlog.length; start += BACKLOG_PER_REQUEST) {
      const request = backlog.slice(start, start + BACKLOG_PER_REQUEST);
      if (scenario.lane) await this.#post(request);
      else await standardQueue.enqueue(request);
    }

    const acceptedAt = new Map<string, number>();
    for (const employeeId of leavers) {
      const termination = createLifecycleEvent({
        type: 'employee.terminated',
        source: 'bench',
        data: { employeeId },
      });
      if (scenario.lane) await this.#post([termination]);
      else {
        await this.sqs.send(
          new SendMessageCommand({ QueueUrl: this.mode.ready.queueUrl, ...toQueueMessage(termination) }),
        );
      }
      acceptedAt.set(employeeId, performance.now());
    }
    const revokeTimeout = 60_000 + scenario.backlog * 1_000;
    await waitUntil(
      () => leavers.every((employeeId) => this.#deletedAt.has(this.#userOf.get(employeeId) ?? '')),
      'every leaver revoked',
      revokeTimeout,
    );
    await waitUntil(
      () => this.sandbox.control.users().length - usersBefore >= scenario.backlog - LEAVERS,
      'the backlog applied',
      revokeTimeout,
    );
    const { queueUrl, bulkQueueUrl } = this.mode.ready;
    await waitUntil(
      async () => (await queuedCount(this.sqs, queueUrl)) + (await queuedCount(this.sqs, bulkQueueUrl)) === 0,
      'the standard and bulk queues drained',
      revokeTimeout,
    );
    const backlogS = (performance.now() - backlogStart) / 1000;
    return {
      latenciesS: leavers.map(
        (employeeId) =>
          ((this.#deletedAt.get(this.#userOf.get(employeeId) ?? '') ?? Number.NaN) -
            (acceptedAt.get(employeeId) ?? Number.NaN)) /
          1000,
      ),
      backlogPerSecond: scenario.backlog / backlogS,
    };
  }

  #provisioned(leavers: readonly string[]): boolean {
    for (const user of this.sandbox.control.users()) {
      const employeeId = leavers.find((id) => user.email === `${id.toLowerCase()}@bench.example.com`);
      if (employeeId !== undefined) this.#userOf.set(employeeId, user.id);
    }
    return this.#userOf.size >= leavers.length;
  }
}

/**
 * Revocation latency and the backlog's throughput, each scenario in a fresh local mode (its own
 * queues and state table on one moto_server, so the deletion brake's window starts empty: 8
 * terminations stay below its minimum of 10) against its own CPaaS sandbox.
 */
export async function measureRevoke(
  scenarios: readonly RevokeScenario[],
  log: (line: string) => void,
): Promise<RevokeFigures[]> {
  const moto = await startMotoServer();
  const figures: RevokeFigures[] = [];
  try {
    for (const scenario of scenarios) {
      log(
        `bench: revoke latency, backlog ${scenario.backlog}, ${scenario.lane ? 'priority lane' : 'no lane'}`,
      );
      let observe: (route: string | undefined, path: string) => void = () => {};
      const sandbox = await startSandbox({ onRequest: (request) => observe(request.route, request.path) });
      const suffix = uniqueSuffix();
      const mode = await startBenchLocalMode(moto.endpoint, sandbox, 'revoke', suffix);
      const sqs = benchSqsClient(moto.endpoint);
      const run = new Scenario(mode, sandbox, sqs);
      observe = (route, path) => run.observe(route, path);
      try {
        figures.push(await run.run(scenario, suffix));
      } finally {
        sqs.destroy();
        await mode.stop();
        await sandbox.close();
      }
    }
    return figures;
  } finally {
    await moto.stop();
  }
}
