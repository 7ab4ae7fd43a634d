import { ConfigurationError } from './errors.js';
import {
  DEFAULTS,
  HR_APIS,
  type HrApiSource,
  TERMINATION_POLICIES,
  type TerminationPolicy,
} from './settings.js';

/**
 * Each deployed function's environment, defined once. Per function there is a reader, which the
 * handler calls, and next to it the builder of the map the stack and the local mode give the
 * function, so what is written and what is read cannot drift apart. Readers are strict: a missing
 * or malformed value throws `ConfigurationError` naming the variable on the first invocation,
 * instead of a default that hides the mistake or a confusing failure later.
 */

/** Environment variables the Lambda handlers read. */
export const ENV = {
  cpaasBaseUrl: 'CPAAS_BASE_URL',
  cpaasAccountId: 'CPAAS_ACCOUNT_ID',
  cpaasApiKeySecretId: 'CPAAS_API_KEY_SECRET_ID',
  /** 'true' only for the local sandbox: the client otherwise refuses plain http. */
  cpaasAllowInsecureHttp: 'CPAAS_ALLOW_INSECURE_HTTP',
  stateTableName: 'STATE_TABLE_NAME',
  /** The standard lane's queue: hires and changes. */
  queueUrl: 'LIFECYCLE_QUEUE_URL',
  /** The priority lane's queue: terminations, so revoking access never waits behind a backlog. */
  priorityQueueUrl: 'PRIORITY_QUEUE_URL',
  /** The bulk lane's queue: a tenant's hires and changes beyond its burst allowance. */
  bulkQueueUrl: 'BULK_QUEUE_URL',
  deadLetterQueueUrl: 'DEAD_LETTER_QUEUE_URL',
  maxReceiveCount: 'MAX_RECEIVE_COUNT',
  terminationPolicy: 'TERMINATION_POLICY',
  dryRun: 'DRY_RUN',
  webhookSecretsSecretId: 'WEBHOOK_SECRETS_SECRET_ID',
  scimTokensSecretId: 'SCIM_TOKENS_SECRET_ID',
  secretCacheSeconds: 'SECRET_CACHE_SECONDS',
  /** Days a `disable-then-delete` termination keeps the disabled user before the sweep deletes it. */
  deleteGraceDays: 'DELETE_GRACE_DAYS',
  deletionBrakeWindowMinutes: 'DELETION_BRAKE_WINDOW_MINUTES',
  deletionBrakeMinimum: 'DELETION_BRAKE_MINIMUM',
  deletionBrakePercent: 'DELETION_BRAKE_PERCENT',
  /**
   * The HR APIs the worker fetches people from, JSON `{"<source>": {"apiBaseUrl": "...",
   * "credentialsSecretId": "..."}}` (sources of `HR_APIS`); unset: none, and their events are
   * redelivered as not configured.
   */
  hrApis: 'HR_APIS',
} as const;

/** What a reader reads: `process.env` in Lambda, a builder's map in the local mode and the tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** What a builder writes: a function's `environment`. */
export type EnvironmentMap = Record<string, string>;

/** `T` with the fields that have a default optional: a builder leaves them out and the reader's default applies. */
type WithDefaults<T, K extends keyof T> = Omit<T, K> & Partial<Pick<T, K>>;

function requiredText(env: Environment, name: string): string {
  const value = env[name];
  if (!value) throw new ConfigurationError(`environment variable ${name} is not set`);
  return value;
}

/** An optional text setting, to spread into settings: unset or empty leaves the key out. */
function optionalText<K extends string>(env: Environment, name: string, key: K): Partial<Record<K, string>> {
  const value = env[name];
  return value ? ({ [key]: value } as Record<K, string>) : {};
}

/** Unset or empty means the default; anything else must parse, or the variable is named as wrong. */
function optional<T>(
  env: Environment,
  name: string,
  fallback: T,
  parse: (text: string) => T | undefined,
  expected: string,
): T {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = parse(text);
  if (value === undefined) throw new ConfigurationError(`environment variable ${name} must be ${expected}`);
  return value;
}

function positiveInteger(env: Environment, name: string, fallback: number): number {
  const parse = (text: string) => {
    const value = Number(text);
    return Number.isInteger(value) && value >= 1 ? value : undefined;
  };
  return optional(env, name, fallback, parse, 'a positive integer');
}

function nonNegativeNumber(env: Environment, name: string, fallback: number): number {
  const parse = (text: string) => {
    const value = Number(text);
    return Number.isFinite(value) && value >= 0 ? value : undefined;
  };
  return optional(env, name, fallback, parse, 'a number >= 0');
}

/** Only `true` and `false`: a `DRY_RUN=yes` read as false would apply what was meant as a rehearsal. */
function flag(env: Environment, name: string): boolean {
  const parse = (text: string) => (text === 'true' ? true : text === 'false' ? false : undefined);
  return optional(env, name, false, parse, 'true or false');
}

function oneOf<T extends string>(env: Environment, name: string, values: readonly T[], fallback: T): T {
  const parse = (text: string) => values.find((value) => value === text);
  return optional(env, name, fallback, parse, `one of ${values.join(', ')}`);
}

/** The builders' half of the readers: values as text, those not given left out. */
function environmentMap(
  values: Readonly<Record<string, string | number | boolean | undefined>>,
): EnvironmentMap {
  const map: EnvironmentMap = {};
  for (const [name, value] of Object.entries(values)) if (value !== undefined) map[name] = String(value);
  return map;
}

/** How the worker and the sweep reach the CPaaS API. */
export interface CpaasSettings {
  readonly baseUrl: string;
  readonly accountId: string;
  /** Secrets Manager id of the API key. */
  readonly apiKeySecretId: string;
  /** True only for the local sandbox: the client otherwise refuses plain http. */
  readonly allowInsecureHttp: boolean;
  /** How long the API key is cached before Secrets Manager is read again. */
  readonly secretCacheSeconds: number;
}

export type CpaasEnvironmentValues = WithDefaults<CpaasSettings, 'allowInsecureHttp' | 'secretCacheSeconds'>;

function cpaasSettingsFromEnv(env: Environment): CpaasSettings {
  return {
    baseUrl: requiredText(env, ENV.cpaasBaseUrl),
    accountId: requiredText(env, ENV.cpaasAccountId),
    apiKeySecretId: requiredText(env, ENV.cpaasApiKeySecretId),
    allowInsecureHttp: flag(env, ENV.cpaasAllowInsecureHttp),
    secretCacheSeconds: positiveInteger(env, ENV.secretCacheSeconds, DEFAULTS.secretCacheSeconds),
  };
}

function cpaasEnvironment(values: CpaasEnvironmentValues): EnvironmentMap {
  return environmentMap({
    [ENV.cpaasBaseUrl]: values.baseUrl,
    [ENV.cpaasAccountId]: values.accountId,
    [ENV.cpaasApiKeySecretId]: values.apiKeySecretId,
    [ENV.cpaasAllowInsecureHttp]: values.allowInsecureHttp,
    [ENV.secretCacheSeconds]: values.secretCacheSeconds,
  });
}

/** The worker's settings that change what a termination does, as the worker reads them. */
export interface DeprovisioningSettings {
  readonly policy: TerminationPolicy;
  readonly deleteGraceDays: number;
  readonly brake: { readonly windowMinutes: number; readonly minimum: number; readonly percent: number };
}

export interface DeprovisioningEnvironmentValues {
  readonly policy?: TerminationPolicy;
  readonly deleteGraceDays?: number;
  readonly brake?: Partial<DeprovisioningSettings['brake']>;
}

/**
 * `TERMINATION_POLICY`, `DELETE_GRACE_DAYS` and `DELETION_BRAKE_*`, defaulting to `DEFAULTS`:
 * one reader, so the worker and `plan` cannot read them differently.
 */
export function deprovisioningSettingsFromEnv(env: Environment): DeprovisioningSettings {
  const brake = DEFAULTS.deletionBrake;
  return {
    policy: oneOf(env, ENV.terminationPolicy, TERMINATION_POLICIES, DEFAULTS.terminationPolicy),
    deleteGraceDays: positiveInteger(env, ENV.deleteGraceDays, DEFAULTS.deleteGraceDays),
    brake: {
      windowMinutes: positiveInteger(env, ENV.deletionBrakeWindowMinutes, brake.windowMinutes),
      minimum: positiveInteger(env, ENV.deletionBrakeMinimum, brake.minimum),
      percent: nonNegativeNumber(env, ENV.deletionBrakePercent, brake.percent),
    },
  };
}

function deprovisioningEnvironment(values: DeprovisioningEnvironmentValues = {}): EnvironmentMap {
  return environmentMap({
    [ENV.terminationPolicy]: values.policy,
    [ENV.deleteGraceDays]: values.deleteGraceDays,
    [ENV.deletionBrakeWindowMinutes]: values.brake?.windowMinutes,
    [ENV.deletionBrakeMinimum]: values.brake?.minimum,
    [ENV.deletionBrakePercent]: values.brake?.percent,
  });
}

/**
 * What the ingest function reads: where it queues events (one queue per lane), where the default
 * tenant's webhook secrets are, and the state table that holds the tenant registry.
 */
export interface IngestSettings {
  readonly queueUrl: string;
  readonly priorityQueueUrl: string;
  /** Absent: no bulk lane, a burst stays on the standard lane. */
  readonly bulkQueueUrl?: string;
  readonly webhookSecretsSecretId: string;
  readonly stateTableName: string;
  /** How long the webhook secrets are cached: a rotated secret is accepted within this. */
  readonly secretCacheSeconds: number;
}

export type IngestEnvironmentValues = WithDefaults<IngestSettings, 'secretCacheSeconds'>;

export function ingestSettingsFromEnv(env: Environment): IngestSettings {
  return {
    queueUrl: requiredText(env, ENV.queueUrl),
    priorityQueueUrl: requiredText(env, ENV.priorityQueueUrl),
    ...optionalText(env, ENV.bulkQueueUrl, 'bulkQueueUrl'),
    webhookSecretsSecretId: requiredText(env, ENV.webhookSecretsSecretId),
    stateTableName: requiredText(env, ENV.stateTableName),
    secretCacheSeconds: positiveInteger(env, ENV.secretCacheSeconds, DEFAULTS.secretCacheSeconds),
  };
}

/** The ingest function's environment; `ingestSettingsFromEnv` reads it back. */
export function ingestEnvironment(values: IngestEnvironmentValues): EnvironmentMap {
  return environmentMap({
    [ENV.queueUrl]: values.queueUrl,
    [ENV.priorityQueueUrl]: values.priorityQueueUrl,
    [ENV.bulkQueueUrl]: values.bulkQueueUrl,
    [ENV.webhookSecretsSecretId]: values.webhookSecretsSecretId,
    [ENV.stateTableName]: values.stateTableName,
    [ENV.secretCacheSeconds]: values.secretCacheSeconds,
  });
}

/**
 * What the worker reads: the CPaaS API, the state table, its DLQ and what a termination does. One
 * worker function per lane, from the same code: each has its own lane's DLQ.
 */
export interface WorkerSettings {
  readonly cpaas: CpaasSettings;
  readonly stateTableName: string;
  readonly deadLetterQueueUrl: string;
  /** The queue's redrive count, so the worker knows a message's last attempt and dead-letters it itself. */
  readonly maxReceiveCount: number;
  readonly dryRun: boolean;
  readonly deprovisioning: DeprovisioningSettings;
  /** The HR APIs details-pending events are completed from; only the configured ones. */
  readonly hrApis: HrApiSettingsBySource;
}

export interface WorkerEnvironmentValues
  extends WithDefaults<
    Omit<WorkerSettings, 'cpaas' | 'deprovisioning' | 'hrApis'>,
    'maxReceiveCount' | 'dryRun'
  > {
  readonly cpaas: CpaasEnvironmentValues;
  readonly hrApis?: HrApiSettingsBySource;
  readonly deprovisioning?: DeprovisioningEnvironmentValues;
}

export function workerSettingsFromEnv(env: Environment): WorkerSettings {
  return {
    cpaas: cpaasSettingsFromEnv(env),
    stateTableName: requiredText(env, ENV.stateTableName),
    deadLetterQueueUrl: requiredText(env, ENV.deadLetterQueueUrl),
    maxReceiveCount: positiveInteger(env, ENV.maxReceiveCount, DEFAULTS.maxReceiveCount),
    dryRun: flag(env, ENV.dryRun),
    deprovisioning: deprovisioningSettingsFromEnv(env),
    hrApis: hrApiSettingsFromEnv(env),
  };
}

/** One HR system's API the worker fetches people from. */
export interface HrApiSettings {
  /** The provider's API root (its sandbox's, or a fake's in tests); each fetcher appends its paths. */
  readonly apiBaseUrl: string;
  readonly credentialsSecretId: string;
}

export type HrApiSettingsBySource = Partial<Readonly<Record<HrApiSource, HrApiSettings>>>;

function isObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Every entry complete, or the variable is named as wrong: a source with a URL but no secret, or
 * one this build does not know, is a deployment mistake better caught on the first invocation.
 */
export function hrApiSettingsFromEnv(env: Environment): HrApiSettingsBySource {
  const text = env[ENV.hrApis];
  if (!text) return {};
  const wrong = (why: string) => new ConfigurationError(`environment variable ${ENV.hrApis} ${why}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw wrong('must be JSON');
  }
  if (!isObject(parsed)) throw wrong('must be a JSON object of sources');
  const settings: Partial<Record<HrApiSource, HrApiSettings>> = {};
  for (const [source, value] of Object.entries(parsed)) {
    if (!Object.hasOwn(HR_APIS, source)) {
      throw wrong(`names ${source}, which is not one of ${Object.keys(HR_APIS).join(', ')}`);
    }
    const { apiBaseUrl, credentialsSecretId } = isObject(value) ? value : {};
    if (
      typeof apiBaseUrl !== 'string' ||
      !apiBaseUrl ||
      typeof credentialsSecretId !== 'string' ||
      !credentialsSecretId
    ) {
      throw wrong(`must give ${source} an apiBaseUrl and a credentialsSecretId`);
    }
    settings[source as HrApiSource] = { apiBaseUrl, credentialsSecretId };
  }
  return settings;
}

export function hrApiEnvironment(values: HrApiSettingsBySource = {}): EnvironmentMap {
  return Object.keys(values).length === 0 ? {} : { [ENV.hrApis]: JSON.stringify(values) };
}

/** The worker's environment; `workerSettingsFromEnv` reads it back. */
export function workerEnvironment(values: WorkerEnvironmentValues): EnvironmentMap {
  return {
    ...cpaasEnvironment(values.cpaas),
    ...environmentMap({
      [ENV.stateTableName]: values.stateTableName,
      [ENV.dryRun]: values.dryRun,
      [ENV.deadLetterQueueUrl]: values.deadLetterQueueUrl,
      [ENV.maxReceiveCount]: values.maxReceiveCount,
    }),
    ...deprovisioningEnvironment(values.deprovisioning),
    ...hrApiEnvironment(values.hrApis),
  };
}

/** What the sweep reads: the CPaaS API, the state table, and the queues (one per lane) it puts due events back on. */
export interface SweepSettings {
  readonly cpaas: CpaasSettings;
  readonly stateTableName: string;
  readonly queueUrl: string;
  readonly priorityQueueUrl: string;
  readonly dryRun: boolean;
}

export interface SweepEnvironmentValues extends WithDefaults<Omit<SweepSettings, 'cpaas'>, 'dryRun'> {
  readonly cpaas: CpaasEnvironmentValues;
}

export function sweepSettingsFromEnv(env: Environment): SweepSettings {
  return {
    cpaas: cpaasSettingsFromEnv(env),
    stateTableName: requiredText(env, ENV.stateTableName),
    queueUrl: requiredText(env, ENV.queueUrl),
    priorityQueueUrl: requiredText(env, ENV.priorityQueueUrl),
    dryRun: flag(env, ENV.dryRun),
  };
}

/** The sweep's environment; `sweepSettingsFromEnv` reads it back. */
export function sweepEnvironment(values: SweepEnvironmentValues): EnvironmentMap {
  return {
    ...cpaasEnvironment(values.cpaas),
    ...environmentMap({
      [ENV.stateTableName]: values.stateTableName,
      [ENV.dryRun]: values.dryRun,
      [ENV.queueUrl]: values.queueUrl,
      [ENV.priorityQueueUrl]: values.priorityQueueUrl,
    }),
  };
}

/**
 * What the SCIM service provider reads: the state table that holds the SCIM users, the queues (one
 * per lane: a deactivation or DELETE is a termination and goes on the priority lane) it puts their
 * lifecycle events on, and the secret with the bearer tokens the identity provider sends.
 */
export interface ScimSettings {
  readonly stateTableName: string;
  readonly queueUrl: string;
  readonly priorityQueueUrl: string;
  /** Absent: no bulk lane, an identity provider's first cycle stays on the standard lane. */
  readonly bulkQueueUrl?: string;
  readonly tokensSecretId: string;
  /** How long the tokens are cached: a rotated token is accepted within this. */
  readonly secretCacheSeconds: number;
}

export type ScimEnvironmentValues = WithDefaults<ScimSettings, 'secretCacheSeconds'>;

export function scimSettingsFromEnv(env: Environment): ScimSettings {
  return {
    stateTableName: requiredText(env, ENV.stateTableName),
    queueUrl: requiredText(env, ENV.queueUrl),
    priorityQueueUrl: requiredText(env, ENV.priorityQueueUrl),
    ...optionalText(env, ENV.bulkQueueUrl, 'bulkQueueUrl'),
    tokensSecretId: requiredText(env, ENV.scimTokensSecretId),
    secretCacheSeconds: positiveInteger(env, ENV.secretCacheSeconds, DEFAULTS.secretCacheSeconds),
  };
}

/** The SCIM function's environment; `scimSettingsFromEnv` reads it back. */
export function scimEnvironment(values: ScimEnvironmentValues): EnvironmentMap {
  return environmentMap({
    [ENV.stateTableName]: values.stateTableName,
    [ENV.queueUrl]: values.queueUrl,
    [ENV.priorityQueueUrl]: values.priorityQueueUrl,
    [ENV.bulkQueueUrl]: values.bulkQueueUrl,
    [ENV.scimTokensSecretId]: values.tokensSecretId,
    [ENV.secretCacheSeconds]: values.secretCacheSeconds,
  });
}
