import { z } from 'zod';
import { DEFAULTS, HR_API_SOURCES, TERMINATION_POLICIES } from '../lambdas/contract/settings.js';

/**
 * `-c key=value` always arrives as a string while `cdk.json` holds typed JSON; turning numeric and
 * boolean strings into values first lets one schema validate both sources the same way.
 */
function fromContextString(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const trimmed = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  if (trimmed === 'true') return true;
  if (trimmed === 'false') return false;
  return value;
}

/** One message for every way a number can be wrong: it states the accepted range. */
const integer = (min: number, max: number) => {
  const error = `must be a whole number from ${min} to ${max}`;
  return z.preprocess(
    fromContextString,
    z.number({ error }).int({ error }).min(min, { error }).max(max, { error }),
  );
};

/** A percentage may be fractional: 0.5 % of a large workforce is still a meaningful brake. */
const percent = (() => {
  const error = 'must be a number from 0 to 100';
  return z.preprocess(fromContextString, z.number({ error }).min(0, { error }).max(100, { error }));
})();

const flag = z.preprocess(fromContextString, z.boolean());

/** `-c key='{"a": 1}'` arrives as text; `cdk.json` holds the object itself. Text that is not JSON fails the schema as a string. */
function fromContextJson(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

const httpsUrl = z.url({ protocol: /^https$/, error: 'must be an https:// URL' });

/** Secrets Manager's own name alphabet, so a typo fails at synth rather than as AccessDenied at runtime. */
const secretName = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (letters, digits, /_+=.@-)');

/** Complete ARNs only (with the 6-character suffix), so the IAM grant names exactly one secret. */
const secretArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
    'must be the complete ARN of a Secrets Manager secret (ending in the 6-character suffix)',
  );

/** A queue that has not drained for 15 minutes is stuck, not busy: 10,000 events a month is a trickle. */
export const DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS = 900;

/** A termination is revoked in about a second; one still queued after a minute means the lane is stuck. */
export const DEFAULT_PRIORITY_OLDEST_MESSAGE_AGE_ALARM_SECONDS = 60;

/**
 * Every setting the stack reads from CDK context. Keys that `DEFAULTS` already defines default to
 * it here, so `cdk.json` only carries what is specific to a deployment.
 */
export const StackConfigSchema = z
  .object({
    cpaasBaseUrl: httpsUrl,
    /** Optional: when absent the stack asks for it as the `CpaasAccountId` deploy parameter. */
    cpaasAccountId: z
      .string()
      .regex(/^[A-Za-z0-9]{32}$/, 'must be the 32 alphanumeric CPaaS account id')
      .optional(),
    apiKeySecretName: secretName.optional(),
    apiKeySecretArn: secretArn.optional(),
    webhookSecretsSecretName: secretName.optional(),
    webhookSecretsSecretArn: secretArn.optional(),
    /**
     * Optional: an existing SCIM tokens secret (`{"current": ..., "previous": ...}`), e.g. one kept
     * across stacks so the identity provider keeps its token; absent, the stack creates one with a
     * generated token. The complete ARN only, so the grant names exactly that secret.
     */
    scimTokensSecretArn: secretArn.optional(),
    /**
     * The HR APIs the workers fetch people from, per source of `HR_APIS`: its API root and,
     * optionally, an existing credentials secret (absent, the stack creates one to fill in), e.g.
     * `{"bamboohr": {"apiBaseUrl": "https://api.bamboohr.com/api/gateway.php/acme"}}`. A source
     * left out has its details-pending events retried and dead-lettered as not configured.
     */
    hrApis: z
      .preprocess(
        fromContextJson,
        z.partialRecord(
          z.enum(HR_API_SOURCES),
          z.strictObject({ apiBaseUrl: httpsUrl, credentialsSecretArn: secretArn.optional() }),
          { error: `must be a JSON object keyed by ${HR_API_SOURCES.join(', ')}` },
        ),
      )
      .default({}),
    terminationPolicy: z.enum(TERMINATION_POLICIES).default(DEFAULTS.terminationPolicy),
    /** `disable-then-delete` only: days a disabled user is kept; up to ten years, never zero (that is `delete`). */
    deleteGraceDays: integer(1, 3650).default(DEFAULTS.deleteGraceDays),
    /** The deletion brake's sliding window, up to one day. */
    deletionBrakeWindowMinutes: integer(1, 24 * 60).default(DEFAULTS.deletionBrake.windowMinutes),
    /** Terminations always allowed per window, however few users are linked. */
    deletionBrakeMinimum: integer(1, 100_000).default(DEFAULTS.deletionBrake.minimum),
    /** Terminations allowed per window as a percentage of linked users, when that is above the minimum. */
    deletionBrakePercent: percent.default(DEFAULTS.deletionBrake.percent),
    /** The event source mapping's range; it is what keeps the worker inside the CPaaS rate limit. */
    maxConcurrency: integer(2, 1000).default(DEFAULTS.maxConcurrency),
    maxReceiveCount: integer(1, 1000).default(DEFAULTS.maxReceiveCount),
    /**
     * Executions reserved for the priority lane's worker (terminations); 0 reserves none, for an
     * account whose quota cannot spare them (a new account's 10). 1 is refused: the lane's mapping
     * needs at least 2 (SQS's minimum maximum concurrency), so one would throttle it.
     */
    priorityReservedConcurrency: integer(0, 1000).default(DEFAULTS.priorityReservedConcurrency),
    /** A termination waiting longer than this pages: the priority lane is meant to revoke in seconds. */
    priorityOldestMessageAgeAlarmSeconds: integer(60, 14 * 24 * 3600).default(
      DEFAULT_PRIORITY_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
    ),
    alarmEmail: z.email('must be an e-mail address').optional(),
    dryRun: flag.default(false),
    /** Between one minute and the 14-day SQS retention maximum. */
    oldestMessageAgeAlarmSeconds: integer(60, 14 * 24 * 3600).default(
      DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
    ),
  })
  .superRefine((config, context) => {
    if (config.priorityReservedConcurrency === 1) {
      context.addIssue({
        code: 'custom',
        path: ['priorityReservedConcurrency'],
        message: 'must be 0 (none reserved) or from 2 to 1000',
      });
    }
    for (const secret of ['apiKeySecret', 'webhookSecretsSecret'] as const) {
      if (config[`${secret}Name`] !== undefined && config[`${secret}Arn`] !== undefined) {
        context.addIssue({
          code: 'custom',
          path: [`${secret}Arn`],
          message: `set ${secret}Name or ${secret}Arn, not both`,
        });
      }
    }
  });

export type StackConfig = z.infer<typeof StackConfigSchema>;

/** The context keys the stack reads; anything else in the context is CDK's own business. */
export const CONTEXT_KEYS = Object.keys(StackConfigSchema.shape) as readonly (keyof StackConfig)[];

/** Synth stops with this; the message names each bad key and never echoes a value (e-mail is PII). */
export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
  constructor(readonly issues: readonly { key: string; message: string }[]) {
    super(
      [
        'Invalid CDK context (set it in cdk.json "context" or with -c key=value):',
        ...issues.map((issue) => `  - ${issue.key}: ${issue.message}`),
      ].join('\n'),
    );
  }
}

/** Validates the stack's context values; `lookup` is `node.tryGetContext` in the app. */
export function parseStackConfig(lookup: (key: string) => unknown): StackConfig {
  const raw = Object.fromEntries(CONTEXT_KEYS.map((key) => [key, lookup(key)]));
  const parsed = StackConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new StackConfigError(
    parsed.error.issues.map((issue) => ({
      key: issue.path.join('.') || '(context)',
      // zod's own messages may quote the input; for a missing required key say so plainly.
      message: raw[String(issue.path[0])] === undefined ? 'is required' : issue.message,
    })),
  );
}
