import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from '../support/aws.js';

const API_KEY = 'cli-test-key-9f8e7d6c5b4a';

/**
 * A minimal stand-in for the CPaaS sandbox (lambdas/sandbox), shaped like its `RunningSandbox`, used
 * until the sandbox lands: the six endpoints, key check, duplicate email, 404 and pagination.
 */
interface StandIn {
  readonly url: string;
  readonly accountId: string;
  readonly control: {
    reset(): void;
    seedUsers(count: number): void;
    users(): Array<Record<string, unknown> & { id: string }>;
    requestCounts(): Record<string, number>;
  };
  close(): Promise<void>;
}

async function startStandIn(apiKey: string): Promise<StandIn> {
  const accountId = 'S'.repeat(32);
  let users = new Map<string, Record<string, unknown> & { id: string }>();
  let counts: Record<string, number> = {};
  let next = 0;
  const newId = () => {
    next += 1;
    return `u${String(next).padStart(31, '0')}`;
  };
  const server = createServer((request, response) => {
    let raw = '';
    request.on('data', (chunk) => {
      raw += chunk;
    });
    request.on('end', () => {
      const send = (status: number, body: Record<string, unknown>) =>
        response
          .writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req-${next}` })
          .end(JSON.stringify({ status_code: status, request_id: `req-${next}`, ...body }));
      const url = new URL(request.url ?? '/', 'http://x');
      const match = url.pathname.match(/^\/v1\/account\/(\w+)\/user(?:\/(\w+))?(\/userauth)?$/);
      const route = !match
        ? 'unknown'
        : match[3]
          ? 'impersonateUser'
          : match[2]
            ? ({ GET: 'getUser', PUT: 'updateUser', DELETE: 'deleteUser' }[request.method ?? ''] ?? 'unknown')
            : request.method === 'POST'
              ? 'createUser'
              : 'listUsers';
      counts[route] = (counts[route] ?? 0) + 1;
      if (request.headers.authorization !== `Bearer ${apiKey}`) {
        return send(401, { error_code: 1401, message: 'invalid API key' });
      }
      const id = match?.[2];
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const emailTaken = (email: unknown, except?: string) =>
        [...users.values()].some(
          (user) => user.id !== except && String(user.email).toLowerCase() === String(email).toLowerCase(),
        );
      if (route === 'listUsers') {
        const all = [...users.values()];
        const size = Number(url.searchParams.get('page_size') ?? 50);
        const start = Number(url.searchParams.get('start_key') ?? 0);
        const end = start + size;
        return send(200, {
          data: all.slice(start, end),
          ...(end < all.length ? { next_start_key: String(end) } : {}),
        });
      }
      if (route === 'createUser') {
        if (emailTaken(body.email)) return send(400, { error_code: 1001, message: 'email already exists' });
        const user = { ...body, id: newId() };
        users.set(user.id, user);
        return send(200, { data: user });
      }
      const user = id === undefined ? undefined : users.get(id);
      if (!user) return send(404, { error_code: 1404, message: 'user not found' });
      if (route === 'getUser') return send(200, { data: user });
      if (route === 'updateUser') {
        const replaced = { ...body, id: user.id };
        users.set(user.id, replaced);
        return send(200, { data: replaced });
      }
      if (route === 'deleteUser') {
        users.delete(user.id);
        return send(200, { data: user });
      }
      return send(200, { data: { auth_token: `token-${user.id}` } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accountId,
    control: {
      reset() {
        users = new Map();
        counts = {};
      },
      seedUsers(count) {
        for (let n = 0; n < count; n += 1) {
          const user = {
            id: newId(),
            email: `seed${n}@example.test`,
            first_name: `F${n}`,
            last_name: `L${n}`,
            presence_id: String(1000 + n),
            caller_id: { internal: { number: String(1000 + n) } },
          };
          users.set(user.id, user);
        }
      },
      users: () => [...users.values()],
      requestCounts: () => ({ ...counts }),
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let sandbox: StandIn;

beforeAll(async () => {
  sandbox = await startStandIn(API_KEY);
});
afterAll(async () => {
  await sandbox.close();
});
beforeEach(() => {
  sandbox.control.reset();
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real CLI in a child process, as an operator runs it; the environment is only what is passed. */
function cli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['lambdas/cli/bin.js', 'users', ...args], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
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
      AWS_ENDPOINT_URL: aws.endpoint,
      AWS_REGION: aws.region,
      AWS_ACCESS_KEY_ID: aws.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.credentials.secretAccessKey,
    });
    // The SDK may warn about the Node version on stderr; an error would start with `error:`.
    expect(run.stderr).not.toMatch(/^error/m);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toHaveLength(3);
  });
});
