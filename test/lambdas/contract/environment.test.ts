import { describe, expect, it } from 'vitest';
import {
  ENV,
  type Environment,
  type EnvironmentMap,
  type IngestSettings,
  ingestEnvironment,
  ingestSettingsFromEnv,
  type ScimSettings,
  type SweepSettings,
  scimEnvironment,
  scimSettingsFromEnv,
  sweepEnvironment,
  sweepSettingsFromEnv,
  type WorkerSettings,
  workerEnvironment,
  workerSettingsFromEnv,
} from '../../../lambdas/contract/environment.js';
import { ConfigurationError } from '../../../lambdas/contract/errors.js';
import { DEFAULTS } from '../../../lambdas/contract/settings.js';

/** Every setting away from its default, so a builder that drops one fails the round trip. */
const cpaas = {
  baseUrl: 'https://cpaas.example',
  accountId: 'a'.repeat(32),
  apiKeySecretId: 'api-key',
  allowInsecureHttp: true,
  secretCacheSeconds: 42,
};
const ingest: IngestSettings = {
  queueUrl: 'queue-url',
  priorityQueueUrl: 'priority-queue-url',
  bulkQueueUrl: 'bulk-queue-url',
  webhookSecretsSecretId: 'hooks',
  stateTableName: 'state',
  secretCacheSeconds: 7,
};
const worker: WorkerSettings = {
  cpaas,
  stateTableName: 'state',
  deadLetterQueueUrl: 'dlq-url',
  maxReceiveCount: 9,
  dryRun: true,
  deprovisioning: {
    policy: 'disable-then-delete',
    deleteGraceDays: 14,
    brake: { windowMinutes: 30, minimum: 3, percent: 2.5 },
  },
  hrApis: {
    bamboohr: { apiBaseUrl: 'https://api.bamboohr.com/api/gateway.php/acme', credentialsSecretId: 'bamboo' },
  },
};
const sweep: SweepSettings = {
  cpaas,
  stateTableName: 'state',
  queueUrl: 'queue-url',
  priorityQueueUrl: 'priority-queue-url',
  dryRun: true,
};
const scim: ScimSettings = {
  stateTableName: 'state',
  queueUrl: 'queue-url',
  priorityQueueUrl: 'priority-queue-url',
  bulkQueueUrl: 'bulk-queue-url',
  tokensSecretId: 'scim-tokens',
  secretCacheSeconds: 11,
};

/** One function's builder and reader, with the map its builder writes from `settings`. */
function pair<S>(
  name: string,
  settings: S,
  write: (values: S) => EnvironmentMap,
  read: (env: Environment) => S,
) {
  return { name, settings, map: write(settings), read };
}

const functions = [
  pair('ingest', ingest, ingestEnvironment, ingestSettingsFromEnv),
  pair<WorkerSettings>('worker', worker, workerEnvironment, workerSettingsFromEnv),
  pair<SweepSettings>('sweep', sweep, sweepEnvironment, sweepSettingsFromEnv),
  pair('scim', scim, scimEnvironment, scimSettingsFromEnv),
];

/** The variables a reader asks for, whether or not they are set. */
function namesRead(read: (env: Environment) => unknown, env: EnvironmentMap): string[] {
  const names = new Set<string>();
  read(
    new Proxy(env, {
      get(target, name) {
        if (typeof name === 'string') names.add(name);
        return target[name as string];
      },
    }),
  );
  return [...names].sort();
}

describe.each(functions)('the $name environment', ({ settings, map, read }) => {
  it('reads back exactly the settings its builder wrote', () => {
    expect(read(map)).toEqual(settings);
  });

  it('is written with exactly the variables its reader reads', () => {
    expect(namesRead(read, map)).toEqual(Object.keys(map).sort());
  });

  it('fails on a bad SECRET_CACHE_SECONDS with the variable name', () => {
    const env = { ...map, [ENV.secretCacheSeconds]: 'soon' };
    expect(() => read(env)).toThrow(ConfigurationError);
    expect(() => read(env)).toThrow(
      `environment variable ${ENV.secretCacheSeconds} must be a positive integer`,
    );
  });

  it('names each required variable that is missing', () => {
    const required = Object.keys(map).filter((name) => {
      const { [name]: _, ...rest } = map;
      try {
        read(rest);
        return false;
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigurationError);
        expect((error as Error).message).toBe(`environment variable ${name} is not set`);
        return true;
      }
    });
    expect(required.length).toBeGreaterThan(0);
  });
});

describe('builders and defaults', () => {
  it('leave out what is not given, so the reader applies DEFAULTS', () => {
    const env = workerEnvironment({
      cpaas: { baseUrl: cpaas.baseUrl, accountId: cpaas.accountId, apiKeySecretId: cpaas.apiKeySecretId },
      stateTableName: 'state',
      deadLetterQueueUrl: 'dlq-url',
    });
    expect(Object.keys(env).sort()).toEqual(
      [
        ENV.cpaasBaseUrl,
        ENV.cpaasAccountId,
        ENV.cpaasApiKeySecretId,
        ENV.stateTableName,
        ENV.deadLetterQueueUrl,
      ].sort(),
    );
    expect(workerSettingsFromEnv(env)).toEqual({
      cpaas: { ...cpaas, allowInsecureHttp: false, secretCacheSeconds: DEFAULTS.secretCacheSeconds },
      stateTableName: 'state',
      deadLetterQueueUrl: 'dlq-url',
      maxReceiveCount: DEFAULTS.maxReceiveCount,
      dryRun: false,
      deprovisioning: {
        policy: DEFAULTS.terminationPolicy,
        deleteGraceDays: DEFAULTS.deleteGraceDays,
        brake: DEFAULTS.deletionBrake,
      },
      hrApis: {},
    });
  });

  it('read an empty variable as unset', () => {
    const env = { ...ingestEnvironment(ingest), [ENV.secretCacheSeconds]: '' };
    expect(ingestSettingsFromEnv(env).secretCacheSeconds).toBe(DEFAULTS.secretCacheSeconds);
  });

  it('together read every variable ENV names', () => {
    const read = functions.flatMap(({ map, read }) => namesRead(read, map));
    expect([...new Set(read)].sort()).toEqual(Object.values(ENV).sort());
  });
});

describe('strict readers', () => {
  const env = workerEnvironment(worker);

  it.each([
    [ENV.dryRun, 'yes', 'true or false'],
    [ENV.cpaasAllowInsecureHttp, '1', 'true or false'],
    [ENV.maxReceiveCount, '2.5', 'a positive integer'],
    [ENV.deletionBrakePercent, '-1', 'a number >= 0'],
    [ENV.terminationPolicy, 'erase', 'one of delete, disable, disable-then-delete'],
  ])('reject %s=%s with what it must be', (name, value, expected) => {
    expect(() => workerSettingsFromEnv({ ...env, [name]: value })).toThrow(
      new ConfigurationError(`environment variable ${name} must be ${expected}`),
    );
  });

  it('accept false for a flag', () => {
    expect(workerSettingsFromEnv({ ...env, [ENV.dryRun]: 'false' }).dryRun).toBe(false);
  });
});

describe('HR APIs of the worker', () => {
  const env = workerEnvironment(worker);

  it.each([
    ['not JSON', '{bamboohr', 'must be JSON'],
    ['not an object', '["bamboohr"]', 'must be a JSON object of sources'],
    [
      'an unknown source',
      '{"workday": {"apiBaseUrl": "https://x", "credentialsSecretId": "s"}}',
      'names workday, which is not one of',
    ],
    [
      'a source without its secret',
      '{"bamboohr": {"apiBaseUrl": "https://x"}}',
      'must give bamboohr an apiBaseUrl and a credentialsSecretId',
    ],
  ])('reject %s, naming the variable', (_, value, expected) => {
    expect(() => workerSettingsFromEnv({ ...env, [ENV.hrApis]: value })).toThrow(
      new RegExp(`environment variable ${ENV.hrApis} ${expected}`),
    );
  });

  it('configure none when the variable is unset', () => {
    const { [ENV.hrApis]: _, ...without } = env;
    expect(workerSettingsFromEnv(without).hrApis).toEqual({});
    expect(workerEnvironment({ ...worker, hrApis: {} })).not.toHaveProperty(ENV.hrApis);
  });
});
