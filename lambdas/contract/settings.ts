/**
 * Names and settings shared by the CDK stack (`infra/`) and the local mode (`tools/local/`), so
 * the pipeline that runs here is the pipeline that is deployed: one definition, two consumers.
 * The functions' environment is in `environment.ts`, the state table in `state-table.ts`.
 */

/**
 * `delete` removes the user; `disable` only sets `enabled: false`; `disable-then-delete` revokes
 * access at once and lets the sweep delete the user after the grace period (a rehire inside it
 * re-enables the same user, with its settings and number).
 */
export const TERMINATION_POLICIES = ['delete', 'disable', 'disable-then-delete'] as const;
export type TerminationPolicy = (typeof TERMINATION_POLICIES)[number];

/** Default names and limits; the stack can override them from `cdk.json` context. */
export const DEFAULTS = {
  queueName: 'cpaas-lifecycle-events.fifo',
  deadLetterQueueName: 'cpaas-lifecycle-events-dlq.fifo',
  /** The priority lane (terminations) and its own DLQ, so a failed revocation alarms on its own. */
  priorityQueueName: 'cpaas-lifecycle-terminations.fifo',
  priorityDeadLetterQueueName: 'cpaas-lifecycle-terminations-dlq.fifo',
  /** The bulk lane: a tenant's hires and changes beyond its burst allowance, with its own DLQ. */
  bulkQueueName: 'cpaas-lifecycle-bulk.fifo',
  bulkDeadLetterQueueName: 'cpaas-lifecycle-bulk-dlq.fifo',
  stateTableName: 'cpaas-lifecycle-state',
  apiKeySecretName: 'cpaas-lifecycle/cpaas-api-key',
  /** JSON object: `{ "<source>": ["<secret>", "<previous secret during rotation>"] }`. */
  webhookSecretsSecretName: 'cpaas-lifecycle/webhook-secrets',
  /** JSON object of the SCIM bearer tokens (`SCIM_TOKENS_SECRET_FIELDS`): `{"current": ..., "previous": ...}`. */
  scimTokensSecretName: 'cpaas-lifecycle/scim-tokens',
  maxReceiveCount: 5,
  workerTimeoutSeconds: 60,
  /** At least 6x the worker timeout, as AWS recommends for SQS event sources. */
  visibilityTimeoutSeconds: 360,
  deadLetterRetentionDays: 14,
  /** Longer than any HRIS retry window (Personio retries for 3 days); SQS dedup covers 5 minutes. */
  processedEventRetentionDays: 7,
  batchSize: 10,
  maxConcurrency: 5,
  /**
   * Concurrent executions reserved for the priority lane's worker: a backlog on the standard lane
   * (or anything else in the account) can never take the capacity a termination needs. The
   * priority lane's mapping uses the same number as its maximum concurrency (SQS allows >= 2).
   * Four, so a few leavers sent together are revoked side by side rather than one batch after the
   * other (in local mode behind 300 queued hires: p99 1.00 s with 4, 1.33 s with 2); four of a
   * region's default 1,000 executions is little to hold for the security control.
   */
  priorityReservedConcurrency: 4,
  /** Per tenant and producer: beyond 10 events in 10 s, a tenant's hires and changes go on the bulk lane. */
  burstAllowance: { events: 10, perSeconds: 10 },
  secretCacheSeconds: 300,
  /**
   * How long a provider's set-up handshake (Gusto's verification token) waits in the state table
   * for the operator's command; later, the operator asks the provider to send it again.
   */
  handshakeRetentionMinutes: 60,
  terminationPolicy: 'delete' as TerminationPolicy,
  deleteGraceDays: 30,
  /** The sweep's period: future-dated events are applied within this of their effective time. */
  sweepIntervalSeconds: 60,
  /** Terminations in any sliding window beyond max(minimum, percent of linked users) are held. */
  deletionBrake: { windowMinutes: 60, minimum: 10, percent: 5 },
} as const;

/**
 * Powertools service names, one per deployed function: the `service` key of every log line and the
 * `service` dimension of every metric, so the alarms find what the functions emit.
 */
export const SERVICE_NAMES = {
  ingest: 'cpaas-lifecycle-ingest',
  worker: 'cpaas-lifecycle-worker',
  sweep: 'cpaas-lifecycle-sweep',
  scim: 'cpaas-lifecycle-scim',
} as const;

/**
 * The fields of the SCIM tokens secret: `current`, and `previous` only during a rotation. An object
 * rather than a list because Secrets Manager generates a value only into a JSON object's field:
 * the stack creates the secret with a generated `current`, so no token is ever in the template.
 */
export const SCIM_TOKENS_SECRET_FIELDS = { current: 'current', previous: 'previous' } as const;

/** Ingest sources served at `POST /webhooks/{name}`; the stack outputs one webhook URL for each. */
export const SOURCE_NAMES = ['standard', 'merge', 'bamboohr', 'hibob', 'personio', 'gusto'] as const;
export type SourceName = (typeof SOURCE_NAMES)[number];

/** What the stack, the docs and the local mode need to know of one HR system the worker fetches people from. */
export interface HrApiFacts {
  /** The provider's name as people write it, for descriptions and messages. */
  readonly title: string;
  /** The stack's construct id stem of its credentials secret; stable, since renaming it would replace a filled-in secret. */
  readonly constructId: string;
  /** The JSON the credentials secret holds, as the stack's description of it tells the operator. */
  readonly credentials: string;
  /** The worker writes rotated credentials back (OAuth refresh tokens that change on use), so it may also put the secret. */
  readonly rotatesCredentials?: boolean;
}

/**
 * The HR systems whose webhooks carry only ids and changed-field names (issue 15): ingest queues
 * a details-pending event and the worker fetches the person from the provider's API, with the
 * credentials in the provider's own secret. Adding a provider is one entry here plus its adapter,
 * its fetcher and its fake; the settings, the stack's secret and grants and the local mode follow.
 */
export const HR_APIS = {
  bamboohr: { title: 'BambooHR', constructId: 'BambooHr', credentials: '{"apiKey":"..."}' },
  hibob: { title: 'HiBob', constructId: 'HiBob', credentials: '{"serviceUserId":"...","token":"..."}' },
  personio: {
    title: 'Personio',
    constructId: 'Personio',
    credentials: '{"clientId":"...","clientSecret":"..."}',
  },
  gusto: {
    title: 'Gusto',
    constructId: 'Gusto',
    credentials: '{"clientId":"...","clientSecret":"...","refreshToken":"..."}',
    rotatesCredentials: true,
  },
} as const satisfies Partial<Record<SourceName, HrApiFacts>>;
export type HrApiSource = keyof typeof HR_APIS;
export const HR_API_SOURCES = Object.keys(HR_APIS) as readonly HrApiSource[];

/** The last part of a provider's credentials secret name, for the deployment's own and for each tenant's. */
export function hrCredentialsSecretKind(source: HrApiSource): string {
  return `${source}-credentials`;
}

/** The default name of a provider's credentials secret (JSON, `HR_APIS[source].credentials`). */
export function hrCredentialsSecretName(source: HrApiSource): string {
  return `cpaas-lifecycle/${hrCredentialsSecretKind(source)}`;
}

/** CloudWatch metrics (EMF) the worker emits and the stack alarms on: one namespace, one name each. */
export const METRICS = {
  namespace: 'CpaasLifecycle',
  /** One per applied event, dimension `outcome`. */
  eventOutcome: 'EventOutcome',
  /** Milliseconds per CPaaS API attempt. */
  apiLatency: 'ApiLatency',
  /** Messages the worker dead-lettered, dimension `failureKind`. */
  deadLetterSends: 'DeadLetterSends',
  /** Terminations the deletion brake held, dimension `service`. */
  terminationsHeld: 'TerminationsHeld',
  /**
   * Milliseconds from a termination's arrival on its queue (SQS `SentTimestamp`) until the worker
   * deleted or disabled the VoIP user: how long a leaver kept access after the pipeline knew.
   */
  revocationLatency: 'RevocationLatency',
} as const;

/**
 * The metric dimension that names a tenant, on `DeadLetterSends` and `TerminationsHeld` only (a
 * second dimension set beside their usual one); the dashboard's top-tenants queries group by it.
 */
export const TENANT_DIMENSION = 'tenant';

/** SQS message attributes the pipeline itself sets (never the HRIS). */
export const MESSAGE_ATTRIBUTES = {
  /** `true` on a termination an operator released from the deletion brake: it skips the brake. */
  releasedHold: 'cpaas-lifecycle.released-hold',
} as const;

/**
 * SQS message attributes the worker sets on every message it dead-letters, so an operator (and
 * `cpaas-lifecycle dlq`) can see why it is there without reading logs.
 */
export const DEAD_LETTER_ATTRIBUTES = {
  errorClass: 'cpaas-lifecycle.error-class',
  errorMessage: 'cpaas-lifecycle.error-message',
  eventId: 'cpaas-lifecycle.event-id',
  attempts: 'cpaas-lifecycle.attempts',
  failedAt: 'cpaas-lifecycle.failed-at',
  /** `permanent` (never retried) or `exhausted` (transient, out of attempts). */
  failureKind: 'cpaas-lifecycle.failure-kind',
} as const;
