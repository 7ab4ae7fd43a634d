import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
  parseStackConfig,
  StackConfigError,
} from '../../infra/config.js';
import { DEFAULTS, TERMINATION_POLICIES } from '../../lambdas/contract/settings.js';

const committedContext: Record<string, unknown> = JSON.parse(readFileSync('cdk.json', 'utf8')).context;

function parse(overrides: Record<string, unknown>) {
  const context = { ...committedContext, ...overrides };
  return parseStackConfig((key) => context[key]);
}

function errorOf(overrides: Record<string, unknown>): StackConfigError {
  try {
    parse(overrides);
  } catch (error) {
    if (error instanceof StackConfigError) return error;
    throw error;
  }
  throw new Error('expected a StackConfigError');
}

const ACCOUNT_ID = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6';
const SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:cpaas-lifecycle/cpaas-api-key-AbC123';

describe('parseStackConfig', () => {
  it('accepts the committed cdk.json and fills the rest from DEFAULTS', () => {
    const config = parse({});
    expect(config).toMatchObject({
      cpaasBaseUrl: 'https://api.cpaaslabs.net',
      terminationPolicy: DEFAULTS.terminationPolicy,
      maxConcurrency: DEFAULTS.maxConcurrency,
      maxReceiveCount: DEFAULTS.maxReceiveCount,
      dryRun: false,
      oldestMessageAgeAlarmSeconds: DEFAULT_OLDEST_MESSAGE_AGE_ALARM_SECONDS,
      deleteGraceDays: DEFAULTS.deleteGraceDays,
      deletionBrakeWindowMinutes: DEFAULTS.deletionBrake.windowMinutes,
      deletionBrakeMinimum: DEFAULTS.deletionBrake.minimum,
      deletionBrakePercent: DEFAULTS.deletionBrake.percent,
      priorityReservedConcurrency: DEFAULTS.priorityReservedConcurrency,
    });
    expect(config.cpaasAccountId).toBeUndefined();
    expect(config.apiKeySecretName).toBeUndefined();
    expect(config.alarmEmail).toBeUndefined();
  });

  it('reads -c strings as the numbers and booleans they spell', () => {
    const config = parse({
      maxConcurrency: '20',
      maxReceiveCount: '3',
      dryRun: 'true',
      oldestMessageAgeAlarmSeconds: '600',
      terminationPolicy: 'disable',
      cpaasAccountId: ACCOUNT_ID,
      apiKeySecretArn: SECRET_ARN,
      webhookSecretsSecretName: 'hr/webhooks',
      scimTokensSecretArn: SECRET_ARN,
      alarmEmail: 'ops@example.com',
      deleteGraceDays: '90',
      deletionBrakeWindowMinutes: '1440',
      deletionBrakeMinimum: '25',
      deletionBrakePercent: '0.5',
    });
    expect(config).toMatchObject({
      deleteGraceDays: 90,
      deletionBrakeWindowMinutes: 1440,
      deletionBrakeMinimum: 25,
      deletionBrakePercent: 0.5,
      maxConcurrency: 20,
      maxReceiveCount: 3,
      dryRun: true,
      oldestMessageAgeAlarmSeconds: 600,
      terminationPolicy: 'disable',
      cpaasAccountId: ACCOUNT_ID,
      apiKeySecretArn: SECRET_ARN,
      webhookSecretsSecretName: 'hr/webhooks',
      scimTokensSecretArn: SECRET_ARN,
    });
  });

  it.each([
    ['maxConcurrency', '1'],
    ['maxConcurrency', 'ten'],
    ['maxConcurrency', 2.5],
    ['maxReceiveCount', 0],
    ['terminationPolicy', 'archive'],
    ['cpaasBaseUrl', 'http://api.cpaaslabs.net'],
    ['cpaasBaseUrl', 'not a url'],
    ['cpaasAccountId', 'too-short'],
    ['apiKeySecretArn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cpaas-key'],
    ['scimTokensSecretArn', 'arn:aws:secretsmanager:us-east-1:123456789012:secret:scim'],
    ['scimTokensSecretArn', 'cpaas-lifecycle/scim-tokens'],
    ['webhookSecretsSecretName', 'has spaces in it'],
    ['dryRun', 'yes'],
    ['oldestMessageAgeAlarmSeconds', 30],
    ['deleteGraceDays', 0],
    ['deleteGraceDays', '3651'],
    ['deleteGraceDays', '1.5'],
    ['deleteGraceDays', 'thirty'],
    ['deletionBrakeWindowMinutes', '0'],
    ['deletionBrakeWindowMinutes', 1441],
    ['deletionBrakeMinimum', 0],
    ['deletionBrakeMinimum', 100_001],
    ['deletionBrakePercent', '-1'],
    ['deletionBrakePercent', 100.5],
    ['deletionBrakePercent', 'five'],
    ['hrApis', '{"bamboohr": '],
    ['hrApis', '{"workday": {"apiBaseUrl": "https://workday.example"}}'],
  ])('rejects %s = %j and names the key', (key, value) => {
    const error = errorOf({ [key]: value });
    expect(error.issues.map((issue) => issue.key)).toEqual([key]);
    expect(error.message).toContain(`- ${key}: `);
    expect(error.message).toContain('-c key=value');
  });

  it.each([
    [
      'hrApis.bamboohr.apiBaseUrl',
      { bamboohr: { apiBaseUrl: 'http://api.bamboohr.com/api/gateway.php/acme' } },
    ],
    [
      'hrApis.bamboohr.credentialsSecretArn',
      { bamboohr: { apiBaseUrl: 'https://x.example', credentialsSecretArn: 'hr/bamboohr' } },
    ],
    ['hrApis.bamboohr', { bamboohr: { apiBaseUrl: 'https://x.example', apiKey: 'a key in context' } }],
  ])('rejects a wrong HR API setting and names it as %s', (key, hrApis) => {
    expect(errorOf({ hrApis }).issues.map((issue) => issue.key)).toEqual([key]);
  });

  it('reads hrApis from -c text as from a cdk.json object, and none when absent', () => {
    const apis = {
      bamboohr: {
        apiBaseUrl: 'https://api.bamboohr.com/api/gateway.php/acme',
        credentialsSecretArn: SECRET_ARN,
      },
    };
    expect(parse({ hrApis: JSON.stringify(apis) }).hrApis).toEqual(apis);
    expect(parse({ hrApis: apis }).hrApis).toEqual(apis);
    expect(parse({}).hrApis).toEqual({});
  });

  it.each(TERMINATION_POLICIES)('accepts the termination policy %s', (policy) => {
    expect(parse({ terminationPolicy: policy }).terminationPolicy).toBe(policy);
  });

  it('says what range a number must be in', () => {
    for (const value of ['0', '2.5', 'ten']) {
      expect(errorOf({ deleteGraceDays: value }).message).toContain(
        '- deleteGraceDays: must be a whole number from 1 to 3650',
      );
    }
    expect(errorOf({ deletionBrakePercent: '250' }).message).toContain(
      '- deletionBrakePercent: must be a number from 0 to 100',
    );
  });

  it('reserves none or at least 2 executions for the priority lane, never 1 (its mapping needs 2)', () => {
    expect(parse({ priorityReservedConcurrency: '0' }).priorityReservedConcurrency).toBe(0);
    expect(errorOf({ priorityReservedConcurrency: '1' }).issues).toEqual([
      { key: 'priorityReservedConcurrency', message: 'must be 0 (none reserved) or from 2 to 1000' },
    ]);
  });

  it('says a required key is missing rather than quoting a type error', () => {
    const error = errorOf({ cpaasBaseUrl: undefined });
    expect(error.message).toContain('- cpaasBaseUrl: is required');
  });

  it('refuses a secret given both by name and by ARN', () => {
    const error = errorOf({ apiKeySecretName: 'x', apiKeySecretArn: SECRET_ARN });
    expect(error.issues).toEqual([
      { key: 'apiKeySecretArn', message: 'set apiKeySecretName or apiKeySecretArn, not both' },
    ]);
  });

  it('reports every bad key at once and never echoes a value (an e-mail is personal data)', () => {
    const error = errorOf({ alarmEmail: 'jane.doe-at-example', maxReceiveCount: -1 });
    expect(error.issues.map((issue) => issue.key).sort()).toEqual(['alarmEmail', 'maxReceiveCount']);
    expect(error.message).not.toContain('jane.doe');
  });
});

describe('the CDK app', () => {
  it('fails synth with the offending key when context is invalid', async () => {
    const outdir = await mkdtemp(join(tmpdir(), 'cdk-out-'));
    try {
      const run = promisify(execFile)('node_modules/.bin/tsx', ['infra/app.ts'], {
        env: {
          ...process.env,
          CDK_OUTDIR: outdir,
          CDK_CONTEXT_JSON: JSON.stringify({ ...committedContext, maxConcurrency: '1' }),
        },
      });
      await expect(run).rejects.toMatchObject({ stderr: expect.stringContaining('- maxConcurrency: ') });
    } finally {
      await rm(outdir, { recursive: true, force: true });
    }
    // A child process that loads aws-cdk-lib through tsx: seconds when idle, far more on a loaded
    // machine. A bound on a hang, not a speed target.
  }, 120_000);
});
