import { randomBytes } from 'node:crypto';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DEFAULTS, HR_API_SOURCES, type HrApiSource } from '../../lambdas/contract/settings.js';
import { TENANT_ROUTE_SEGMENT } from '../../lambdas/contract/tenants.js';
import { LANES, type Lane } from '../../lambdas/core/events/lane.js';
import { createIngestHandler, ingestDependenciesFromEnv } from '../../lambdas/ingest/handler.js';
import { generateStandardWebhookSecret } from '../../lambdas/ingest/sources/standard-webhooks.js';
import { generateScimToken } from '../../lambdas/scim/bearer-tokens.js';
import { ScimUnavailableError } from '../../lambdas/scim/errors.js';
import { createScimHandler, scimDependenciesFromEnv } from '../../lambdas/scim/handler.js';
import { scimErrorReply } from '../../lambdas/scim/http.js';
import { sweepPortsFromEnv } from '../../lambdas/sweep/handler.js';
import { type SweepReport, sweep } from '../../lambdas/sweep/sweep.js';
import { createWorkerHandler, workerDependenciesFromEnv } from '../../lambdas/worker/handler.js';
import { type RunningHrFake, startHrFakes } from '../fakes/hr-fakes.js';
import { createDependencyHealth } from './dependency-health.js';
import { DependencyExitedError } from './errors.js';
import { type SqsBatchHandler, startEventSource } from './event-source.js';
import { type HttpApiHandler, startIngestServer } from './http-server.js';
import { type CpaasAccount, type LocalTenant, localTenants } from './local-tenants.js';
import { startMotoServer } from './moto-server.js';
import { describeBatch } from './outcome-log.js';
import {
  type AwsEndpointConfig,
  handlerEnvironment,
  provisionLocalResources,
  type ResourceNames,
} from './provision.js';
import { startSweepLoop, sweepLogLines } from './sweep-loop.js';

/** An existing CPaaS endpoint to use instead of the bundled sandbox. */
export interface CpaasEndpoint {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly accountId: string;
  /** Opens another account with its own key, for `tenants`; the bundled sandbox's control does. */
  readonly addAccount?: () => CpaasAccount | Promise<CpaasAccount>;
}

/**
 * A provider's real API (its sandbox, say) to fetch people from instead of the bundled fake
 * (`--hris-url <source>=<url>`); its webhooks then come from the provider, signed with the secret
 * it issued.
 */
export interface ExternalHrApi {
  readonly apiBaseUrl: string;
  /** The credentials secret's JSON (`HR_APIS[source].credentials`). */
  readonly credentials: string;
  /** The signing secret the provider issued; a generated one when absent (for a sender you control). */
  readonly webhookSecret?: string;
}

export interface LocalModeOptions {
  /** Webhook port; 0 picks a free one. */
  readonly port: number;
  readonly host?: string;
  /** An AWS endpoint to use (e.g. a moto_server already running); otherwise one is started. */
  readonly awsEndpoint?: string;
  readonly cpaas?: CpaasEndpoint;
  /**
   * Short, so a failed event comes back in seconds instead of the stack's 6 minutes. The worker
   * keeps the stack's time budget (`DEFAULTS.workerTimeoutSeconds`): it refuses to start records
   * with less than 10 s left. A batch outliving the visibility timeout is harmless here: the event
   * source keeps a batch still running at half of it in flight for the function timeout, as the
   * stack's longer timeout does, so no other poller takes it meanwhile.
   */
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
  /** The stack's names by default; tests sharing one moto_server pass unique ones. */
  readonly resourceNames?: Partial<ResourceNames>;
  /** Human-readable progress and outcome lines. */
  readonly log: (line: string) => void;
  /** Sources served by another API than their bundled fake. */
  readonly hrApis?: Partial<Readonly<Record<HrApiSource, ExternalHrApi>>>;
  /**
   * The SQS-triggered handler to run on both lanes; unless a test swaps it, each lane runs the
   * worker Lambda's entry point with that lane's environment (its own DLQ), as the stack does.
   */
  readonly workerHandler?: SqsBatchHandler;
  /** How often the sweep runs (default the stack's `DEFAULTS.sweepIntervalSeconds`). */
  readonly sweepIntervalSeconds?: number;
  /** The sweep's clock; tests move it forward instead of waiting for a grace period. */
  readonly clock?: () => Date;
  /** Registered tenants `t1`..`tN` to onboard (1..100), each on its own CPaaS account; none by default. */
  readonly tenants?: number;
}

/** The ready line's content: everything needed to send events and inspect the result. */
export interface LocalModeReady {
  readonly ready: true;
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly queueUrl: string;
  readonly dlqUrl: string;
  readonly awsEndpoint: string;
  readonly cpaasBaseUrl: string;
  readonly cpaasAccountId: string;
  /** The priority lane (terminations): its queue and its own DLQ. */
  readonly priorityQueueUrl: string;
  readonly priorityDlqUrl: string;
  /** The bulk lane: a tenant's hires and changes beyond its burst allowance, and its DLQ. */
  readonly bulkQueueUrl: string;
  readonly bulkDlqUrl: string;
  /** The SCIM service provider's root, `http://host:port/scim/v2`: an identity provider's tenant URL. */
  readonly scimUrl: string;
  /** The bearer token it accepts (the `current` of the SCIM tokens secret). */
  readonly scimToken: string;
  /**
   * The native HR sources, each with its webhook URL, the secret its webhooks are signed with, and
   * `apiBaseUrl`, the bundled fake of that provider's API the worker fetches people from;
   * `controlUrl` sets up who exists there (`PUT <controlUrl>/employees/{id}`).
   */
  readonly sources: Readonly<Record<string, LocalSource>>;
  /** With `tenants`: each registered tenant's routes, secrets and CPaaS account; absent without. */
  readonly tenants?: readonly LocalTenant[];
}

/** One native HR source as local mode serves it. */
export interface LocalSource {
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  readonly apiBaseUrl: string;
  /** The bundled fake's control routes; absent for a source pointed at another API (`--hris-url`). */
  readonly controlUrl?: string;
}

/** What local mode needs of a source's API, a bundled fake's or another. */
type ServedHrApi = Pick<RunningHrFake, 'apiBaseUrl' | 'webhookSecret' | 'credentials'> & {
  readonly controlUrl?: string;
};

/** One lane's queue and DLQ, and what its poller logs lines with. */
interface LaneQueues {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl: string;
  readonly prefix: string;
}

export interface RunningLocalMode {
  readonly ready: LocalModeReady;
  /**
   * Settles when a dependency local mode started has exited (moto_server: the queues and the
   * state table went with it), naming it. From then on `/healthz` and webhooks answer 503; the
   * caller should stop and exit non-zero, because nothing accepted can be applied any more.
   */
  readonly failed: Promise<DependencyExitedError>;
  /** Runs the sweep now instead of at its next tick. */
  sweepNow(): Promise<SweepReport | undefined>;
  /** Stops what this run started, in reverse order; safe to call twice. */
  stop(): Promise<void>;
}

export const LOCAL_VISIBILITY_TIMEOUT_SECONDS = 10;
const DEAD_LETTER_WATCH_MS = 2_000;
/**
 * Batches in flight at once on the standard and on the bulk lane (the stack's mappings allow
 * `DEFAULTS.maxConcurrency`, 5). Two, measured on 2 cores (docs/reliability.md): the soak's 2,000
 * events drain in 138 s against 246 s with one, since a batch waiting out a retry no longer stops
 * its lane, while a termination behind 1,000 queued hires keeps its p99 (0.62 s either way, target
 * 1 s); five took it to 1.52 s, the pollers sharing the CPU and moto_server with the priority lane's.
 */
const STANDARD_AND_BULK_POLLERS = 2;
const LOCAL_REGION = 'us-east-1';
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * Paths the SCIM handler serves, the default tenant's and a registered tenant's
 * (`/t/{tenant}/scim/v2`); everything else is the ingest's (webhooks, `/healthz`).
 */
const SCIM_PATH = new RegExp(`^(?:/${TENANT_ROUTE_SEGMENT}/[^/]+)?/scim/v2(?:/|$)`);

/**
 * The stack gives SCIM a Function URL of its own; locally one server serves both, told apart by
 * path, so the SCIM routes are supervised (503 while a dependency is down) like the webhooks.
 */
function byPath(ingest: HttpApiHandler, scim: HttpApiHandler): HttpApiHandler {
  return (event) => (SCIM_PATH.test(event.rawPath) ? scim(event) : ingest(event));
}

/** Every few seconds, tells `onGrowth` the DLQ's count when it grew since the last look. */
function watchDeadLetters(
  sqs: SQSClient,
  deadLetterQueueUrl: string,
  onGrowth: (count: number) => void,
): NodeJS.Timeout {
  let seen = 0;
  const look = async () => {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: deadLetterQueueUrl,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    const count = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    if (count > seen) onGrowth(count);
    seen = count;
  };
  return setInterval(() => look().catch(() => {}), DEAD_LETTER_WATCH_MS);
}

/**
 * The whole pipeline on one machine, from the same code and resource definitions as the stack:
 * moto_server for SQS, DynamoDB and Secrets Manager, the CPaaS sandbox, the ingest and SCIM
 * Lambdas behind one plain HTTP server, the worker Lambda fed by one emulated event source mapping per lane, and the sweep
 * on a timer in place of the stack's EventBridge schedule. Whatever
 * was started before a failure is stopped again before the error propagates.
 */
export async function startLocalMode(options: LocalModeOptions): Promise<RunningLocalMode> {
  const stoppers: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stoppers.splice(0).reverse()) {
      await stopOne().catch((error: Error) => options.log(`while stopping: ${error.message}`));
    }
  };
  const health = createDependencyHealth();
  let reportFailure: (error: DependencyExitedError) => void = () => {};
  const failed = new Promise<DependencyExitedError>((resolve) => {
    reportFailure = resolve;
  });
  try {
    let endpoint = options.awsEndpoint;
    if (!endpoint) {
      const moto = await startMotoServer();
      stoppers.push(() => moto.stop());
      endpoint = moto.endpoint;
      options.log(`moto_server listening at ${endpoint}`);
      void moto.exited.then((how) => {
        health.markDown('moto_server', how);
        reportFailure(new DependencyExitedError(`moto_server ${how}; its queues and state are gone`));
      });
    }
    const aws: AwsEndpointConfig = { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };

    let cpaas = options.cpaas;
    if (!cpaas) {
      // Loaded only when used: a run against another CPaaS endpoint never starts the sandbox.
      const { startSandbox } = await import('../sandbox/index.js');
      const sandbox = await startSandbox();
      stoppers.push(() => sandbox.close());
      cpaas = {
        baseUrl: sandbox.url,
        apiKey: sandbox.apiKey,
        accountId: sandbox.accountId,
        addAccount: () => sandbox.control.addAccount(),
      };
      options.log(`CPaaS sandbox listening at ${sandbox.url} (state: GET ${sandbox.url}/_sandbox/state)`);
    }

    // The native HR sources' fakes (webhook sender and API), so every source is served locally.
    const external = options.hrApis ?? {};
    const fakes = await startHrFakes(HR_API_SOURCES.filter((source) => external[source] === undefined));
    for (const fake of Object.values(fakes)) stoppers.push(() => fake.close());
    const hrFakes = HR_API_SOURCES.map((source): [HrApiSource, ServedHrApi] => {
      const api = external[source];
      const fake = fakes[source];
      if (api === undefined && fake !== undefined) return [source, fake];
      if (api === undefined) throw new Error(`the ${source} fake did not start`);
      return [source, { ...api, webhookSecret: api.webhookSecret ?? randomBytes(32).toString('hex') }];
    });

    const webhookSecret = generateStandardWebhookSecret();
    const scimToken = generateScimToken();
    const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? LOCAL_VISIBILITY_TIMEOUT_SECONDS;
    const resources = await provisionLocalResources(aws, {
      apiKey: cpaas.apiKey,
      webhookSecrets: {
        standard: [webhookSecret],
        ...Object.fromEntries(hrFakes.map(([source, fake]) => [source, [fake.webhookSecret]])),
      },
      hrCredentials: Object.fromEntries(hrFakes.map(([source, fake]) => [source, fake.credentials])),
      scimToken,
      visibilityTimeoutSeconds,
      ...(options.resourceNames === undefined ? {} : { names: options.resourceNames }),
      ...(options.maxReceiveCount === undefined ? {} : { maxReceiveCount: options.maxReceiveCount }),
    });
    const hrApis = Object.fromEntries(hrFakes.map(([source, fake]) => [source, fake.apiBaseUrl]));
    const environment = handlerEnvironment(aws, resources, cpaas, 'standard', hrApis);
    // The handlers are wired from this environment exactly as in Lambda; it also goes into
    // process.env for anything that reads the AWS SDK's own variables.
    Object.assign(process.env, environment);
    const tenants = await localTenants(options.tenants, cpaas.addAccount, {
      aws,
      stateTableName: resources.stateTableName,
      environment,
    });

    const ingest = await startIngestServer({
      port: options.port,
      host: options.host ?? '127.0.0.1',
      handler: byPath(
        createIngestHandler(ingestDependenciesFromEnv(environment, aws)),
        createScimHandler({ ...scimDependenciesFromEnv(environment, aws), urlScheme: 'http' }),
      ),
      unavailable: health.problems,
      unavailableReply: (path, problems) =>
        SCIM_PATH.test(path)
          ? scimErrorReply(
              new ScimUnavailableError(`local mode cannot serve this: ${problems.join(', ')} down`),
            )
          : undefined,
    });
    stoppers.push(() => ingest.close());

    const sqs = new SQSClient(aws);
    stoppers.push(async () => sqs.destroy());
    const lanes: Record<Lane, LaneQueues> = {
      standard: { ...resources, prefix: '' },
      priority: { ...resources.priority, prefix: '[priority lane] ' },
      bulk: { ...resources.bulk, prefix: '[bulk lane] ' },
    };
    const limits = { maxReceiveCount: resources.maxReceiveCount, visibilityTimeoutSeconds };
    // One event source per lane, as the stack has one mapping per lane: the priority lane is served
    // while the standard pollers are busy with a backlog. The priority lane polls with as many
    // batches in flight as its mapping's maximum concurrency in the stack, so one slow termination
    // does not hold up the next leaver's (FIFO groups still go one batch at a time); the other lanes
    // with STANDARD_AND_BULK_POLLERS.
    for (const lane of LANES) {
      const { queueUrl, deadLetterQueueUrl, prefix } = lanes[lane];
      const laneEnvironment = handlerEnvironment(aws, resources, cpaas, lane, hrApis);
      const handler =
        options.workerHandler ?? createWorkerHandler(workerDependenciesFromEnv(laneEnvironment, aws));
      const pollers = lane === 'priority' ? DEFAULTS.priorityReservedConcurrency : STANDARD_AND_BULK_POLLERS;
      for (let poller = 0; poller < pollers; poller += 1) {
        const source = await startEventSource({
          sqs,
          queueUrl,
          handler,
          functionTimeoutMs: DEFAULTS.workerTimeoutSeconds * 1000,
          onBatch: (report) => {
            for (const line of describeBatch(report, limits)) options.log(`${prefix}${line}`);
          },
          // One line when polling starts failing and one when it works again, not one a second.
          onPollError: (error) => {
            if (health.markDown('AWS endpoint', `polling the queue failed (${error.name})`)) {
              options.log(`polling the queue failed (${error.name}); retrying until it answers`);
            }
          },
          onPollOk: () => {
            if (health.markUp('AWS endpoint')) options.log('polling the queue works again');
          },
        });
        stoppers.push(() => source.stop());
      }
      // SQS's own redrive moves a message during a receive, outside any batch: watch the count.
      const watcher = watchDeadLetters(sqs, deadLetterQueueUrl, (count) =>
        options.log(
          `${prefix}DLQ now holds ${count} message(s): cpaas-lifecycle dlq list --queue-url ${deadLetterQueueUrl}`,
        ),
      );
      stoppers.push(async () => clearInterval(watcher));
    }

    const sweepPorts = sweepPortsFromEnv(environment, aws, sweepLogLines(options.log));
    const sweeper = startSweepLoop({
      intervalMs: (options.sweepIntervalSeconds ?? DEFAULTS.sweepIntervalSeconds) * 1000,
      run: () => sweep({ ...sweepPorts, ...(options.clock === undefined ? {} : { clock: options.clock }) }),
      log: options.log,
    });
    stoppers.push(() => sweeper.stop());

    return {
      failed,
      sweepNow: () => sweeper.runNow(),
      ready: {
        ready: true,
        webhookUrl: `${ingest.url}/webhooks/standard`,
        webhookSecret,
        queueUrl: resources.queueUrl,
        dlqUrl: resources.deadLetterQueueUrl,
        awsEndpoint: endpoint,
        cpaasBaseUrl: cpaas.baseUrl,
        cpaasAccountId: cpaas.accountId,
        priorityQueueUrl: resources.priority.queueUrl,
        priorityDlqUrl: resources.priority.deadLetterQueueUrl,
        bulkQueueUrl: resources.bulk.queueUrl,
        bulkDlqUrl: resources.bulk.deadLetterQueueUrl,
        scimUrl: `${ingest.url}/scim/v2`,
        scimToken,
        sources: Object.fromEntries(
          hrFakes.map(([source, { webhookSecret, apiBaseUrl, controlUrl }]) => [
            source,
            {
              webhookUrl: `${ingest.url}/webhooks/${source}`,
              webhookSecret,
              apiBaseUrl,
              ...(controlUrl === undefined ? {} : { controlUrl }),
            },
          ]),
        ),
        ...(tenants === undefined ? {} : { tenants: tenants.at(ingest.url) }),
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
