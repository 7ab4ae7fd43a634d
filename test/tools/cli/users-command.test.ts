import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningSandbox, startSandbox } from '../../../tools/sandbox/index.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { unsafeLinesOf } from '../../support/unsafe-text.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { type CliProcessRun, runCliProcess } from './cli-process.js';

const API_KEY = 'cli-test-key-9f8e7d6c5b4a';

let sandbox: RunningSandbox;

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: API_KEY });
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.control.reset();
});

/** The real CLI in a child process, as an operator runs it; the environment is only what is passed. */
function cli(args: string[], env: Record<string, string> = {}): Promise<CliProcessRun> {
  return runCliProcess(['users', ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
}

function sandboxEnv(): Record<string, string> {
  return {
    CPAAS_BASE_URL: sandbox.url,
    CPAAS_ACCOUNT_ID: sandbox.accountId,
    CPAAS_API_KEY: API_KEY,
    CPAAS_ALLOW_INSECURE_HTTP: 'true',
  };
}

const totalRequests = () => Object.values(sandbox.control.requestCounts()).reduce((sum, n) => sum + n, 0);

describe('cpaas-lifecycle users', () => {
  it('creates a user from flags and prints it as a table or as the API data object', async () => {
    const table = await cli(
      [
        'create',
        '--email',
        'grace@example.test',
        '--first-name',
        'Grace',
        '--last-name',
        'Hopper',
        '--presence-id',
        '1001',
        '--caller-id-internal',
        '1001',
        '--no-enabled',
      ],
      sandboxEnv(),
    );
    expect(table.stderr).toBe('');
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^FIELD\s+VALUE$/m);
    expect(table.stdout).toMatch(/^caller_id\.internal\.number\s+1001$/m);
    expect(table.stdout).toMatch(/^enabled\s+false$/m);

    const json = await cli(
      [
        'create',
        '--json',
        '--body',
        '{"email":"ada@example.test","first_name":"Ada","timezone":"UTC"}',
        '--last-name',
        'L',
      ],
      sandboxEnv(),
    );
    expect(json.code).toBe(0);
    const created = JSON.parse(json.stdout);
    expect(created).toMatchObject({
      email: 'ada@example.test',
      first_name: 'Ada',
      last_name: 'L',
      timezone: 'UTC',
    });
    expect(created.id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(sandbox.control.users()).toHaveLength(2);
  });

  it('lists every page: --json gives an array, the table a row per user and a count', async () => {
    sandbox.control.seedUsers(60);
    const [json, table] = await Promise.all([
      cli(['list', '--json', '--page-size', '25'], sandboxEnv()),
      cli(['list'], sandboxEnv()),
    ]);
    expect(json.code).toBe(0);
    const listed = JSON.parse(json.stdout) as Array<{ id: string }>;
    expect(listed.map((user) => user.id).sort()).toEqual(
      sandbox.control
        .users()
        .map((user) => user.id)
        .sort(),
    );
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ID\s+EMAIL\s+FIRST NAME\s+LAST NAME\s+ENABLED\s+PRESENCE ID$/);
    expect(lines).toHaveLength(62);
    expect(lines.at(-1)).toBe('60 user(s)');
    expect(sandbox.control.requestCounts().listUsers).toBe(3 + 2);
  });

  it('escapes control characters the API returns, so a user name cannot break the table or the screen', async () => {
    const created = await cli(
      [
        'create',
        '--email',
        'eve@example.test',
        '--first-name',
        'Ada\u0008Evil',
        '--last-name',
        'Bell\u0007\u001b[2J\nInjected',
        '--json',
      ],
      sandboxEnv(),
    );
    expect(created.code).toBe(0);
    const table = await cli(['list'], sandboxEnv());
    expect(table.code).toBe(0);
    expect(unsafeLinesOf(table.stdout)).toEqual([]);
    const lines = table.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain('Ada\\u0008Evil');
    expect(lines[1]).toContain('Bell\\u0007\\u001B[2J\\u000AInjected');
    // --json stays JSON, with the same characters.
    expect(JSON.parse(created.stdout)).toMatchObject({ last_name: 'Bell\u0007\u001b[2J\nInjected' });
  });

  it('gets, updates without wiping other fields, impersonates and deletes by id, flags instead of env', async () => {
    sandbox.control.seedUsers(1);
    const [seeded] = sandbox.control.users();
    const id = (seeded as { id: string }).id;
    const flags = ['--base-url', sandbox.url, '--account', sandbox.accountId, '--allow-insecure-http'];
    const env = { CPAAS_API_KEY: API_KEY };

    const before = await cli(['get', id, '--json', ...flags], env);
    expect(before.code).toBe(0);
    const original = JSON.parse(before.stdout);
    expect(original.id).toBe(id);

    const update = await cli(
      ['update', id, '--timezone', 'Asia/Tokyo', '--caller-id-external', '+15550199', ...flags],
      env,
    );
    expect(update.code).toBe(0);
    const [stored] = sandbox.control.users();
    const { id: _id, ...expected } = original;
    expect(stored).toMatchObject({
      ...expected,
      timezone: 'Asia/Tokyo',
      caller_id: { ...original.caller_id, external: { number: '+15550199' } },
    });

    const token = await cli(['impersonate', id, ...flags], env);
    expect(token.code).toBe(0);
    expect(token.stdout.trim().length).toBeGreaterThan(0);

    const deleted = await cli(['delete', id, ...flags], env);
    expect(deleted).toMatchObject({ code: 0, stdout: `Deleted user ${id}.\n` });
    expect(sandbox.control.users()).toEqual([]);
  });

  it('exits 1 with the vendor message on API errors, never printing the key', async () => {
    const env = sandboxEnv();
    await cli(['create', '--email', 'dup@example.test', '--first-name', 'A', '--last-name', 'B'], env);
    const [duplicate, missing, unauthorized] = await Promise.all([
      cli(['create', '--email', 'DUP@example.test', '--first-name', 'C', '--last-name', 'D'], env),
      cli(['get', 'N'.repeat(32)], env),
      cli(['list'], { ...env, CPAAS_API_KEY: `${API_KEY}-old` }),
    ]);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(
      /^error: CPaaS API 400 on POST \/v1\/account\/\w+\/user: .*email already exists/,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/CPaaS API 404 on GET/);
    expect(unauthorized.code).toBe(1);
    expect(unauthorized.stderr).toMatch(/CPaaS API 401/);
    for (const run of [duplicate, missing, unauthorized]) {
      expect(run.stdout + run.stderr).not.toContain(API_KEY);
    }
  });

  it('exits 2 on usage errors, sending nothing', async () => {
    const env = sandboxEnv();
    const runs = await Promise.all([
      cli(['list'], { CPAAS_API_KEY: API_KEY }),
      cli(['list'], { ...env, CPAAS_API_KEY: '' }),
      cli(['list', '--page-size', '51'], env),
      cli(['get', 'not-an-id'], env),
      cli(['create', '--email', 'x@example.test', '--first-name', 'X'], env),
      cli(['create', '--body', '{not json'], env),
      cli(['update', 'a'.repeat(32)], env),
      cli(['list', '--no-such-flag'], env),
      cli(['list'], { ...env, CPAAS_ALLOW_INSECURE_HTTP: '' }),
    ]);
    expect(runs.map((run) => run.code)).toEqual(runs.map(() => 2));
    expect(runs[0]?.stderr).toContain('pass --base-url or set CPAAS_BASE_URL');
    expect(runs[1]?.stderr).toContain('set CPAAS_API_KEY, or pass --secret-id');
    expect(runs[3]?.stderr).toContain('userId: must be 32 alphanumeric characters');
    expect(runs[4]?.stderr).toContain('user.last_name');
    expect(runs[5]?.stderr).toContain('--body is not valid JSON');
    expect(runs[6]?.stderr).toContain('nothing to change');
    expect(runs[8]?.stderr).toContain('--allow-insecure-http');
    expect(totalRequests()).toBe(0);
  });

  it('has --help on every command', async () => {
    const commands = ['list', 'get', 'create', 'update', 'delete', 'impersonate'];
    const runs = await Promise.all([cli(['--help']), ...commands.map((command) => cli([command, '--help']))]);
    for (const run of runs) expect(run.code).toBe(0);
    expect(runs[0]?.stdout).toMatch(/Commands:[\s\S]*impersonate/);
    commands.forEach((command, index) => {
      expect(runs[index + 1]?.stdout).toContain(`Usage: cpaas-lifecycle users ${command}`);
    });
    expect(runs[3]?.stdout).toContain('--first-name <name>');
    expect(runs[3]?.stdout).toContain('--no-enabled');
  });

  it('reads the key from Secrets Manager with --secret-id (AWS_ENDPOINT_URL honoured)', async () => {
    const aws = motoClientConfig();
    const secrets = new SecretsManagerClient(aws);
    const name = uniqueName('cpaas-api-key');
    await secrets.send(new CreateSecretCommand({ Name: name, SecretString: API_KEY }));
    secrets.destroy();
    sandbox.control.seedUsers(3);
    const run = await cli(['list', '--json', '--secret-id', name], {
      CPAAS_BASE_URL: sandbox.url,
      CPAAS_ACCOUNT_ID: sandbox.accountId,
      CPAAS_ALLOW_INSECURE_HTTP: 'true',
      ...awsSdkEnv(),
    });
    // The SDK may warn about the Node version on stderr; an error would start with `error:`.
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(3);
  });
});
