import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks, NIST80053R5Checks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
  DEFAULT_PRIORITY_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
} from '../../infra/config.js';
import { FAILURES_BY_TENANT_QUERY, topTenantsQuery } from '../../infra/lifecycle-dashboard.js';
import {
  addLifecycleStack,
  INGEST_HANDSHAKE_ACTIONS,
  INGEST_TABLE_ACTIONS,
  type LifecycleStack,
  PUBLIC_URL_RULES,
  SCIM_TABLE_ACTIONS,
  SWEEP_TABLE_ACTIONS,
  WORKER_TABLE_ACTIONS,
} from '../../infra/lifecycle-stack.js';
import { tenantHrCredentialsNamePattern, tenantSecretNamePattern } from '../../infra/tenant-secrets.js';
import { ENV } from '../../lambdas/contract/environment.js';
import {
  DEFAULTS,
  HR_API_SOURCES,
  HR_APIS,
  type HrApiFacts,
  hrCredentialsSecretName,
  METRICS,
  SCIM_TOKENS_SECRET_FIELDS,
  SERVICE_NAMES,
  TENANT_DIMENSION,
} from '../../lambdas/contract/settings.js';
import { HANDSHAKE_KEY_PREFIX, STATE_TABLE_KEYS } from '../../lambdas/contract/state-table.js';
import type { TenantSecretKind } from '../../lambdas/contract/tenants.js';
import { SOURCE_LOADERS } from '../../lambdas/ingest/sources/source-loaders.js';
import { powertoolsMetrics } from '../../lambdas/worker/metrics.js';

const committedContext: Record<string, unknown> = JSON.parse(readFileSync('cdk.json', 'utf8')).context;

interface Synthesized {
  app: App;
  stack: LifecycleStack;
  template: Template;
}

/** Builds the app the way `cdk synth` does, from the committed cdk.json plus `-c`-style overrides. */
function synthesize(overrides: Record<string, unknown>, { bundle }: { bundle: boolean }): Synthesized {
  const app = new App({
    context: {
      ...committedContext,
      ...overrides,
      // An empty list skips esbuild for every stack; only the default synth pays for real bundles.
      ...(bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const stack = addLifecycleStack(app);
  return { app, stack, template: Template.fromStack(stack) };
}

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** The one EMF document `emit` writes to stdout (Powertools Metrics writes EMF there, as in Lambda). */
function emittedMetric(emit: () => void): EmfDocument {
  // As in Lambda: POWERTOOLS_DEV in a developer's shell would disable metrics and print to console.
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    emit();
  } finally {
    write.mockRestore();
    vi.unstubAllEnvs();
  }
  const documents = lines.filter((line) => line.includes('"_aws"')).map((line) => JSON.parse(line));
  expect(documents).toHaveLength(1);
  return documents[0] as EmfDocument;
}

type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

function logicalIdOf(template: Template, type: string, properties: Record<string, unknown>): string {
  const ids = Object.keys(template.findResources(type, { Properties: properties }));
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

/** The function whose Description matches: worker and ingest are told apart by what they do. */
function functionWith(template: Template, description: RegExp): Resources[string] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
  const fn = functions.find((f) => description.test(String(f.Properties.Description)));
  if (!fn) throw new Error(`no function described as ${description}`);
  return fn;
}

interface Statement {
  Action: string | string[];
  Effect: string;
  Resource: unknown;
  Condition?: unknown;
}

/** Every statement of the policies attached to the role of the function with this description. */
function statementsOf(template: Template, functionDescription: RegExp): Statement[] {
  const fn = functionWith(template, functionDescription);
  const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources).filter((policy) =>
    JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
  );
  expect(policies.length).toBeGreaterThan(0);
  const role = (template.findResources('AWS::IAM::Role') as Resources)[roleId];
  expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
  return policies.flatMap(
    (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

/** A secret name pattern as the stack writes it into an ARN. */
const secretPatternArn = (pattern: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':secretsmanager:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:secret:${pattern}`,
    ],
  ],
});

/** Every registered tenant's secrets of one kind, by name: the tenant id and the random suffix matched. */
const tenantSecretsArn = (kind: TenantSecretKind) => secretPatternArn(tenantSecretNamePattern(kind));

/** Every registered tenant's credentials of each HR API, which only the workers read. */
const TENANT_HR_CREDENTIALS = HR_API_SOURCES.map((source) =>
  secretPatternArn(tenantHrCredentialsNamePattern(source)),
);

/** The one statement that lets a function read every tenant's API key: GetSecretValue on the name pattern. */
const TENANT_KEYS = tenantSecretsArn('cpaasApiKey');

/** The function's statements but those on tenants' secrets by name pattern, which alone may hold a wildcard. */
function withoutTenantKeys(statements: Statement[]): Statement[] {
  const patterns = [TENANT_KEYS, ...TENANT_HR_CREDENTIALS].map((arn) => JSON.stringify(arn));
  return statements.filter((s) => !patterns.includes(JSON.stringify(s.Resource)));
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

/** The statement granting it: GetSecretValue only. */
const isTenantSecretsGrant = (statement: Statement) =>
  JSON.stringify(statement.Resource).includes(':secret:cpaas-lifecycle/tenants/');
const WORKER = /lifecycle events from the FIFO queue/;
const PRIORITY_WORKER = /terminations from the priority FIFO queue/;
const INGEST = /Verifies HRIS webhooks/;
const SWEEP = /Every minute: queues scheduled/;
const SCIM = /SCIM 2.0 service provider/;

/** The logical id of the function with this description, as `Ref`/`GetAtt` name it. */
function functionIdOf(template: Template, description: RegExp): string {
  const functions = template.findResources('AWS::Lambda::Function') as Resources;
  const id = Object.keys(functions).find((key) =>
    description.test(String(functions[key]?.Properties.Description)),
  );
  if (!id) throw new Error(`no function described as ${description}`);
  return id;
}

describe('LifecycleStack with the committed cdk.json (bundled)', () => {
  let synthesized: Synthesized;
  let template: Template;
  let ids: {
    queue: string;
    deadLetterQueue: string;
    priorityQueue: string;
    priorityDeadLetterQueue: string;
    bulkQueue: string;
    bulkDeadLetterQueue: string;
    apiKey: string;
    webhookSecrets: string;
    scimTokens: string;
    table: string;
    topic: string;
  };

  afterAll(() => rmSync(synthesized.app.outdir, { recursive: true, force: true }));

  beforeAll(() => {
    synthesized = synthesize({}, { bundle: true });
    template = synthesized.template;
    ids = {
      queue: logicalIdOf(template, 'AWS::SQS::Queue', { QueueName: DEFAULTS.queueName }),
      deadLetterQueue: logicalIdOf(template, 'AWS::SQS::Queue', { QueueName: DEFAULTS.deadLetterQueueName }),
      priorityQueue: logicalIdOf(template, 'AWS::SQS::Queue', { QueueName: DEFAULTS.priorityQueueName }),
      priorityDeadLetterQueue: logicalIdOf(template, 'AWS::SQS::Queue', {
        QueueName: DEFAULTS.priorityDeadLetterQueueName,
      }),
      bulkQueue: logicalIdOf(template, 'AWS::SQS::Queue', { QueueName: DEFAULTS.bulkQueueName }),
      bulkDeadLetterQueue: logicalIdOf(template, 'AWS::SQS::Queue', {
        QueueName: DEFAULTS.bulkDeadLetterQueueName,
      }),
      apiKey: logicalIdOf(template, 'AWS::SecretsManager::Secret', { Name: DEFAULTS.apiKeySecretName }),
      webhookSecrets: logicalIdOf(template, 'AWS::SecretsManager::Secret', {
        Name: DEFAULTS.webhookSecretsSecretName,
      }),
      scimTokens: logicalIdOf(template, 'AWS::SecretsManager::Secret', {
        Name: DEFAULTS.scimTokensSecretName,
      }),
      table: logicalIdOf(template, 'AWS::DynamoDB::Table', { TableName: DEFAULTS.stateTableName }),
      topic: logicalIdOf(template, 'AWS::SNS::Topic', {}),
    };
  });

  describe('queues', () => {
    it('are FIFO with SQS-managed encryption and keep messages 14 days', () => {
      expect(DEFAULTS.deadLetterRetentionDays).toBe(14);
      for (const name of [
        DEFAULTS.queueName,
        DEFAULTS.deadLetterQueueName,
        DEFAULTS.priorityQueueName,
        DEFAULTS.priorityDeadLetterQueueName,
        DEFAULTS.bulkQueueName,
        DEFAULTS.bulkDeadLetterQueueName,
      ]) {
        template.hasResourceProperties('AWS::SQS::Queue', {
          QueueName: name,
          FifoQueue: true,
          SqsManagedSseEnabled: true,
          MessageRetentionPeriod: 14 * 24 * 3600,
        });
      }
    });

    it('redrive to the DLQ after maxReceiveCount receives', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: DEFAULTS.queueName,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] },
          maxReceiveCount: DEFAULTS.maxReceiveCount,
        },
      });
    });

    it('hide a received message for at least 6x the worker timeout', () => {
      const queue = template.findResources('AWS::SQS::Queue')[ids.queue];
      const worker = functionWith(template, WORKER);
      const visibility = queue?.Properties.VisibilityTimeout as number;
      expect(visibility).toBe(DEFAULTS.visibilityTimeoutSeconds);
      expect(worker.Properties.Timeout).toBe(DEFAULTS.workerTimeoutSeconds);
      expect(visibility).toBeGreaterThanOrEqual(6 * (worker.Properties.Timeout as number));
    });

    it('deny every request that is not over TLS', () => {
      for (const id of [ids.queue, ids.deadLetterQueue]) {
        template.hasResourceProperties('AWS::SQS::QueuePolicy', {
          Queues: [{ Ref: id }],
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 'sqs:*',
                Principal: { AWS: '*' },
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
      }
    });
  });

  it('feeds the worker from the queue in batches of at most 10 with partial failure reporting', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      BatchSize: DEFAULTS.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: DEFAULTS.maxConcurrency },
    });
    expect(DEFAULTS.batchSize).toBeLessThanOrEqual(10);
    // FIFO event sources reject a batching window.
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'))[0];
    expect(mapping?.Properties.MaximumBatchingWindowInSeconds).toBeUndefined();
  });

  describe('priority lane', () => {
    it('is a FIFO queue of its own that redrives to a DLQ of its own', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: DEFAULTS.priorityQueueName,
        VisibilityTimeout: DEFAULTS.visibilityTimeoutSeconds,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [ids.priorityDeadLetterQueue, 'Arn'] },
          maxReceiveCount: DEFAULTS.maxReceiveCount,
        },
      });
    });

    it('feeds a worker function of its own, with reserved concurrency its mapping matches', () => {
      const priorityWorker = functionIdOf(template, PRIORITY_WORKER);
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.priorityQueue, 'Arn'] },
        FunctionName: { Ref: priorityWorker },
        BatchSize: DEFAULTS.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: DEFAULTS.priorityReservedConcurrency },
      });
      expect(functionWith(template, PRIORITY_WORKER).Properties).toMatchObject({
        ReservedConcurrentExecutions: DEFAULTS.priorityReservedConcurrency,
        Timeout: DEFAULTS.workerTimeoutSeconds,
        Environment: { Variables: { [ENV.deadLetterQueueUrl]: { Ref: ids.priorityDeadLetterQueue } } },
      });
      // The standard lane keeps its mapping's cap and reserves nothing: no backlog there can take
      // the priority lane's capacity, and it reserves none of the account's.
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        FunctionName: { Ref: functionIdOf(template, WORKER) },
      });
      expect(functionWith(template, WORKER).Properties.ReservedConcurrentExecutions).toBeUndefined();
      expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(3);
    });

    it('gives ingest and the sweep both lanes through the ENV names', () => {
      for (const description of [INGEST, SWEEP]) {
        expect(functionWith(template, description).Properties.Environment).toMatchObject({
          Variables: {
            [ENV.queueUrl]: { Ref: ids.queue },
            [ENV.priorityQueueUrl]: { Ref: ids.priorityQueue },
          },
        });
      }
    });
  });

  describe('bulk lane', () => {
    it('is a FIFO queue of its own that redrives to a DLQ of its own (one source queue per DLQ, for `dlq redrive`)', () => {
      template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: DEFAULTS.bulkQueueName,
        VisibilityTimeout: DEFAULTS.visibilityTimeoutSeconds,
        RedrivePolicy: {
          deadLetterTargetArn: { 'Fn::GetAtt': [ids.bulkDeadLetterQueue, 'Arn'] },
          maxReceiveCount: DEFAULTS.maxReceiveCount,
        },
      });
    });

    it("feeds the standard worker through a mapping of its own, with the standard mapping's cap", () => {
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: { 'Fn::GetAtt': [ids.bulkQueue, 'Arn'] },
        FunctionName: { Ref: functionIdOf(template, WORKER) },
        BatchSize: DEFAULTS.batchSize,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: DEFAULTS.maxConcurrency },
      });
    });

    it('is given to ingest and SCIM (the producers of bursts), not to the sweep', () => {
      for (const description of [INGEST, SCIM]) {
        expect(functionWith(template, description).Properties.Environment).toMatchObject({
          Variables: { [ENV.bulkQueueUrl]: { Ref: ids.bulkQueue } },
        });
      }
      expect(JSON.stringify(functionWith(template, SWEEP).Properties.Environment)).not.toContain(
        ENV.bulkQueueUrl,
      );
    });
  });

  it('stores state on demand with PITR, TTL, encryption, and keeps the table on destroy', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        TableName: DEFAULTS.stateTableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: STATE_TABLE_KEYS.partitionKey, KeyType: 'HASH' }],
        AttributeDefinitions: Match.arrayWith([
          { AttributeName: STATE_TABLE_KEYS.partitionKey, AttributeType: 'S' },
        ]),
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: STATE_TABLE_KEYS.ttlAttribute, Enabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('indexes due items in the sparse "due" GSI: constant shard, ISO time, whole items', () => {
    const table = template.findResources('AWS::DynamoDB::Table')[ids.table];
    expect(table?.Properties.GlobalSecondaryIndexes).toEqual([
      {
        IndexName: STATE_TABLE_KEYS.dueIndexName,
        KeySchema: [
          { AttributeName: STATE_TABLE_KEYS.dueIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: STATE_TABLE_KEYS.dueIndexSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
      {
        IndexName: STATE_TABLE_KEYS.scimIndexName,
        KeySchema: [
          { AttributeName: STATE_TABLE_KEYS.scimIndexPartitionKey, KeyType: 'HASH' },
          { AttributeName: STATE_TABLE_KEYS.scimIndexSortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ]);
    expect(STATE_TABLE_KEYS).toMatchObject({ dueIndexName: 'due', dueIndexPartitionKey: 'dueShard' });
    expect(table?.Properties.AttributeDefinitions).toEqual(
      expect.arrayContaining([
        { AttributeName: STATE_TABLE_KEYS.dueIndexPartitionKey, AttributeType: 'S' },
        { AttributeName: STATE_TABLE_KEYS.dueIndexSortKey, AttributeType: 'S' },
      ]),
    );
  });

  it('creates both secrets empty, with instructions, and retains them on destroy', () => {
    for (const id of [ids.apiKey, ids.webhookSecrets]) {
      const secret = template.findResources('AWS::SecretsManager::Secret')[id];
      expect(secret?.DeletionPolicy).toBe('Retain');
      expect(secret?.Properties.SecretString).toBeUndefined();
      expect(secret?.Properties.GenerateSecretString).toBeUndefined();
      expect(secret?.Properties.Description).toMatch(/put-secret-value/);
    }
    const webhook = template.findResources('AWS::SecretsManager::Secret')[ids.webhookSecrets];
    expect(webhook?.Properties.Description).toContain('{"standard":["whsec_..."],"merge":["..."]}');
  });

  it('creates the SCIM tokens secret with a generated current token, never a value in the template', () => {
    const secret = template.findResources('AWS::SecretsManager::Secret')[ids.scimTokens];
    expect(secret?.DeletionPolicy).toBe('Retain');
    expect(secret?.Properties.SecretString).toBeUndefined();
    expect(secret?.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{}',
      GenerateStringKey: SCIM_TOKENS_SECRET_FIELDS.current,
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
    expect(secret?.Properties.Description).toContain('"current"');
  });

  describe('functions', () => {
    it('run nodejs24.x on arm64 with JSON logs at INFO (platform at WARN) into a log group that expires', () => {
      const functions = Object.values(template.findResources('AWS::Lambda::Function') as Resources);
      expect(functions).toHaveLength(5);
      for (const fn of functions) {
        expect(fn.Properties).toMatchObject({
          Runtime: 'nodejs24.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
        });
        const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
        const logGroup = template.findResources('AWS::Logs::LogGroup')[logGroupId];
        expect(logGroup?.Properties.RetentionInDays).toBe(30);
      }
    });

    it('give the worker its settings through the ENV names', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(WORKER.source),
        Timeout: DEFAULTS.workerTimeoutSeconds,
        Environment: {
          Variables: {
            [ENV.cpaasBaseUrl]: committedContext.cpaasBaseUrl,
            [ENV.cpaasAccountId]: { Ref: 'CpaasAccountId' },
            [ENV.cpaasApiKeySecretId]: { Ref: ids.apiKey },
            [ENV.stateTableName]: { Ref: ids.table },
            [ENV.deadLetterQueueUrl]: { Ref: ids.deadLetterQueue },
            [ENV.maxReceiveCount]: String(DEFAULTS.maxReceiveCount),
            [ENV.terminationPolicy]: DEFAULTS.terminationPolicy,
            [ENV.dryRun]: 'false',
            [ENV.secretCacheSeconds]: String(DEFAULTS.secretCacheSeconds),
            [ENV.deleteGraceDays]: String(DEFAULTS.deleteGraceDays),
            [ENV.deletionBrakeWindowMinutes]: String(DEFAULTS.deletionBrake.windowMinutes),
            [ENV.deletionBrakeMinimum]: String(DEFAULTS.deletionBrake.minimum),
            [ENV.deletionBrakePercent]: String(DEFAULTS.deletionBrake.percent),
          },
        },
      });
    });

    it('give the sweep the CPaaS settings, the table and the lifecycle queue', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(SWEEP.source),
        Environment: {
          Variables: {
            [ENV.cpaasBaseUrl]: committedContext.cpaasBaseUrl,
            [ENV.cpaasAccountId]: { Ref: 'CpaasAccountId' },
            [ENV.cpaasApiKeySecretId]: { Ref: ids.apiKey },
            [ENV.stateTableName]: { Ref: ids.table },
            [ENV.queueUrl]: { Ref: ids.queue },
            [ENV.dryRun]: 'false',
            [ENV.secretCacheSeconds]: String(DEFAULTS.secretCacheSeconds),
          },
        },
      });
    });

    it('end a sweep run before the next tick, and never retry one (the next tick is the retry)', () => {
      const sweep = functionWith(template, SWEEP);
      expect(sweep.Properties.Timeout).toBeLessThan(DEFAULTS.sweepIntervalSeconds);
      expect(sweep.Properties.ReservedConcurrentExecutions).toBeUndefined();
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: functionIdOf(template, SWEEP) },
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: DEFAULTS.sweepIntervalSeconds,
      });
    });

    it('give the ingest function only the queue, the webhook secrets and the table (the tenant registry)', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(INGEST.source),
        Environment: {
          Variables: {
            [ENV.queueUrl]: { Ref: ids.queue },
            [ENV.webhookSecretsSecretId]: { Ref: ids.webhookSecrets },
            [ENV.stateTableName]: { Ref: ids.table },
            [ENV.secretCacheSeconds]: String(DEFAULTS.secretCacheSeconds),
          },
        },
      });
    });

    it('give the SCIM function the table, both lanes and the tokens secret', () => {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp(SCIM.source),
        Handler: 'index.handler',
        Timeout: 10,
        Environment: {
          Variables: {
            [ENV.stateTableName]: { Ref: ids.table },
            [ENV.queueUrl]: { Ref: ids.queue },
            [ENV.priorityQueueUrl]: { Ref: ids.priorityQueue },
            [ENV.scimTokensSecretId]: { Ref: ids.scimTokens },
            [ENV.secretCacheSeconds]: String(DEFAULTS.secretCacheSeconds),
          },
        },
      });
    });

    it('asks for the CPaaS account id at deploy time when context does not give it', () => {
      template.hasParameter('CpaasAccountId', { Type: 'String', AllowedPattern: '^[A-Za-z0-9]{32}$' });
    });
  });

  describe('least privilege', () => {
    it('the worker reads the API keys only, consumes the queue, writes the table and sends only to the DLQ', () => {
      const statements = statementsOf(template, WORKER);
      const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      expect(onSecrets.map((s) => s.Resource)).toEqual([
        { Ref: ids.apiKey },
        TENANT_KEYS,
        ...TENANT_HR_CREDENTIALS,
      ]);
      expect(onSecrets.map(actionsOf)[1]).toEqual(['secretsmanager:GetSecretValue']);
      // Each tenant's HR credentials: read, and written back only for a provider whose tokens rotate.
      HR_API_SOURCES.forEach((source, index) => {
        const facts: HrApiFacts = HR_APIS[source];
        expect(onSecrets.map(actionsOf)[2 + index]).toEqual([
          'secretsmanager:GetSecretValue',
          ...(facts.rotatesCredentials === true ? ['secretsmanager:PutSecretValue'] : []),
        ]);
      });
      expect(JSON.stringify(statements)).not.toContain(ids.webhookSecrets);
      const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      expect(sends.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.deadLetterQueue, 'Arn'] }]);
      const consumes = statements.filter((s) => actionsOf(s).includes('sqs:DeleteMessage'));
      expect(consumes.map((s) => s.Resource)).toEqual([
        { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        { 'Fn::GetAtt': [ids.bulkQueue, 'Arn'] },
      ]);
      for (const statement of withoutTenantKeys(statements)) {
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
      }
      const tableActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
      expect(tableActions.sort()).toEqual([...WORKER_TABLE_ACTIONS].sort());
      const onTable = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      // The table itself, not `<table>/index/*`: the worker reads no index.
      expect(onTable.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.table, 'Arn'] }]);
    });

    it("the priority lane's worker consumes only its queue and sends only to its own DLQ, with the worker's table grants", () => {
      const statements = statementsOf(template, PRIORITY_WORKER);
      const sends = statements.filter((s) => actionsOf(s).includes('sqs:SendMessage'));
      expect(sends.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.priorityDeadLetterQueue, 'Arn'] }]);
      const consumes = statements.filter((s) => actionsOf(s).includes('sqs:DeleteMessage'));
      expect(consumes.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': [ids.priorityQueue, 'Arn'] }]);
      const tableActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('dynamodb:'));
      expect(tableActions.sort()).toEqual([...WORKER_TABLE_ACTIONS].sort());
      const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      expect(onSecrets.map((s) => s.Resource)).toEqual([
        { Ref: ids.apiKey },
        TENANT_KEYS,
        ...TENANT_HR_CREDENTIALS,
      ]);
      for (const id of [ids.queue, ids.deadLetterQueue, ids.webhookSecrets]) {
        expect(JSON.stringify(statements)).not.toContain(`"${id}"`);
      }
      for (const statement of withoutTenantKeys(statements)) {
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
      }
    });

    it('the worker may Scan (the brake counts links) and DeleteItem (cancels a schedule), never Query', () => {
      const tableActions = statementsOf(template, WORKER)
        .flatMap(actionsOf)
        .filter((a) => a.startsWith('dynamodb:'));
      expect(tableActions).toEqual(
        expect.arrayContaining([
          'dynamodb:GetItem',
          'dynamodb:PutItem',
          'dynamodb:DeleteItem',
          'dynamodb:Scan',
        ]),
      );
      expect(tableActions).not.toContain('dynamodb:Query');
    });

    it("the sweep Queries the due index, reads and writes items (Scan: the one-time tenant re-key), reads the API keys and sends only to the lanes' queues", () => {
      const statements = statementsOf(template, SWEEP);
      const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'sqs']);
      const tableArn = { 'Fn::GetAtt': [ids.table, 'Arn'] };
      const onTable = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(onTable.map((s) => [actionsOf(s).sort(), s.Resource])).toEqual([
        [['dynamodb:Query'], { 'Fn::Join': ['', [tableArn, `/index/${STATE_TABLE_KEYS.dueIndexName}`]] }],
        [[...SWEEP_TABLE_ACTIONS].sort(), tableArn],
      ]);
      const sqs = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(sqs.map((s) => s.Resource)).toEqual([
        { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        { 'Fn::GetAtt': [ids.priorityQueue, 'Arn'] },
      ]);
      expect(sqs.flatMap(actionsOf)).not.toContain('sqs:ReceiveMessage');
      const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      expect(onSecrets.map((s) => s.Resource)).toEqual([{ Ref: ids.apiKey }, TENANT_KEYS]);
      expect(JSON.stringify(statements)).not.toContain(ids.webhookSecrets);
      expect(JSON.stringify(statements)).not.toContain(`"${ids.deadLetterQueue}"`);
      expect(JSON.stringify(statements)).not.toContain(ids.priorityDeadLetterQueue);
      for (const statement of withoutTenantKeys(statements)) {
        expect(JSON.stringify(statement.Resource)).not.toContain('*');
      }
    });

    it("the workers and the sweep read the tenant registry and every tenant's API key, nothing else of a tenant's", () => {
      expect(tenantSecretNamePattern('cpaasApiKey')).toBe('cpaas-lifecycle/tenants/*/cpaas-api-key-??????');
      for (const description of [WORKER, PRIORITY_WORKER, SWEEP]) {
        const statements = statementsOf(template, description);
        const onTenantKeys = statements.filter(
          (s) => JSON.stringify(s.Resource) === JSON.stringify(TENANT_KEYS),
        );
        expect(onTenantKeys.map(actionsOf), String(description)).toEqual([['secretsmanager:GetSecretValue']]);
        // The registry's tenant#<id> items are read with GetItem on the state table.
        const onTable = statements.filter(
          (s) => JSON.stringify(s.Resource) === JSON.stringify({ 'Fn::GetAtt': [ids.table, 'Arn'] }),
        );
        expect(onTable.flatMap(actionsOf), String(description)).toContain('dynamodb:GetItem');
      }
      for (const description of [INGEST, SCIM]) {
        expect(JSON.stringify(statementsOf(template, description))).not.toContain('cpaas-api-key');
      }
    });

    it("the ingest function reads the webhook secrets only (its own and the tenants'), GetItems the registry and can only send to the lanes' queues", () => {
      const statements = statementsOf(template, INGEST);
      const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'sqs']);
      const onTable = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
      expect(onTable.map((s) => [actionsOf(s), s.Resource, s.Condition])).toEqual([
        [[...INGEST_TABLE_ACTIONS], { 'Fn::GetAtt': [ids.table, 'Arn'] }, undefined],
        // Its one write: a set-up handshake (Gusto's verification token), on handshake# keys only.
        [
          [...INGEST_HANDSHAKE_ACTIONS],
          { 'Fn::GetAtt': [ids.table, 'Arn'] },
          { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${HANDSHAKE_KEY_PREFIX}*`] } },
        ],
      ]);
      const sqsActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('sqs:'));
      expect([...new Set(sqsActions)].sort()).toEqual([
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ]);
      const onQueues = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
      expect(onQueues.map((s) => s.Resource)).toEqual([
        { 'Fn::GetAtt': [ids.queue, 'Arn'] },
        { 'Fn::GetAtt': [ids.priorityQueue, 'Arn'] },
        { 'Fn::GetAtt': [ids.bulkQueue, 'Arn'] },
      ]);
      const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
      expect(onSecrets.map((s) => s.Resource)).toEqual([
        { Ref: ids.webhookSecrets },
        tenantSecretsArn('webhookSecrets'),
      ]);
      // Read only: a tenant's signing secrets, never its API key or its SCIM tokens.
      expect(onSecrets.filter(isTenantSecretsGrant).flatMap(actionsOf)).toEqual([
        'secretsmanager:GetSecretValue',
      ]);
      expect(JSON.stringify(statements)).not.toContain(ids.apiKey);
      expect(JSON.stringify(statements)).not.toMatch(/cpaas-api-key|scim-tokens/);
    });
  });

  it('serves the ingest and the SCIM functions each on a Function URL without IAM auth (HMAC, bearer token)', () => {
    for (const description of [INGEST, SCIM]) {
      template.hasResourceProperties('AWS::Lambda::Url', {
        AuthType: 'NONE',
        TargetFunctionArn: { 'Fn::GetAtt': [functionIdOf(template, description), 'Arn'] },
      });
    }
    template.resourceCountIs('AWS::Lambda::Url', 2);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunctionUrl',
      Principal: '*',
      FunctionUrlAuthType: 'NONE',
    });
  });

  it("the SCIM function uses the table as its store does, Queries only its index, reads only its tokens and sends only to the lanes' queues", () => {
    const statements = statementsOf(template, SCIM);
    const services = new Set(statements.flatMap(actionsOf).map((a) => a.split(':')[0]));
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'secretsmanager', 'sqs']);
    const tableArn = { 'Fn::GetAtt': [ids.table, 'Arn'] };
    const onTable = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(onTable.map((s) => [actionsOf(s).sort(), s.Resource])).toEqual([
      [[...SCIM_TABLE_ACTIONS].sort(), tableArn],
      [['dynamodb:Query'], { 'Fn::Join': ['', [tableArn, `/index/${STATE_TABLE_KEYS.scimIndexName}`]] }],
    ]);
    expect(SCIM_TABLE_ACTIONS).not.toContain('dynamodb:Scan');
    const sqsActions = statements.flatMap(actionsOf).filter((a) => a.startsWith('sqs:'));
    expect([...new Set(sqsActions)].sort()).toEqual([
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const onQueues = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('sqs:')));
    expect(onQueues.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [ids.queue, 'Arn'] },
      { 'Fn::GetAtt': [ids.priorityQueue, 'Arn'] },
      { 'Fn::GetAtt': [ids.bulkQueue, 'Arn'] },
    ]);
    const onSecrets = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(onSecrets.map((s) => s.Resource)).toEqual([
      { Ref: ids.scimTokens },
      tenantSecretsArn('scimTokens'),
    ]);
    expect(onSecrets.filter(isTenantSecretsGrant).flatMap(actionsOf)).toEqual([
      'secretsmanager:GetSecretValue',
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/cpaas-api-key|webhook-secrets/);
    for (const id of [ids.apiKey, ids.webhookSecrets, ids.deadLetterQueue, ids.priorityDeadLetterQueue]) {
      expect(JSON.stringify(statements)).not.toContain(`"${id}"`);
    }
    // The one wildcard is the tenants' secret name pattern.
    for (const statement of statements.filter((s) => !isTenantSecretsGrant(s))) {
      expect(JSON.stringify(statement.Resource)).not.toContain('*');
    }
  });

  describe('sweep schedule', () => {
    it('invokes the sweep every minute with EventBridge Scheduler, retried by the next tick only', () => {
      const sweepArn = { 'Fn::GetAtt': [functionIdOf(template, SWEEP), 'Arn'] };
      const roleId = logicalIdOf(template, 'AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
        },
      });
      expect(DEFAULTS.sweepIntervalSeconds).toBe(60);
      template.resourceCountIs('AWS::Scheduler::Schedule', 1);
      template.hasResourceProperties('AWS::Scheduler::Schedule', {
        ScheduleExpression: 'rate(1 minute)',
        State: 'ENABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: sweepArn,
          RoleArn: { 'Fn::GetAtt': [roleId, 'Arn'] },
          RetryPolicy: { MaximumRetryAttempts: 0, MaximumEventAgeInSeconds: DEFAULTS.sweepIntervalSeconds },
        },
      });
    });

    it("lets the scheduler's role invoke the sweep function and nothing else, for this account only", () => {
      const roleId = logicalIdOf(template, 'AWS::IAM::Role', {
        AssumeRolePolicyDocument: {
          Statement: [Match.objectLike({ Principal: { Service: 'scheduler.amazonaws.com' } })],
        },
      });
      const role = (template.findResources('AWS::IAM::Role') as Resources)[roleId];
      expect(JSON.stringify(role?.Properties.AssumeRolePolicyDocument)).toContain('"aws:SourceAccount"');
      const policies = Object.values(template.findResources('AWS::IAM::Policy') as Resources).filter(
        (policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`),
      );
      const statements = policies.flatMap(
        (policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
      );
      expect(statements).toEqual([
        {
          Action: 'lambda:InvokeFunction',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [functionIdOf(template, SWEEP), 'Arn'] },
        },
      ]);
    });
  });

  describe('dashboard', () => {
    const body = () => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Resources);
      return JSON.stringify(dashboard?.Properties.DashboardBody);
    };
    /** The body as the dashboard's JSON, each CloudFormation reference in it as `{{<logical id>}}`. */
    const dashboardJson = () => {
      const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard') as Resources);
      const join = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] } | undefined;
      return (join?.['Fn::Join'][1] ?? [])
        .map((part) => (typeof part === 'string' ? part : `{{${Object.values(part as object).flat()[0]}}}`))
        .join('');
    };

    it('is one dashboard showing every alarm and the operator signals, from the metrics the worker emits', () => {
      expect(Object.keys(template.findResources('AWS::CloudWatch::Dashboard'))).toHaveLength(1);
      const text = body();
      for (const metric of [
        METRICS.eventOutcome,
        METRICS.revocationLatency,
        METRICS.terminationsHeld,
        METRICS.deadLetterSends,
      ]) {
        expect(text).toContain(metric);
      }
      for (const metric of [
        'ApproximateNumberOfMessagesVisible',
        'ApproximateAgeOfOldestMessage',
        'Errors',
        'Throttles',
      ]) {
        expect(text).toContain(metric);
      }
      const alarms = Object.keys(template.findResources('AWS::CloudWatch::Alarm'));
      for (const alarm of alarms) expect(text).toContain(alarm);
      template.hasOutput('DashboardName', {});
    });

    it("ranks tenants by the tenant dimension set the worker really emits, and counts failed outcome lines by tenant in both workers' logs", () => {
      const emitted = emittedMetric(() => {
        const metrics = powertoolsMetrics();
        metrics.deadLetter('permanent', 'acme');
        metrics.publish();
      });
      const [directive] = emitted._aws.CloudWatchMetrics;
      expect(directive?.Dimensions).toContainEqual(['service', TENANT_DIMENSION]);
      const text = body();
      for (const metric of [METRICS.deadLetterSends, METRICS.terminationsHeld]) {
        const query = topTenantsQuery(metric);
        expect(query).toContain(`FROM SCHEMA(${directive?.Namespace}, service, ${TENANT_DIMENSION})`);
        expect(query).toContain(`GROUP BY ${TENANT_DIMENSION} ORDER BY SUM() DESC`);
        expect(text).toContain(query);
      }
      const widgets = JSON.parse(dashboardJson()).widgets as {
        type: string;
        properties: Record<string, string>;
      }[];
      const logs = widgets.filter((each) => each.type === 'log');
      expect(logs).toHaveLength(1);
      const query = String(logs[0]?.properties.query);
      expect(query).toContain(FAILURES_BY_TENANT_QUERY);
      expect(logs[0]?.properties.view).toBe('table');
      const logGroups = Object.keys(template.findResources('AWS::Logs::LogGroup'));
      for (const lane of ['WorkerLogs', 'PriorityWorkerLogs']) {
        const id = logGroups.find((each) => each.startsWith(lane));
        expect(id).toBeDefined();
        expect(query).toContain(`SOURCE '{{${id}}}'`);
      }
    });

    it('graphs the revocation latency the worker really emits (namespace, name, service dimension)', () => {
      const emitted = emittedMetric(() => {
        const metrics = powertoolsMetrics();
        metrics.revocationLatency(120);
        metrics.publish();
      });
      const [directive] = emitted._aws.CloudWatchMetrics;
      expect(directive?.Metrics.map((m) => m.Name)).toContain(METRICS.revocationLatency);
      expect(directive?.Dimensions).toEqual([['service']]);
      const text = body();
      expect(text).toContain(`${directive?.Namespace}`);
      expect(text).toContain(`${emitted.service}`);
    });
  });

  describe('alarms', () => {
    const topicRef = () => [{ Ref: ids.topic }];

    it('fire and clear on the SNS topic', () => {
      const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources);
      expect(alarms).toHaveLength(13);
      for (const alarm of alarms) {
        expect(alarm.Properties.AlarmActions).toEqual(topicRef());
        expect(alarm.Properties.OKActions).toEqual(topicRef());
      }
    });

    it('watch the DLQ for any message, worker errors and the age of the oldest message', () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.deadLetterQueue, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
      });
    });

    it("watch the priority lane on its own: its DLQ, its worker's errors and a termination waiting a minute", () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          { Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.priorityDeadLetterQueue, 'QueueName'] } },
        ],
        Threshold: 0,
        AlarmDescription: Match.stringLikeRegexp('Terminations were dead-lettered'),
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.priorityQueue, 'QueueName'] } }],
        Threshold: DEFAULT_PRIORITY_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionIdOf(template, PRIORITY_WORKER) } }],
        Threshold: 0,
      });
    });

    it("watch the SCIM function's URL for 5xx answers", () => {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Url5xxCount',
        Dimensions: Match.arrayWith([{ Name: 'FunctionName', Value: { Ref: functionIdOf(template, SCIM) } }]),
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        AlarmDescription: Match.stringLikeRegexp('SCIM endpoint'),
      });
    });

    it('fire when the deletion brake holds a termination and tell the operator what to do', () => {
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).find(
        (a) => a.Properties.MetricName === METRICS.terminationsHeld,
      );
      expect(alarm?.Properties).toMatchObject({
        Namespace: METRICS.namespace,
        Dimensions: [{ Name: 'service', Value: SERVICE_NAMES.worker }],
        Statistic: 'Sum',
        Period: 300,
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
        TreatMissingData: 'notBreaching',
      });
      expect(alarm?.Properties.AlarmDescription).toContain('`cpaas-lifecycle holds list`');
      expect(alarm?.Properties.AlarmDescription).toMatch(/release.*discard/);
    });

    it('watch the very metric the worker emits for a held termination (EMF namespace and dimensions)', () => {
      const alarm = Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources).find(
        (a) => a.Properties.MetricName === METRICS.terminationsHeld,
      );
      const emitted = emittedMetric(() => {
        const metrics = powertoolsMetrics();
        metrics.terminationHeld('t1');
        metrics.publish();
      });
      const [directive] = emitted._aws.CloudWatchMetrics;
      expect(directive?.Namespace).toBe(alarm?.Properties.Namespace);
      expect(directive?.Metrics.map((m) => m.Name)).toContain(alarm?.Properties.MetricName);
      const dimensions = alarm?.Properties.Dimensions as { Name: string; Value: string }[];
      // CloudWatch matches a metric only on its full dimension set: the alarm's is one of the line's
      // sets, the per-tenant one is the other, so a tenant's hold still trips the one alarm.
      expect(directive?.Dimensions).toEqual([dimensions.map((d) => d.Name), ['service', 'tenant']]);
      expect(emitted.tenant).toBe('t1');
      for (const { Name, Value } of dimensions) expect(emitted[Name]).toBe(Value);
    });

    it('watch the sweep for failed runs and for ticks that stopped coming', () => {
      const sweep = [{ Name: 'FunctionName', Value: { Ref: functionIdOf(template, SWEEP) } }];
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: sweep,
        Statistic: 'Sum',
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: 0,
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Invocations',
        Dimensions: sweep,
        Statistic: 'Sum',
        ComparisonOperator: 'LessThanThreshold',
        Threshold: 1,
        TreatMissingData: 'breaching',
      });
    });

    it('publish only over TLS and have no subscription unless an e-mail is configured', () => {
      template.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.resourceCountIs('AWS::SNS::Subscription', 0);
    });
  });

  it('outputs the webhook URL per source, the queues, the table and the topic', () => {
    const outputs = template.findOutputs('*');
    for (const source of Object.keys(SOURCE_LOADERS)) {
      const output = Object.values(outputs).find((o) =>
        JSON.stringify(o.Value).includes(`"webhooks/${source}"`),
      );
      expect(output, source).toBeDefined();
    }
    expect(outputs.QueueUrl?.Value).toEqual({ Ref: ids.queue });
    expect(outputs.DeadLetterQueueUrl?.Value).toEqual({ Ref: ids.deadLetterQueue });
    expect(outputs.PriorityQueueUrl?.Value).toEqual({ Ref: ids.priorityQueue });
    expect(outputs.PriorityDeadLetterQueueUrl?.Value).toEqual({ Ref: ids.priorityDeadLetterQueue });
    expect(outputs.StateTableName?.Value).toEqual({ Ref: ids.table });
    expect(outputs.AlarmTopicArn?.Value).toEqual({ Ref: ids.topic });
    expect(outputs.SweepFunctionName?.Value).toEqual({ Ref: functionIdOf(template, SWEEP) });
  });

  it('outputs the SCIM tenant URL (its own Function URL, ending in /scim/v2) and the tokens secret', () => {
    const outputs = template.findOutputs('*');
    const scimUrlId = logicalIdOf(template, 'AWS::Lambda::Url', {
      TargetFunctionArn: { 'Fn::GetAtt': [functionIdOf(template, SCIM), 'Arn'] },
    });
    expect(outputs.ScimUrl?.Value).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [scimUrlId, 'FunctionUrl'] }, 'scim/v2']],
    });
    expect(outputs.ScimTokensSecretArn?.Value).toEqual({ Ref: ids.scimTokens });
  });

  describe('cdk-nag AwsSolutions', () => {
    it('has no unsuppressed finding', () => {
      const annotations = Annotations.fromStack(synthesized.stack);
      const findings = [
        ...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-')),
        ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-')),
      ];
      expect(findings.map((f) => `${f.id}: ${String(f.entry.data).slice(0, 80)}`)).toEqual([]);
    });

    it('gives every suppression a reason', () => {
      const suppressions = Object.values(
        template.toJSON().Resources as Record<string, { Metadata?: unknown }>,
      ).flatMap((resource) => {
        const metadata = resource.Metadata as { cdk_nag?: { rules_to_suppress: { reason: string }[] } };
        return metadata?.cdk_nag?.rules_to_suppress ?? [];
      });
      expect(suppressions.length).toBeGreaterThan(0);
      // cdk-nag base64-encodes a reason with non-ASCII characters; plain words keep it readable in the template.
      for (const suppression of suppressions) expect(suppression.reason).toMatch(/^[\x20-\x7e]{40,}$/);
    });

    it('is live: it reports a queue that accepts plain HTTP', () => {
      const app = new App();
      const stack = new Stack(app, 'Scratch');
      new Queue(stack, 'Plain');
      Aspects.of(app).add(new AwsSolutionsChecks());
      const errors = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-SQS4'));
      expect(errors).toHaveLength(1);
    });
  });

  describe('bundles', () => {
    /** The asset directory of a function, from the synthesized cloud assembly. */
    function bundlePath(description: RegExp): string {
      const fn = functionWith(template, description);
      const key = (fn.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '');
      return join(synthesized.app.outdir, `asset.${key}`, 'index.mjs');
    }

    it('are ESM with the createRequire banner and the AWS SDK client inside', () => {
      for (const description of [WORKER, INGEST, SWEEP, SCIM]) {
        const code = readFileSync(bundlePath(description), 'utf8');
        expect(code.startsWith("import { createRequire } from 'node:module';")).toBe(true);
        // All read a secret: the Secrets Manager client is bundled, not taken from the runtime.
        expect(code.includes('GetSecretValue')).toBe(true);
        // BUILTIN_ALIASES reached the CDK's esbuild: the SDK's `node:http` is not an ES import.
        expect(code, String(description)).not.toMatch(/from\s*["']node:https?["']/);
      }
    });

    it('load from a directory without node_modules, serve the ingest health check and load every source', async () => {
      // Node resolves bare imports through every ancestor's node_modules: none may exist, so a
      // successful import proves nothing but Node built-ins is left outside the bundle.
      for (let dir = dirname(bundlePath(INGEST)); dir !== dirname(dir); dir = dirname(dir)) {
        expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
      }
      for (const description of [WORKER, PRIORITY_WORKER, SWEEP, SCIM]) {
        const bundle = await import(pathToFileURL(bundlePath(description)).href);
        expect(typeof bundle.handler, String(description)).toBe('function');
      }
      const saved = { ...process.env };
      process.env[ENV.queueUrl] = 'https://sqs.us-east-1.amazonaws.com/123456789012/q.fifo';
      process.env[ENV.priorityQueueUrl] = 'https://sqs.us-east-1.amazonaws.com/123456789012/t.fifo';
      process.env[ENV.webhookSecretsSecretId] = 'unused-by-healthz';
      process.env[ENV.stateTableName] = 'unused-by-healthz';
      process.env.AWS_REGION = 'us-east-1';
      try {
        const ingest = await import(pathToFileURL(bundlePath(INGEST)).href);
        const response = await ingest.handler({
          rawPath: '/healthz',
          headers: {},
          isBase64Encoded: false,
          requestContext: { http: { method: 'GET', path: '/healthz' } },
        });
        expect(response).toMatchObject({ statusCode: 200 });
        // A source loads on its first request: its module must be inside the bundle too. The
        // content type is refused after the source's handshake check, before any secret is read.
        for (const source of Object.keys(SOURCE_LOADERS)) {
          const refused = await ingest.handler({
            rawPath: `/webhooks/${source}`,
            headers: { 'content-type': 'text/plain' },
            body: 'not json',
            isBase64Encoded: false,
            requestContext: { http: { method: 'POST', path: `/webhooks/${source}` } },
          });
          expect(refused, source).toMatchObject({ statusCode: 415 });
        }
      } finally {
        process.env = saved;
      }
    });
  });
});

describe('LifecycleStack with every option set by -c (not bundled)', () => {
  const ACCOUNT_ID = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6';
  const WEBHOOK_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hr/webhook-secrets-AbC123';
  const SCIM_TOKENS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:idp/scim-tokens-XyZ789';
  const BAMBOOHR_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hr/bamboohr-QwE456';
  const BAMBOOHR_API = 'https://api.bamboohr.com/api/gateway.php/acme';
  let synthesized: Synthesized;
  let template: Template;

  beforeAll(() => {
    synthesized = synthesize(
      {
        cpaasAccountId: ACCOUNT_ID,
        apiKeySecretName: 'hr/cpaas-key',
        webhookSecretsSecretArn: WEBHOOK_ARN,
        scimTokensSecretArn: SCIM_TOKENS_ARN,
        hrApis: JSON.stringify({
          bamboohr: { apiBaseUrl: BAMBOOHR_API, credentialsSecretArn: BAMBOOHR_ARN },
        }),
        terminationPolicy: 'disable',
        maxConcurrency: '20',
        maxReceiveCount: '3',
        dryRun: 'true',
        alarmEmail: 'oncall@example.com',
        oldestMessageAgeAlarmSeconds: '1800',
        priorityReservedConcurrency: '0',
        priorityOldestMessageAgeAlarmSeconds: '120',
        deleteGraceDays: '14',
        deletionBrakeWindowMinutes: '30',
        deletionBrakeMinimum: '3',
        deletionBrakePercent: '2.5',
      },
      { bundle: false },
    );
    template = synthesized.template;
  });

  it('imports the secrets instead of creating them and grants exactly those', () => {
    expect(template.findResources('AWS::SecretsManager::Secret')).toEqual({});
    const worker = statementsOf(template, WORKER).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(JSON.stringify(worker.map((s) => s.Resource))).toContain(':secret:hr/cpaas-key-??????');
    const ingest = statementsOf(template, INGEST).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(ingest.map((s) => s.Resource)).toEqual([WEBHOOK_ARN, tenantSecretsArn('webhookSecrets')]);
    const sweep = statementsOf(template, SWEEP).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    // The sweep reads the CPaaS key as the worker does, but not BambooHR's: it never fetches people.
    const hrOnly = [BAMBOOHR_ARN, ...TENANT_HR_CREDENTIALS].map((arn) => JSON.stringify(arn));
    expect(sweep.map((s) => s.Resource)).toEqual(
      worker.map((s) => s.Resource).filter((resource) => !hrOnly.includes(JSON.stringify(resource))),
    );
    const scim = statementsOf(template, SCIM).filter((s) =>
      actionsOf(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(scim.map((s) => s.Resource)).toEqual([SCIM_TOKENS_ARN, tenantSecretsArn('scimTokens')]);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.scimTokensSecretId]: SCIM_TOKENS_ARN }) },
    });
    template.hasOutput('ScimTokensSecretArn', { Value: SCIM_TOKENS_ARN });
  });

  it('gives both workers BambooHR API and its credentials secret, and nothing else that secret', () => {
    for (const description of [WORKER, PRIORITY_WORKER]) {
      const fn = functionWith(template, description);
      const variables = (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
      expect(JSON.parse(variables[ENV.hrApis] ?? '{}')).toEqual({
        bamboohr: { apiBaseUrl: BAMBOOHR_API, credentialsSecretId: BAMBOOHR_ARN },
      });
      const reads = statementsOf(template, description).filter((s) =>
        actionsOf(s).includes('secretsmanager:GetSecretValue'),
      );
      expect(reads.map((s) => s.Resource)).toContain(BAMBOOHR_ARN);
    }
    for (const description of [INGEST, SWEEP, SCIM]) {
      expect(JSON.stringify(statementsOf(template, description))).not.toContain(BAMBOOHR_ARN);
    }
    template.hasOutput('BambooHrCredentialsSecretArn', { Value: BAMBOOHR_ARN });
  });

  it('passes the overrides to the queue, the event source, the worker and the alarms', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: DEFAULTS.queueName,
      RedrivePolicy: { maxReceiveCount: 3 },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 20 },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.cpaasAccountId]: ACCOUNT_ID,
          [ENV.terminationPolicy]: 'disable',
          [ENV.dryRun]: 'true',
          [ENV.maxReceiveCount]: '3',
          [ENV.deleteGraceDays]: '14',
          [ENV.deletionBrakeWindowMinutes]: '30',
          [ENV.deletionBrakeMinimum]: '3',
          [ENV.deletionBrakePercent]: '2.5',
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp(SWEEP.source),
      Environment: {
        Variables: Match.objectLike({ [ENV.cpaasAccountId]: ACCOUNT_ID, [ENV.dryRun]: 'true' }),
      },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 1800,
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 120,
    });
    // 0: nothing reserved (an account at the 10-execution quota); the lane's mapping keeps SQS's minimum.
    expect(functionWith(template, PRIORITY_WORKER).Properties.ReservedConcurrentExecutions).toBeUndefined();
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    expect(template.toJSON().Parameters?.CpaasAccountId).toBeUndefined();
  });

  it('subscribes the alarm e-mail to the topic', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
  });

  it('justifies the public webhook URL to the cdk-nag packs that flag it', () => {
    const app = new App({
      context: { ...committedContext, 'aws:cdk:bundling-stacks': [] },
    });
    const stack = addLifecycleStack(app);
    Aspects.of(app).add(new NIST80053R5Checks());
    const findings = Annotations.fromStack(stack).findError(
      '*',
      Match.stringLikeRegexp('LambdaFunctionPublicAccessProhibited'),
    );
    expect(findings).toEqual([]);
    expect(PUBLIC_URL_RULES).toContain('NIST.800.53.R5-LambdaFunctionPublicAccessProhibited');
  });

  it('stays clean under cdk-nag, with the by-name wildcards suppressed on those resources only', () => {
    const annotations = Annotations.fromStack(synthesized.stack);
    expect(annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-'))).toEqual([]);
    const roles = Object.values(template.findResources('AWS::IAM::Role') as Resources);
    const suppressed = roles.flatMap((role) => {
      const metadata = (
        role as { Metadata?: { cdk_nag?: { rules_to_suppress: { applies_to?: string[] }[] } } }
      ).Metadata;
      return (metadata?.cdk_nag?.rules_to_suppress ?? []).flatMap((rule) => rule.applies_to ?? []);
    });
    // On the three roles that read the API key (both lanes' workers, sweep), for that one ARN
    // pattern and the tenants' API keys' name pattern; on the ingest and SCIM roles, for their
    // kind of the tenants' secrets.
    const byName = (name: string) =>
      `Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${name}`;
    expect(suppressed.sort()).toEqual(
      [
        ...Array(3).fill(byName('hr/cpaas-key-??????')),
        ...Array(3).fill(byName(tenantSecretNamePattern('cpaasApiKey'))),
        ...HR_API_SOURCES.flatMap((source) => Array(2).fill(byName(tenantHrCredentialsNamePattern(source)))),
        byName(tenantSecretNamePattern('webhookSecrets')),
        byName(tenantSecretNamePattern('scimTokens')),
      ].sort(),
    );
  });
});

describe('LifecycleStack with an HR API and no credentials secret given (not bundled)', () => {
  const API = 'https://api.bamboohr.com/api/gateway.php/acme';
  let template: Template;

  beforeAll(() => {
    template = synthesize({ hrApis: { bamboohr: { apiBaseUrl: API } } }, { bundle: false }).template;
  });

  it('creates the credentials secret to fill in, kept on destroy, and names it in both workers and an output', () => {
    const created = template.findResources('AWS::SecretsManager::Secret', {
      Properties: { Name: hrCredentialsSecretName('bamboohr') },
    });
    const [logicalId, secret] = Object.entries(created)[0] ?? [];
    expect(secret?.DeletionPolicy).toBe('Retain');
    expect(secret?.Properties.Description).toContain('{"apiKey":"..."}');
    for (const description of [WORKER, PRIORITY_WORKER]) {
      const variables = (functionWith(template, description).Properties.Environment as { Variables: object })
        .Variables as Record<string, unknown>;
      expect(JSON.stringify(variables[ENV.hrApis])).toContain(API);
      expect(JSON.stringify(variables[ENV.hrApis])).toContain(String(logicalId));
      const reads = statementsOf(template, description).filter((s) =>
        actionsOf(s).includes('secretsmanager:GetSecretValue'),
      );
      expect(JSON.stringify(reads)).toContain(String(logicalId));
    }
    template.hasOutput('BambooHrCredentialsSecretArn', {});
  });
});
