import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../lambdas/core/cpaas/schemas.js';
import { createLifecycleEvent, type EmployeeData } from '../../../lambdas/core/events/lifecycle-event.js';
import { postSignedWebhook } from '../../../tools/cli/send-command.js';
import type { LocalModeReady } from '../../../tools/local/local-mode.js';
import { type DeadLetter, listDeadLetters } from '../../../tools/operations/dead-letter-queue.js';
import { unsafeLinesOf } from '../../support/unsafe-text.js';
import { until } from '../../support/until.js';

const BIN = new URL('../../../tools/cli/bin.js', import.meta.url).pathname;
const VISIBILITY_TIMEOUT_SECONDS = 1;

/** The environment a user's shell would have: no AWS endpoint, so the local mode starts moto itself. */
function userEnvironment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  if (!('AWS_ENDPOINT_URL' in extra)) delete env.AWS_ENDPOINT_URL;
  return env;
}

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: userEnvironment(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('cpaas-lifecycle local, end to end', () => {
  let child: ChildProcess;
  let ready: LocalModeReady;
  let stderr = '';
  let exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let sqs: SQSClient;
  let awsEnv: Record<string, string>;

  beforeAll(async () => {
    child = spawn(
      process.execPath,
      [BIN, 'local', '--port', '0', '--visibility-timeout', String(VISIBILITY_TIMEOUT_SECONDS)],
      { env: userEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // 'close', not 'exit': only then has every byte of stderr been read.
    exit = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const first = await new Promise<string>((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) =>
        reject(new Error(`local mode exited with ${code} before ready:\n${stderr}`)),
      );
    });
    ready = JSON.parse(first) as LocalModeReady;
    awsEnv = {
      AWS_ENDPOINT_URL: ready.awsEndpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    sqs = new SQSClient({
      endpoint: ready.awsEndpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }, 60_000);

  afterAll(async () => {
    sqs?.destroy();
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  async function post(type: 'employee.hired' | 'employee.changed', data: EmployeeData): Promise<string>;
  async function post(type: 'employee.terminated', data: { employeeId: string }): Promise<string>;
  async function post(type: string, data: EmployeeData | { employeeId: string }): Promise<string> {
    const event = createLifecycleEvent({ type, data, source: 'e2e' } as Parameters<
      typeof createLifecycleEvent
    >[0]);
    const response = await postSignedWebhook({
      url: ready.webhookUrl,
      secret: ready.webhookSecret,
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    return event.id;
  }

  /** The sandbox's users, through its HTTP control (the local mode runs it in its own process). */
  async function sandboxUsers(): Promise<User[]> {
    const response = await fetch(`${ready.cpaasBaseUrl}/_sandbox/state`);
    return ((await response.json()) as { users: User[] }).users;
  }

  /** The account's users as `email last_name`, sorted: what the assertions compare. */
  const accountUsers = async () =>
    (await sandboxUsers()).map((user) => `${user.email} ${user.last_name}`).sort();

  async function usersBecome(expected: string[], what: string): Promise<void> {
    await until(
      async () => (JSON.stringify(await accountUsers()) === JSON.stringify(expected) ? true : undefined),
      what,
    );
  }

  /**
   * Local mode writes its line after the sandbox already shows the result, and on a busy machine
   * the pipe delivers it later still: wait for the line, never assert on it the moment the result shows.
   */
  async function stderrShows(pattern: RegExp, what: string): Promise<void> {
    await until(async () => (pattern.test(stderr) ? true : undefined), what);
  }

  async function deadLetters(): Promise<DeadLetter[]> {
    return (await listDeadLetters({ sqs, deadLetterQueueUrl: ready.dlqUrl })).messages;
  }

  const ada: EmployeeData = {
    employeeId: 'E100',
    workEmail: 'ada@example.com',
    firstName: 'Ada',
    lastName: 'Lovelace',
    timezone: 'Europe/London',
    extension: '101',
  };
  const alan: EmployeeData = {
    employeeId: 'E200',
    workEmail: 'alan@example.com',
    firstName: 'Alan',
    lastName: 'Turing',
  };
  const grace: EmployeeData = {
    employeeId: 'E300',
    workEmail: 'grace@example.com',
    firstName: 'Grace',
    lastName: 'Hopper',
  };
  let poisonEventId = '';

  it('prints the ready line with everything a user needs', () => {
    expect(ready).toEqual({
      ready: true,
      webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/standard$/),
      webhookSecret: expect.stringMatching(/^whsec_/),
      queueUrl: expect.stringMatching(/cpaas-lifecycle-events\.fifo$/),
      dlqUrl: expect.stringMatching(/cpaas-lifecycle-events-dlq\.fifo$/),
      awsEndpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      cpaasBaseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      cpaasAccountId: expect.stringMatching(/^[A-Za-z0-9]{32}$/),
      priorityQueueUrl: expect.stringMatching(/cpaas-lifecycle-terminations\.fifo$/),
      priorityDlqUrl: expect.stringMatching(/cpaas-lifecycle-terminations-dlq\.fifo$/),
      bulkQueueUrl: expect.stringMatching(/cpaas-lifecycle-bulk\.fifo$/),
      bulkDlqUrl: expect.stringMatching(/cpaas-lifecycle-bulk-dlq\.fifo$/),
      scimUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/scim\/v2$/),
      scimToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      sources: {
        bamboohr: {
          webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/bamboohr$/),
          webhookSecret: expect.stringMatching(/^[0-9a-f]{64}$/),
          apiBaseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/api\/gateway\.php\/acme$/),
          controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_fake$/),
        },
        hibob: {
          webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/hibob$/),
          webhookSecret: expect.stringMatching(/^[A-Za-z0-9+/]{43}=$/),
          apiBaseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_fake$/),
        },
        personio: {
          webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/personio$/),
          webhookSecret: expect.stringMatching(/^Bearer [A-Za-z0-9_-]{43}$/),
          apiBaseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_fake$/),
        },
        gusto: {
          webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/gusto$/),
          webhookSecret: expect.stringMatching(/^[0-9a-f-]{36}$/),
          apiBaseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
          controlUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_fake$/),
        },
      },
    });
  });

  it('applies signed hire, change and terminate events to the CPaaS account', async () => {
    await post('employee.hired', ada);
    await post('employee.hired', alan);
    await post('employee.changed', { ...ada, lastName: 'King', extension: '102' });
    await post('employee.terminated', { employeeId: alan.employeeId });
    await post('employee.hired', grace);
    await usersBecome(
      ['ada@example.com King', 'grace@example.com Hopper'],
      'hire, change and terminate applied',
    );
    const adaUser = (await sandboxUsers()).find((user) => user.email === ada.workEmail);
    expect(adaUser).toMatchObject({ first_name: 'Ada', timezone: 'Europe/London', presence_id: '102' });
    await stderrShows(/handled {2}employee\.terminated employee E200/, 'the termination handled on stderr');
  });

  it('dead-letters an event the API rejects (400: email taken by another user), with the reason', async () => {
    // Ada's new address is still Grace's: the API refuses the update, whatever the retries.
    poisonEventId = await post('employee.changed', {
      ...ada,
      lastName: 'King',
      extension: '102',
      workEmail: grace.workEmail,
    });
    const letter = await until(
      async () => (await deadLetters()).find((message) => message.eventId === poisonEventId),
      'the rejected event in the DLQ',
    );
    expect(letter.reason).toMatchObject({
      movedBy: 'worker',
      failureKind: 'permanent',
      errorClass: 'CpaasValidationError',
      attempts: 1,
    });
    expect(letter.reason.errorMessage).toMatch(/already exists/);
    expect(letter.reason.errorMessage).not.toContain('@example.com');
    expect(await accountUsers()).toEqual(['ada@example.com King', 'grace@example.com Hopper']);

    const listed = await runCli(['dlq', 'list', '--queue-url', ready.dlqUrl, '--json'], awsEnv);
    expect(listed.code).toBe(0);
    const [shown] = JSON.parse(listed.stdout).messages as DeadLetter[];
    expect(shown?.eventId).toBe(poisonEventId);
    expect(shown?.reason.summary).toMatch(/^permanent after 1 attempt: CpaasValidationError: /);
  });

  it('applies the dead letter once the cause is fixed and it is redriven', async () => {
    // The fix: Grace leaves, which frees the address.
    await post('employee.terminated', { employeeId: grace.employeeId });
    await usersBecome(['ada@example.com King'], 'the termination that frees the address');

    const redriven = await runCli(['dlq', 'redrive', '--all', '--queue-url', ready.dlqUrl, '--json'], awsEnv);
    expect(redriven.code).toBe(0);
    expect(JSON.parse(redriven.stdout)).toMatchObject({
      sourceQueueUrl: ready.queueUrl,
      moved: [expect.objectContaining({ eventId: poisonEventId })],
      notFound: [],
    });
    await usersBecome(['grace@example.com King'], 'the redriven change applied');
    expect(await deadLetters()).toEqual([]);
  });

  it('retries a transient failure after the visibility timeout, dead-letters it when attempts run out, and redrives it', async () => {
    const linus: EmployeeData = {
      employeeId: 'E400',
      workEmail: 'linus@example.com',
      firstName: 'Linus',
      lastName: 'T',
    };
    // The API is down for exactly as many creates as the queue allows receives.
    const faults = await fetch(`${ready.cpaasBaseUrl}/_sandbox/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ route: 'createUser', script: [503, 503, 503, 503, 503] }),
    });
    expect(faults.status).toBeLessThan(300);
    const eventId = await post('employee.hired', linus);
    const letter = await until(
      async () => (await deadLetters()).find((message) => message.eventId === eventId),
      'the exhausted event in the DLQ',
    );
    expect(letter.reason).toMatchObject({ movedBy: 'worker', failureKind: 'exhausted', attempts: 5 });
    await stderrShows(
      /failed {3}employee\.hired employee E400 .* attempt 1\/5.*retry in 1 s/,
      'the first failed attempt on stderr',
    );
    expect(await accountUsers()).not.toContain('linus@example.com T');

    const redriven = await runCli(
      ['dlq', 'redrive', '--id', letter.messageId, '--queue-url', ready.dlqUrl],
      awsEnv,
    );
    expect(redriven.code).toBe(0);
    await usersBecome(['grace@example.com King', 'linus@example.com T'], 'the redriven hire applied');
  });

  it('escapes a queued message that tries to forge a line or clear the screen, and dead-letters it', async () => {
    // Ingest refuses such an id (422); this message reaches the queue around it, as an older producer's would.
    const forgedId = 'x\u001b[2J\nhandled  employee.terminated employee CEO (event y)';
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: ready.queueUrl,
        MessageBody: JSON.stringify({ id: forgedId, type: 'employee.terminated', subject: 'E500' }),
        MessageGroupId: 'default:E500',
        MessageDeduplicationId: 'forged-line',
      }),
    );
    await stderrShows(
      /handled {2}employee\.terminated employee E500 \(event x\\u001B\[2J\\u000Ahandled {2}employee\.terminated employee CEO/,
      'the forged message on one escaped line',
    );
    expect(stderr).not.toMatch(/^handled {2}employee\.terminated employee CEO/m);
    expect(unsafeLinesOf(stderr)).toEqual([]);
    const listed = await runCli(['dlq', 'list', '--queue-url', ready.dlqUrl], awsEnv);
    expect(listed.stdout).toContain('event x\\u001B[2J\\u000Ahandled');
    expect(unsafeLinesOf(listed.stdout)).toEqual([]);
  });

  it('stops everything on SIGTERM and exits 0', async () => {
    child.kill('SIGTERM');
    expect(await exit).toEqual({ code: 0, signal: null });
    expect(stderr).toContain('stopped');
    // moto_server was the local mode's child: its endpoint is gone with it.
    await expect(fetch(`${ready.awsEndpoint}/moto-api/`)).rejects.toThrow();
    await expect(fetch(ready.webhookUrl, { method: 'POST' })).rejects.toThrow();
  });
});
