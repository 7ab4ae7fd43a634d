import {
  type App,
  Aspects,
  CfnOutput,
  CfnParameter,
  Duration,
  Fn,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type FunctionUrl, FunctionUrlAuthType, type IFunction } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type DeadLetterQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import {
  type CpaasEnvironmentValues,
  ingestEnvironment,
  scimEnvironment,
  sweepEnvironment,
  workerEnvironment,
} from '../lambdas/contract/environment.js';
import {
  DEFAULTS,
  HR_API_SOURCES,
  HR_APIS,
  type HrApiFacts,
  type HrApiSource,
  hrCredentialsSecretName,
  SCIM_TOKENS_SECRET_FIELDS,
  SOURCE_NAMES,
} from '../lambdas/contract/settings.js';
import { HANDSHAKE_KEY_PREFIX, STATE_TABLE_KEYS } from '../lambdas/contract/state-table.js';
import { parseStackConfig, type StackConfig } from './config.js';
import { LifecycleAlarms } from './lifecycle-alarms.js';
import { LifecycleDashboard } from './lifecycle-dashboard.js';
import { LifecycleFunction } from './lifecycle-function.js';
import { LifecycleSecret } from './lifecycle-secret.js';
import { addStateTable } from './state-table.js';
import { SweepSchedule } from './sweep-schedule.js';
import { grantTenantHrCredentials, grantTenantSecretRead } from './tenant-secrets.js';

/** The stack name, also the synthesized template's file name (`cdk.out/<name>.template.json`). */
export const STACK_NAME = 'CpaasLifecycle';

export interface LifecycleStackProps extends StackProps {
  readonly config: StackConfig;
}

const WORKER_TIMEOUT = Duration.seconds(DEFAULTS.workerTimeoutSeconds);
const VISIBILITY_TIMEOUT = Duration.seconds(DEFAULTS.visibilityTimeoutSeconds);
/** The HRIS waits for the answer; a webhook that is not queued in 10 s is better retried by the sender. */
export const INGEST_TIMEOUT_SECONDS = 10;
const INGEST_TIMEOUT = Duration.seconds(INGEST_TIMEOUT_SECONDS);
/**
 * The identity provider waits for the answer too; a SCIM request is a few table calls and one
 * enqueue, and one not answered in 10 s is better retried by the provider on its next cycle.
 */
const SCIM_TIMEOUT = Duration.seconds(10);
const SWEEP_INTERVAL = Duration.seconds(DEFAULTS.sweepIntervalSeconds);
/**
 * Shorter than the interval, so one run has ended before the next tick starts another: runs do not
 * overlap without reserved concurrency, which a new account's 10-execution quota could not spare.
 */
const SWEEP_TIMEOUT = Duration.seconds(DEFAULTS.sweepIntervalSeconds - 10);
export const MEMORY_MB = 512;
/**
 * What the worker does on the table: GetItem (also the tenant registry's `tenant#<id>` items) and
 * conditional PutItem (links, processed events,
 * pending schedules, holds, the deletion brake's window; a transaction of two Puts needs PutItem),
 * DeleteItem (a newer event cancels a pending schedule), Scan (the brake counts linked users,
 * cached for minutes; the once-per-deployment re-key of pre-tenant items) and conditional
 * UpdateItem (the provisioning status on a SCIM user's item; a transaction's claim update).
 * No Query: nothing in the worker sends one. A new call needs its action here, or it is
 * AccessDenied in AWS (moto does not check IAM, so only the deployed stack would tell).
 */
export const WORKER_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:Scan',
  'dynamodb:UpdateItem',
] as const;
/**
 * What the sweep does on the table itself: GetItem (the tenant registry: whose account a
 * grace-period deletion is in), conditional DeleteItem (a queued schedule),
 * conditional PutItem (a grace-period deletion is recorded) and conditional UpdateItem (a queued
 * SCIM outbox is cleared). It finds its work with Query on the `due` index only; its one Scan is
 * the once-per-deployment re-key of a pre-tenant deployment's items (until the marker
 * `upgrade#tenant-keys` exists, then a GetItem per cold start), with a transaction of Puts, Deletes
 * and Updates: a schedule it queues must already be under its route-set key.
 */
export const SWEEP_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
  'dynamodb:Scan',
] as const;

/**
 * What the ingest function does on the table: GetItem only, the tenant registry's consistent reads
 * of a tenant (`/t/{tenant}/...`) and of a provider account's mapping (the shared Merge URL).
 */
export const INGEST_TABLE_ACTIONS = ['dynamodb:GetItem'] as const;

/**
 * What the public ingest function may write on the table: a provider's set-up handshake waiting for
 * the operator (Gusto's verification token), and nothing else: PutItem only on partition keys
 * starting with `HANDSHAKE_KEY_PREFIX`, so no request can touch a link, a hold or a processed event.
 */
export const INGEST_HANDSHAKE_ACTIONS = ['dynamodb:PutItem'] as const;

/**
 * What the SCIM function does on the table (`DynamoScimUserStore`, and the tenant registry's
 * GetItem for `/t/{tenant}/scim/v2`): GetItem (consistent reads of a
 * user and of a `userName` claim), a transaction of Put (the user, a new claim) and Delete (a
 * released claim), which IAM authorizes as PutItem and DeleteItem, and conditional UpdateItem (the
 * outbox). It lists users with Query on the `scimUsers` index only, never a Scan.
 */
export const SCIM_TABLE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:DeleteItem',
  'dynamodb:UpdateItem',
] as const;

/** The cdk-nag rules (one per pack that has it) that flag a Lambda anyone may invoke. */
export const PUBLIC_URL_RULES = ['HIPAA.Security', 'NIST.800.53.R5', 'PCI.DSS.321'].map(
  (pack) => `${pack}-LambdaFunctionPublicAccessProhibited`,
);
const PUBLIC_URL_REASON =
  'Webhook endpoint: the HRIS calls it from the internet and cannot sign AWS SigV4 requests, so the URL ' +
  'has no IAM auth. Every request is authenticated by its HMAC signature over the raw body (secrets from ' +
  'Secrets Manager) before anything is queued; a missing or wrong signature gets 401.';
const SCIM_PUBLIC_URL_REASON =
  'SCIM endpoint: Entra ID and Okta call it from the internet with a bearer token and cannot sign AWS ' +
  'SigV4 requests, so the URL has no IAM auth. The function checks the token against the tokens secret ' +
  'before any route; a missing or wrong token gets 401.';

/**
 * Item-level table access on exactly the ARNs given. Not `table.grant`: once the table has an
 * index, that also grants on `<table>/index/*`, a wildcard neither function needs.
 */
function grantTableActions(fn: IFunction, actions: readonly string[], resources: string[]): void {
  fn.addToRolePolicy(new PolicyStatement({ actions: [...actions], resources }));
}

/** CloudFormation output ids allow letters and digits only. */
function outputId(prefix: string, name: string): string {
  return prefix + name.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

/**
 * A Function URL without IAM auth, for a caller that cannot sign SigV4 and authenticates in the
 * function; AwsSolutions has no rule on this, the packs that do flag the public invoke permission.
 */
function addPublicUrl(fn: IFunction, reason: string): FunctionUrl {
  const url = fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE });
  NagSuppressions.addResourceSuppressions(
    fn,
    PUBLIC_URL_RULES.map((id) => ({ id, reason })),
    true,
  );
  return url;
}

/** One lane's FIFO queue and the DLQ it redrives to. */
interface LaneQueues {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
}

/**
 * The standard lane (hires, changes) and the priority lane (terminations), each with its own DLQ:
 * a failed revocation alarms on its own, and `dlq redrive` sends it back to the priority queue
 * (the only queue that redrives to that DLQ).
 */
interface Queues extends LaneQueues {
  readonly priority: LaneQueues;
  /**
   * The bulk lane: a tenant's hires and changes beyond its burst allowance, served by the standard
   * worker through a mapping of its own. Its own DLQ, so `dlq redrive` finds the one queue that
   * redrives to each DLQ.
   */
  readonly bulk: LaneQueues;
}

/**
 * A producer routes each event by lane, so it may send to the lanes' queues (and nothing else); the
 * bulk lane's only for a producer that meters tenants' bursts (ingest, SCIM).
 */
function grantSendToLanes(queues: Queues, producer: IFunction, { bulk }: { readonly bulk: boolean }): void {
  queues.queue.grantSendMessages(producer);
  queues.priority.queue.grantSendMessages(producer);
  if (bulk) queues.bulk.queue.grantSendMessages(producer);
}

/** What both lanes' workers are given. */
interface WorkerResources {
  readonly cpaas: CpaasEnvironmentValues;
  readonly table: Table;
  readonly apiKey: LifecycleSecret;
  /** The HR APIs the deployment fetches people from, each with its credentials secret. */
  readonly hrApis: readonly HrApiResources[];
}

/** One configured HR API (`hrApis` context) and the secret its credentials are in. */
interface HrApiResources {
  readonly source: HrApiSource;
  readonly apiBaseUrl: string;
  readonly credentials: LifecycleSecret;
}

/** The CPaaS API key (worker, sweep), the webhook signing secrets (ingest) and the SCIM bearer tokens (SCIM). */
interface Secrets {
  readonly apiKey: LifecycleSecret;
  readonly webhookSecrets: LifecycleSecret;
  readonly scimTokens: LifecycleSecret;
  readonly hrApis: readonly HrApiResources[];
}

/** What the stack outputs: the endpoints to give the HRIS, and the ids an operator needs. */
interface Outputs extends Queues, Secrets {
  readonly url: FunctionUrl;
  readonly scimUrl: FunctionUrl;
  readonly table: Table;
  readonly sweep: IFunction;
  readonly alarms: LifecycleAlarms;
  readonly dashboard: LifecycleDashboard;
}

/** AWS's rule for SQS event sources: otherwise a message still being retried becomes visible again. */
function checkVisibilityTimeout(): void {
  if (VISIBILITY_TIMEOUT.toSeconds() < 6 * WORKER_TIMEOUT.toSeconds()) {
    throw new Error('DEFAULTS.visibilityTimeoutSeconds must be at least 6x DEFAULTS.workerTimeoutSeconds');
  }
}

/**
 * The whole pipeline in one stack: webhook URL -> ingest (and SCIM URL -> SCIM) -> SQS FIFO ->
 * worker -> CPaaS, with the DLQ, the state table, the secrets and the alarms, so one `cdk deploy` gives a running, alarmed
 * pipeline. Names and limits come from `lambdas/contract/`, shared with the local mode. The steps
 * run in this order so the synthesized template keeps its order of resources.
 */
export class LifecycleStack extends Stack {
  constructor(scope: Construct, id: string, props: LifecycleStackProps) {
    super(scope, id, props);
    const { config } = props;
    checkVisibilityTimeout();
    const cpaasAccountId = this.cpaasAccountId(config);
    const queues = this.queues(config);
    const table = addStateTable(this, 'StateTable', DEFAULTS.stateTableName);
    const secrets = this.secrets(config);
    const cpaas: CpaasEnvironmentValues = {
      baseUrl: config.cpaasBaseUrl,
      accountId: cpaasAccountId,
      apiKeySecretId: secrets.apiKey.secret.secretArn,
      secretCacheSeconds: DEFAULTS.secretCacheSeconds,
    };
    const workers: WorkerResources = {
      cpaas,
      table,
      apiKey: secrets.apiKey,
      hrApis: secrets.hrApis,
    };
    const worker = this.worker(config, 'Worker', queues, workers, queues.bulk.queue);
    const priorityWorker = this.worker(config, 'PriorityWorker', queues.priority, workers);
    const { ingest, url } = this.ingest(queues, table, secrets.webhookSecrets);
    const sweep = this.sweep(config, cpaas, queues, table, secrets.apiKey);
    const scim = this.scim(queues, table, secrets.scimTokens);
    const watched = {
      queue: queues.queue,
      deadLetterQueue: queues.deadLetterQueue,
      bulk: queues.bulk,
      worker,
      priority: {
        ...queues.priority,
        worker: priorityWorker,
        oldestMessageAgeAlarmSeconds: config.priorityOldestMessageAgeAlarmSeconds,
      },
      ingest,
      scim: scim.scim,
      sweep,
      oldestMessageAgeAlarmSeconds: config.oldestMessageAgeAlarmSeconds,
    };
    const alarms = new LifecycleAlarms(this, 'Alarms', { ...watched, alarmEmail: config.alarmEmail });
    const dashboard = new LifecycleDashboard(this, 'Dashboard', {
      ...watched,
      alarms: alarms.alarms,
      workerLogGroups: [worker.logGroup, priorityWorker.logGroup],
    });
    this.outputs({ ...queues, ...secrets, url, scimUrl: scim.url, table, sweep, alarms, dashboard });
  }

  /** From context (`-c cpaasAccountId=...`), or else asked for at deploy time as the `CpaasAccountId` parameter. */
  private cpaasAccountId(config: StackConfig): string {
    return (
      config.cpaasAccountId ??
      new CfnParameter(this, 'CpaasAccountId', {
        type: 'String',
        description: 'CPaaS account id (32 alphanumerics). Or set it once with -c cpaasAccountId=...',
        allowedPattern: '^[A-Za-z0-9]{32}$',
        constraintDescription: 'must be the 32 alphanumeric CPaaS account id',
      }).valueAsString
    );
  }

  private queues(config: StackConfig): Queues {
    const standard = this.laneQueues(config, 'Queue', DEFAULTS.queueName, DEFAULTS.deadLetterQueueName);
    const priority = this.laneQueues(
      config,
      'PriorityQueue',
      DEFAULTS.priorityQueueName,
      DEFAULTS.priorityDeadLetterQueueName,
    );
    const bulk = this.laneQueues(
      config,
      'BulkQueue',
      DEFAULTS.bulkQueueName,
      DEFAULTS.bulkDeadLetterQueueName,
    );
    return { ...standard, priority, bulk };
  }

  /** A lane's FIFO queue and its DLQ; the standard lane keeps the ids it had before the priority lane. */
  private laneQueues(
    config: StackConfig,
    id: string,
    queueName: string,
    deadLetterQueueName: string,
  ): LaneQueues {
    const deadLetterId = id === 'Queue' ? 'DeadLetterQueue' : `${id}DeadLetters`;
    const deadLetterQueue = new Queue(this, deadLetterId, {
      queueName: deadLetterQueueName,
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(DEFAULTS.deadLetterRetentionDays),
    });
    const deadLetter: DeadLetterQueue = { queue: deadLetterQueue, maxReceiveCount: config.maxReceiveCount };
    const queue = new Queue(this, id, {
      queueName,
      fifo: true,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: VISIBILITY_TIMEOUT,
      // SQS's default is 4 days: a longer CPaaS outage must not silently drop HR changes. The age
      // alarm fires long before either limit.
      retentionPeriod: Duration.days(DEFAULTS.deadLetterRetentionDays),
      deadLetterQueue: deadLetter,
    });
    return { queue, deadLetterQueue };
  }

  private secrets(config: StackConfig): Secrets {
    const apiKey = new LifecycleSecret(this, 'ApiKeySecret', {
      arn: config.apiKeySecretArn,
      name: config.apiKeySecretName,
      defaultName: DEFAULTS.apiKeySecretName,
      instructions:
        'CPaaS VoIP User API key for the cpaas-lifecycle worker. Set the plain key: ' +
        'aws secretsmanager put-secret-value --secret-id <this secret> --secret-string <key>',
    });
    const webhookSecrets = new LifecycleSecret(this, 'WebhookSecrets', {
      arn: config.webhookSecretsSecretArn,
      name: config.webhookSecretsSecretName,
      defaultName: DEFAULTS.webhookSecretsSecretName,
      instructions:
        'Webhook signing secrets per ingest source, JSON: {"standard":["whsec_..."],"merge":["..."]}; ' +
        'list the old secret after the new one while rotating. Set with aws secretsmanager put-secret-value.',
    });
    const scimTokens = new LifecycleSecret(this, 'ScimTokens', {
      arn: config.scimTokensSecretArn,
      defaultName: DEFAULTS.scimTokensSecretName,
      generatedField: SCIM_TOKENS_SECRET_FIELDS.current,
      instructions:
        'SCIM bearer tokens, JSON: {"current":"<token>","previous":"<token, during rotation>"}; current is ' +
        'generated at deploy. Give it to the identity provider as its secret token (docs/scim.md).',
    });
    const hrApis = HR_API_SOURCES.flatMap((source): HrApiResources[] => {
      const api = config.hrApis[source];
      if (api === undefined) return [];
      const { title, constructId, credentials } = HR_APIS[source];
      const secret = new LifecycleSecret(this, `${constructId}Credentials`, {
        arn: api.credentialsSecretArn,
        defaultName: hrCredentialsSecretName(source),
        instructions:
          `${title} API credentials, JSON: ${credentials}; the workers fetch each person from ${title} ` +
          `with them (docs/sources/${source}.md).`,
      });
      return [{ source, apiBaseUrl: api.apiBaseUrl, credentials: secret }];
    });
    return { apiKey, webhookSecrets, scimTokens, hrApis };
  }

  /**
   * One worker function per lane, from the same code. Reserved concurrency is per function, so the
   * priority lane has a function of its own: its reservation is capacity no backlog on the standard
   * lane (nor anything else in the account) can take, and its mapping's maximum concurrency
   * matches it. The standard lane keeps `maxConcurrency`, which keeps it inside the CPaaS rate limit.
   */
  private worker(
    config: StackConfig,
    id: 'Worker' | 'PriorityWorker',
    { queue, deadLetterQueue }: LaneQueues,
    { cpaas, table, apiKey, hrApis }: WorkerResources,
    bulk?: Queue,
  ): NodejsFunction {
    const priority = id === 'PriorityWorker';
    const reserved =
      priority && config.priorityReservedConcurrency > 0 ? config.priorityReservedConcurrency : undefined;
    const worker = new LifecycleFunction(this, id, {
      entry: 'lambdas/worker/handler.ts',
      description: priority
        ? 'Applies terminations from the priority FIFO queue to the CPaaS VoIP User API'
        : 'Applies lifecycle events from the FIFO queue to the CPaaS VoIP User API',
      timeout: WORKER_TIMEOUT,
      memorySize: MEMORY_MB,
      ...(reserved === undefined ? {} : { reservedConcurrentExecutions: reserved }),
      environment: workerEnvironment({
        cpaas,
        stateTableName: table.tableName,
        dryRun: config.dryRun,
        deadLetterQueueUrl: deadLetterQueue.queueUrl,
        maxReceiveCount: config.maxReceiveCount,
        deprovisioning: {
          policy: config.terminationPolicy,
          deleteGraceDays: config.deleteGraceDays,
          brake: {
            windowMinutes: config.deletionBrakeWindowMinutes,
            minimum: config.deletionBrakeMinimum,
            percent: config.deletionBrakePercent,
          },
        },
        hrApis: Object.fromEntries(
          hrApis.map(({ source, apiBaseUrl, credentials }) => [
            source,
            { apiBaseUrl, credentialsSecretId: credentials.secret.secretArn },
          ]),
        ),
      }),
    }).function;
    const maxConcurrency = priority ? Math.max(2, config.priorityReservedConcurrency) : config.maxConcurrency;
    // The bulk lane's own mapping polls it beside the standard one, so a tenant's burst there does
    // not delay the next hire on the standard queue; while both are busy, the CPaaS API sees up to
    // twice `maxConcurrency` batches (its 429s are retried with Retry-After).
    for (const source of bulk === undefined ? [queue] : [queue, bulk]) {
      worker.addEventSource(
        new SqsEventSource(source, {
          batchSize: DEFAULTS.batchSize,
          reportBatchItemFailures: true,
          maxConcurrency,
        }),
      );
    }
    apiKey.grantRead(worker);
    for (const { source, credentials } of hrApis) {
      const facts: HrApiFacts = HR_APIS[source];
      credentials.grantRead(worker);
      // Imported by complete ARN or created here, never by name, so the grant names exactly this secret.
      if (facts.rotatesCredentials === true) credentials.secret.grantWrite(worker);
    }
    grantTenantSecretRead(worker, 'cpaasApiKey');
    grantTenantHrCredentials(worker, HR_API_SOURCES);
    // Item-level access plus the brake's counting Scan: no Query, no batch writes, no table management.
    grantTableActions(worker, WORKER_TABLE_ACTIONS, [table.tableArn]);
    // Permanent failures are dead-lettered by the worker itself, with the reason as attributes.
    deadLetterQueue.grantSendMessages(worker);
    return worker;
  }

  private ingest(
    queues: Queues,
    table: Table,
    webhookSecrets: LifecycleSecret,
  ): { ingest: IFunction; url: FunctionUrl } {
    const ingest = new LifecycleFunction(this, 'Ingest', {
      entry: 'lambdas/ingest/handler.ts',
      description: 'Verifies HRIS webhooks and queues them as lifecycle events',
      timeout: INGEST_TIMEOUT,
      memorySize: MEMORY_MB,
      environment: ingestEnvironment({
        queueUrl: queues.queue.queueUrl,
        priorityQueueUrl: queues.priority.queue.queueUrl,
        bulkQueueUrl: queues.bulk.queue.queueUrl,
        webhookSecretsSecretId: webhookSecrets.secret.secretArn,
        stateTableName: table.tableName,
        secretCacheSeconds: DEFAULTS.secretCacheSeconds,
      }),
    }).function;
    webhookSecrets.grantRead(ingest);
    // The registered tenants: their registry items, and their own signing secrets (not their API keys).
    grantTableActions(ingest, INGEST_TABLE_ACTIONS, [table.tableArn]);
    ingest.addToRolePolicy(
      new PolicyStatement({
        actions: [...INGEST_HANDSHAKE_ACTIONS],
        resources: [table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${HANDSHAKE_KEY_PREFIX}*`] },
        },
      }),
    );
    grantTenantSecretRead(ingest, 'webhookSecrets');
    // Each event goes on its lane's queue; a tenant's hires and changes past its burst allowance on the bulk lane.
    grantSendToLanes(queues, ingest, { bulk: true });
    // A Function URL rather than an HTTP API: the handler routes POST /webhooks/{source},
    // POST /t/{tenant}/webhooks/{source} and GET /healthz itself (a Function URL passes any path),
    // and a URL costs nothing per request.
    return { ingest, url: addPublicUrl(ingest, PUBLIC_URL_REASON) };
  }

  /**
   * The SCIM 2.0 service provider Entra ID and Okta provision users through, on a Function URL of
   * its own: its bearer-token auth and its routes are not the webhooks', and its URL is what the
   * identity provider is given as the tenant URL.
   */
  private scim(
    queues: Queues,
    table: Table,
    scimTokens: LifecycleSecret,
  ): { scim: IFunction; url: FunctionUrl } {
    const scim = new LifecycleFunction(this, 'Scim', {
      entry: 'lambdas/scim/handler.ts',
      description:
        'SCIM 2.0 service provider: keeps identity provider users and queues their lifecycle events',
      timeout: SCIM_TIMEOUT,
      memorySize: MEMORY_MB,
      environment: scimEnvironment({
        stateTableName: table.tableName,
        queueUrl: queues.queue.queueUrl,
        priorityQueueUrl: queues.priority.queue.queueUrl,
        bulkQueueUrl: queues.bulk.queue.queueUrl,
        tokensSecretId: scimTokens.secret.secretArn,
        secretCacheSeconds: DEFAULTS.secretCacheSeconds,
      }),
    }).function;
    scimTokens.grantRead(scim);
    // Each registered tenant's own tokens, for /t/{tenant}/scim/v2 (its registry item is a GetItem).
    grantTenantSecretRead(scim, 'scimTokens');
    grantTableActions(scim, SCIM_TABLE_ACTIONS, [table.tableArn]);
    grantTableActions(
      scim,
      ['dynamodb:Query'],
      [`${table.tableArn}/index/${STATE_TABLE_KEYS.scimIndexName}`],
    );
    // A deactivation or DELETE is a termination: it goes on the priority lane, the rest on the standard one.
    // An identity provider's first cycle is a burst: past its allowance, a tenant's creates go on the bulk lane.
    grantSendToLanes(queues, scim, { bulk: true });
    return { scim, url: addPublicUrl(scim, SCIM_PUBLIC_URL_REASON) };
  }

  private sweep(
    config: StackConfig,
    cpaas: CpaasEnvironmentValues,
    queues: Queues,
    table: Table,
    apiKey: LifecycleSecret,
  ): IFunction {
    const sweep = new LifecycleFunction(this, 'Sweep', {
      entry: 'lambdas/sweep/handler.ts',
      description:
        'Every minute: queues scheduled lifecycle events that fell due, deletes users whose grace ended',
      timeout: SWEEP_TIMEOUT,
      memorySize: MEMORY_MB,
      environment: sweepEnvironment({
        cpaas,
        stateTableName: table.tableName,
        dryRun: config.dryRun,
        queueUrl: queues.queue.queueUrl,
        priorityQueueUrl: queues.priority.queue.queueUrl,
      }),
    }).function;
    apiKey.grantRead(sweep);
    // A grace-period deletion is made in its tenant's account, with that tenant's key.
    grantTenantSecretRead(sweep, 'cpaasApiKey');
    grantTableActions(
      sweep,
      ['dynamodb:Query'],
      [`${table.tableArn}/index/${STATE_TABLE_KEYS.dueIndexName}`],
    );
    grantTableActions(sweep, SWEEP_TABLE_ACTIONS, [table.tableArn]);
    // Due events go back through their lane's queue, so the worker applies them in the employee's FIFO group.
    grantSendToLanes(queues, sweep, { bulk: false });
    new SweepSchedule(this, 'SweepSchedule', { fn: sweep, interval: SWEEP_INTERVAL });
    return sweep;
  }

  private outputs({
    url,
    queue,
    deadLetterQueue,
    priority,
    bulk,
    table,
    sweep,
    alarms,
    dashboard,
    apiKey,
    webhookSecrets,
    scimUrl,
    scimTokens,
    hrApis,
  }: Outputs): void {
    new CfnOutput(this, 'IngestUrl', {
      value: url.url,
      description:
        'Function URL of the ingest Lambda (unauthenticated by design: each request is HMAC-verified)',
    });
    for (const source of SOURCE_NAMES) {
      new CfnOutput(this, outputId('WebhookUrl', source), {
        value: Fn.join('', [url.url, `webhooks/${source}`]),
        description: `Webhook URL to give the HRIS for the "${source}" source`,
      });
    }
    new CfnOutput(this, 'HealthUrl', { value: Fn.join('', [url.url, 'healthz']) });
    new CfnOutput(this, 'ScimUrl', {
      // The Function URL ends in `/`; the identity provider's tenant URL is the SCIM root under it.
      value: Fn.join('', [scimUrl.url, 'scim/v2']),
      description:
        'Tenant URL (Entra ID) or SCIM connector base URL (Okta); the token is in ScimTokensSecretArn',
    });
    new CfnOutput(this, 'QueueUrl', { value: queue.queueUrl });
    new CfnOutput(this, 'DeadLetterQueueUrl', { value: deadLetterQueue.queueUrl });
    new CfnOutput(this, 'PriorityQueueUrl', {
      value: priority.queue.queueUrl,
      description: 'The priority lane (terminations): PRIORITY_QUEUE_URL for the CLI',
    });
    new CfnOutput(this, 'PriorityDeadLetterQueueUrl', {
      value: priority.deadLetterQueue.queueUrl,
      description: 'Terminations that could not be applied: cpaas-lifecycle dlq list --queue-url <this>',
    });
    new CfnOutput(this, 'BulkQueueUrl', {
      value: bulk.queue.queueUrl,
      description: "The bulk lane (a tenant's hires and changes beyond its burst allowance)",
    });
    new CfnOutput(this, 'BulkDeadLetterQueueUrl', {
      value: bulk.deadLetterQueue.queueUrl,
      description: 'Bulk-lane events SQS dead-lettered: cpaas-lifecycle dlq list --queue-url <this>',
    });
    new CfnOutput(this, 'StateTableName', { value: table.tableName });
    new CfnOutput(this, 'SweepFunctionName', {
      value: sweep.functionName,
      description:
        'The every-minute sweep (aws lambda invoke it to run one sweep now; its logs say what it did)',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: alarms.topic.topicArn });
    new CfnOutput(this, 'DashboardName', {
      value: dashboard.dashboard.dashboardName,
      description:
        'The CloudWatch dashboard to open first: alarms, outcomes, DLQ depth, queue age, revoke latency',
    });
    new CfnOutput(this, 'ApiKeySecretArn', { value: apiKey.secret.secretArn });
    new CfnOutput(this, 'WebhookSecretsSecretArn', { value: webhookSecrets.secret.secretArn });
    for (const { source, credentials } of hrApis) {
      const { title, constructId, credentials: shape } = HR_APIS[source];
      new CfnOutput(this, `${constructId}CredentialsSecretArn`, {
        value: credentials.secret.secretArn,
        description: `The ${title} API credentials the workers fetch people with: ${shape}`,
      });
    }
    new CfnOutput(this, 'ScimTokensSecretArn', {
      value: scimTokens.secret.secretArn,
      description:
        'The SCIM bearer token: aws secretsmanager get-secret-value --secret-id <this> (field current)',
    });
  }
}

/**
 * Adds the stack to `app` from its context, with the AwsSolutions checks as an aspect: an
 * unsuppressed finding becomes an error annotation, which fails `cdk synth` and therefore CI.
 * The CDK app and the tests both build through here, so the tests check what is deployed.
 */
export function addLifecycleStack(app: App): LifecycleStack {
  const config = parseStackConfig((key) => app.node.tryGetContext(key));
  // Environment-agnostic on purpose: `npm run synth` must work offline, without AWS credentials.
  const stack = new LifecycleStack(app, STACK_NAME, {
    config,
    description: 'cpaas-lifecycle: HRIS webhooks to CPaaS VoIP users',
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return stack;
}
