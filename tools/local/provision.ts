import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type CpaasEnvironmentValues,
  type HrApiSettingsBySource,
  ingestEnvironment,
  scimEnvironment,
  sweepEnvironment,
  workerEnvironment,
} from '../../lambdas/contract/environment.js';
import {
  DEFAULTS,
  HR_API_SOURCES,
  type HrApiSource,
  hrCredentialsSecretName,
} from '../../lambdas/contract/settings.js';
import { type KeyAttribute, STATE_TABLE } from '../../lambdas/contract/state-table.js';
import type { Lane } from '../../lambdas/core/events/lane.js';
import { generateScimToken, scimTokensSecretString } from '../../lambdas/scim/bearer-tokens.js';
import { createOrReplaceSecret } from '../operations/secrets.js';

/** Where the AWS SDK clients of the local mode point: moto_server, or any endpoint the user gives. */
export interface AwsEndpointConfig {
  readonly endpoint: string;
  readonly region: string;
  readonly credentials: { readonly accessKeyId: string; readonly secretAccessKey: string };
}

/** Resource names; each defaults to the stack's name from `DEFAULTS`. */
export interface ResourceNames {
  readonly queueName: string;
  readonly deadLetterQueueName: string;
  readonly priorityQueueName: string;
  readonly priorityDeadLetterQueueName: string;
  readonly bulkQueueName: string;
  readonly bulkDeadLetterQueueName: string;
  readonly stateTableName: string;
  readonly apiKeySecretName: string;
  readonly webhookSecretsSecretName: string;
  readonly scimTokensSecretName: string;
  /** Each HR API's credentials secret. */
  readonly hrCredentialsSecretNames: Readonly<Record<HrApiSource, string>>;
}

export interface ProvisionOptions {
  readonly names?: Partial<ResourceNames>;
  /**
   * The stack uses 6x the worker timeout; locally a failed message should come back in seconds,
   * so the local mode passes a short value here.
   */
  readonly visibilityTimeoutSeconds?: number;
  readonly maxReceiveCount?: number;
  /** The CPaaS API key the worker reads from Secrets Manager. */
  readonly apiKey: string;
  /** Signing secrets per ingest source: `{ "standard": ["whsec_..."] }`. */
  readonly webhookSecrets: Readonly<Record<string, readonly string[]>>;
  /** The SCIM bearer token an identity provider (or a test) sends; a generated one when absent. */
  readonly scimToken?: string;
  /** Per HR API, the credentials secret's JSON the worker fetches people with; no secret for a source left out. */
  readonly hrCredentials?: Partial<Readonly<Record<HrApiSource, string>>>;
}

/** One lane's FIFO queue and the DLQ it redrives to. */
export interface LaneResources {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly deadLetterQueueUrl: string;
  readonly deadLetterQueueArn: string;
}

/**
 * What `provisionLocalResources` created, with the ids the handlers and the CLI need. The
 * standard lane's queue and DLQ are at the top level, as before the priority lane existed.
 */
export interface ProvisionedResources extends LaneResources {
  readonly priority: LaneResources;
  /** A tenant's overflow (`BurstMeter`), drained by the standard worker. */
  readonly bulk: LaneResources;
  readonly stateTableName: string;
  readonly apiKeySecretId: string;
  readonly webhookSecretsSecretId: string;
  readonly scimTokensSecretId: string;
  /** The credentials secrets created, for the sources `hrCredentials` named. */
  readonly hrCredentialsSecretIds: Partial<Readonly<Record<HrApiSource, string>>>;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

export function resolveNames(names: Partial<ResourceNames> = {}): ResourceNames {
  return {
    queueName: names.queueName ?? DEFAULTS.queueName,
    deadLetterQueueName: names.deadLetterQueueName ?? DEFAULTS.deadLetterQueueName,
    priorityQueueName: names.priorityQueueName ?? DEFAULTS.priorityQueueName,
    priorityDeadLetterQueueName: names.priorityDeadLetterQueueName ?? DEFAULTS.priorityDeadLetterQueueName,
    bulkQueueName: names.bulkQueueName ?? DEFAULTS.bulkQueueName,
    bulkDeadLetterQueueName: names.bulkDeadLetterQueueName ?? DEFAULTS.bulkDeadLetterQueueName,
    stateTableName: names.stateTableName ?? DEFAULTS.stateTableName,
    apiKeySecretName: names.apiKeySecretName ?? DEFAULTS.apiKeySecretName,
    webhookSecretsSecretName: names.webhookSecretsSecretName ?? DEFAULTS.webhookSecretsSecretName,
    scimTokensSecretName: names.scimTokensSecretName ?? DEFAULTS.scimTokensSecretName,
    hrCredentialsSecretNames:
      names.hrCredentialsSecretNames ??
      (Object.fromEntries(
        HR_API_SOURCES.map((source) => [source, hrCredentialsSecretName(source)]),
      ) as Record<HrApiSource, string>),
  };
}

async function queueArnOf(sqs: SQSClient, queueUrl: string): Promise<string> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }),
  );
  const arn = Attributes?.QueueArn;
  if (!arn) throw new Error(`queue ${queueUrl} has no QueueArn`);
  return arn;
}

async function createFifoQueue(
  sqs: SQSClient,
  name: string,
  attributes: Record<string, string>,
): Promise<{ url: string; arn: string }> {
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true', ...attributes } }),
  );
  if (!QueueUrl) throw new Error(`CreateQueue returned no URL for ${name}`);
  return { url: QueueUrl, arn: await queueArnOf(sqs, QueueUrl) };
}

function keySchema(partitionKey: KeyAttribute, sortKey?: KeyAttribute): CreateTableCommandInput['KeySchema'] {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey === undefined ? [] : [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }]),
  ];
}

/** `STATE_TABLE` as a CreateTable input: the table's and its indexes' key attributes, each listed once. */
function stateTableInput(tableName: string): CreateTableCommandInput {
  const indexes = STATE_TABLE.globalSecondaryIndexes;
  const keys = [
    STATE_TABLE.partitionKey,
    ...indexes.flatMap(({ partitionKey, sortKey }) => (sortKey ? [partitionKey, sortKey] : [partitionKey])),
  ];
  const types = new Map(keys.map((key) => [key.name, key.type]));
  return {
    TableName: tableName,
    BillingMode: STATE_TABLE.billing,
    AttributeDefinitions: [...types].map(([name, type]) => ({ AttributeName: name, AttributeType: type })),
    KeySchema: keySchema(STATE_TABLE.partitionKey),
    GlobalSecondaryIndexes: indexes.map((index) => ({
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: { ProjectionType: index.projection },
    })),
  };
}

async function createStateTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(new CreateTableCommand(stateTableInput(tableName)));
  } catch (error) {
    // A second `npm start` against the same endpoint reuses the table and its state.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await dynamodb.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: STATE_TABLE.timeToLiveAttribute, Enabled: true },
    }),
  );
}

/**
 * Creates the stack's queues, state table and secrets on a local AWS endpoint, from the same
 * names and limits the CDK stack uses (`DEFAULTS`), so the local pipeline redrives, expires and
 * reads secrets exactly like the deployed one. Safe to run again: existing resources are reused
 * and the secrets get the new values.
 */
export async function provisionLocalResources(
  aws: AwsEndpointConfig,
  options: ProvisionOptions,
): Promise<ProvisionedResources> {
  const names = resolveNames(options.names);
  const maxReceiveCount = options.maxReceiveCount ?? DEFAULTS.maxReceiveCount;
  const visibilityTimeoutSeconds = options.visibilityTimeoutSeconds ?? DEFAULTS.visibilityTimeoutSeconds;
  const sqs = new SQSClient(aws);
  const dynamodb = new DynamoDBClient(aws);
  const secrets = new SecretsManagerClient(aws);
  try {
    const retentionSeconds = String(DEFAULTS.deadLetterRetentionDays * 24 * 3600);
    const lane = async (queueName: string, deadLetterQueueName: string): Promise<LaneResources> => {
      const deadLetter = await createFifoQueue(sqs, deadLetterQueueName, {
        MessageRetentionPeriod: retentionSeconds,
      });
      const queue = await createFifoQueue(sqs, queueName, {
        VisibilityTimeout: String(visibilityTimeoutSeconds),
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: deadLetter.arn, maxReceiveCount }),
      });
      return {
        queueUrl: queue.url,
        queueArn: queue.arn,
        deadLetterQueueUrl: deadLetter.url,
        deadLetterQueueArn: deadLetter.arn,
      };
    };
    const [standard, priority, bulk] = await Promise.all([
      lane(names.queueName, names.deadLetterQueueName),
      lane(names.priorityQueueName, names.priorityDeadLetterQueueName),
      lane(names.bulkQueueName, names.bulkDeadLetterQueueName),
    ]);
    const scimTokens = scimTokensSecretString(options.scimToken ?? generateScimToken());
    const hrCredentials = Object.entries(options.hrCredentials ?? {}) as [HrApiSource, string][];
    const [, apiKeySecretId, webhookSecretsSecretId, scimTokensSecretId, hrCredentialsSecretIds] =
      await Promise.all([
        createStateTable(dynamodb, names.stateTableName),
        createOrReplaceSecret(secrets, names.apiKeySecretName, options.apiKey),
        createOrReplaceSecret(
          secrets,
          names.webhookSecretsSecretName,
          JSON.stringify(options.webhookSecrets),
        ),
        createOrReplaceSecret(secrets, names.scimTokensSecretName, scimTokens),
        Promise.all(
          hrCredentials.map(async ([source, credentials]) => [
            source,
            await createOrReplaceSecret(secrets, names.hrCredentialsSecretNames[source], credentials),
          ]),
        ).then((ids) => Object.fromEntries(ids) as Partial<Record<HrApiSource, string>>),
      ]);
    return {
      ...standard,
      priority,
      bulk,
      stateTableName: names.stateTableName,
      apiKeySecretId,
      webhookSecretsSecretId,
      scimTokensSecretId,
      hrCredentialsSecretIds,
      maxReceiveCount,
      visibilityTimeoutSeconds,
    };
  } finally {
    sqs.destroy();
    dynamodb.destroy();
    secrets.destroy();
  }
}

/** The CPaaS endpoint the worker talks to. */
export interface CpaasTarget {
  readonly baseUrl: string;
  readonly accountId: string;
}

/**
 * The environment of all four handlers, built by the same builders the stack uses (one process
 * runs them all, so their maps are merged), plus the AWS SDK's own variables so the handlers'
 * lazily built clients reach the local endpoint. The worker's part is that of `lane`'s worker
 * (its own DLQ), as the stack deploys one worker function per lane.
 */
export function handlerEnvironment(
  aws: AwsEndpointConfig,
  resources: ProvisionedResources,
  cpaas: CpaasTarget,
  lane: Lane = 'standard',
  /** Where the HR APIs the worker fetches from are (the bundled fakes in local mode); each needs its credentials secret. */
  hrApiBaseUrls: Partial<Readonly<Record<HrApiSource, string>>> = {},
): Record<string, string> {
  const hrApis: Partial<Record<HrApiSource, { apiBaseUrl: string; credentialsSecretId: string }>> = {};
  for (const [source, apiBaseUrl] of Object.entries(hrApiBaseUrls) as [HrApiSource, string][]) {
    const credentialsSecretId = resources.hrCredentialsSecretIds[source];
    if (credentialsSecretId !== undefined) hrApis[source] = { apiBaseUrl, credentialsSecretId };
  }
  const cpaasValues: CpaasEnvironmentValues = {
    baseUrl: cpaas.baseUrl,
    accountId: cpaas.accountId,
    apiKeySecretId: resources.apiKeySecretId,
    allowInsecureHttp: cpaas.baseUrl.startsWith('http://'),
  };
  return {
    ...ingestEnvironment({
      queueUrl: resources.queueUrl,
      priorityQueueUrl: resources.priority.queueUrl,
      bulkQueueUrl: resources.bulk.queueUrl,
      webhookSecretsSecretId: resources.webhookSecretsSecretId,
      stateTableName: resources.stateTableName,
    }),
    ...workerEnvironment({
      cpaas: cpaasValues,
      stateTableName: resources.stateTableName,
      deadLetterQueueUrl: (lane === 'priority' ? resources.priority : resources).deadLetterQueueUrl,
      maxReceiveCount: resources.maxReceiveCount,
      hrApis: hrApis satisfies HrApiSettingsBySource,
    }),
    ...sweepEnvironment({
      cpaas: cpaasValues,
      stateTableName: resources.stateTableName,
      queueUrl: resources.queueUrl,
      priorityQueueUrl: resources.priority.queueUrl,
    }),
    ...scimEnvironment({
      stateTableName: resources.stateTableName,
      queueUrl: resources.queueUrl,
      priorityQueueUrl: resources.priority.queueUrl,
      bulkQueueUrl: resources.bulk.queueUrl,
      tokensSecretId: resources.scimTokensSecretId,
    }),
    AWS_ENDPOINT_URL: aws.endpoint,
    AWS_REGION: aws.region,
    AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
  };
}
