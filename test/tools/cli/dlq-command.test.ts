import { SQSClient } from '@aws-sdk/client-sqs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { LifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { EXIT } from '../../../tools/cli/exit-codes.js';
import { countDeadLetters } from '../../../tools/operations/dead-letter-queue.js';
import { motoClientConfig } from '../../support/aws.js';
import { unsafeLinesOf } from '../../support/unsafe-text.js';
import {
  deadLetterBySqsRedrive,
  deadLetterLikeWorker,
  drainBodies,
  employeeEvent,
  provisionQueues,
} from '../operations/dead-letter-fixtures.js';
import { awsSdkEnv } from './aws-sdk-env.js';
import { runCli } from './run-cli.js';

const aws = motoClientConfig();
const sqs = new SQSClient(aws);
const reason = {
  errorClass: 'CpaasValidationError',
  errorMessage: 'extension 42 is already assigned',
  attempts: 1,
  failureKind: 'permanent' as const,
};

beforeAll(() => {
  // The CLI builds its SQS client from the standard AWS SDK environment, as an operator's shell would.
  Object.assign(process.env, awsSdkEnv());
});

afterEach(() => {
  vi.restoreAllMocks();
});

const run = runCli;

describe('cpaas-lifecycle dlq', () => {
  it('list prints each reason, as text and as JSON', async () => {
    const resources = await provisionQueues();
    const rejected = await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-cli-1'), reason);
    await deadLetterBySqsRedrive(sqs, resources, employeeEvent('emp-cli-2'));

    const text = await run('dlq', 'list', '--queue-url', resources.deadLetterQueueUrl);
    expect(text.code).toBe(EXIT.ok);
    expect(text.stdout).toContain(`${rejected}  employee.hired`);
    expect(text.stdout).toContain(
      'permanent after 1 attempt: CpaasValidationError: extension 42 is already assigned',
    );
    expect(text.stdout).toContain('exhausted retries (moved by SQS redrive)');
    expect(text.stdout).not.toContain('@example.com');

    const json = await run('dlq', 'list', '--queue-url', resources.deadLetterQueueUrl, '--json');
    const parsed = JSON.parse(json.stdout);
    expect(parsed.messages).toHaveLength(2);
    expect(parsed.messages.map((m: { reason: { movedBy: string } }) => m.reason.movedBy).sort()).toEqual([
      'sqs-redrive',
      'worker',
    ]);
  });

  it('list and show escape control characters of a letter, so its id cannot forge a line', async () => {
    const resources = await provisionQueues();
    const forged = {
      ...employeeEvent('emp-cli-forged'),
      id: 'x\u001b[2J\nhandled  employee.terminated employee CEO',
    } as LifecycleEvent;
    const id = await deadLetterBySqsRedrive(sqs, resources, forged);
    const listed = await run('dlq', 'list', '--queue-url', resources.deadLetterQueueUrl);
    expect(listed.code).toBe(EXIT.ok);
    expect(listed.stdout).toContain('event x\\u001B[2J\\u000Ahandled  employee.terminated employee CEO');
    expect(unsafeLinesOf(listed.stdout)).toEqual([]);
    expect(listed.stdout).not.toMatch(/^handled/m);
    const shown = await run('dlq', 'show', id, '--queue-url', resources.deadLetterQueueUrl, '--reveal');
    expect(unsafeLinesOf(shown.stdout)).toEqual([]);
    expect(shown.stdout).not.toMatch(/^handled/m);
  });

  it('show prints one message with personal data masked; an unknown id fails', async () => {
    const resources = await provisionQueues();
    const id = await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-cli-show'), reason);
    const shown = await run('dlq', 'show', id, '--queue-url', resources.deadLetterQueueUrl);
    expect(shown.code).toBe(EXIT.ok);
    expect(shown.stdout).toContain('employee: emp-cli-show');
    expect(shown.stdout).toContain('<redacted>');
    expect(shown.stdout).not.toContain('emp-cli-show@example.com');
    const missing = await run('dlq', 'show', 'no-such-id', '--queue-url', resources.deadLetterQueueUrl);
    expect(missing.code).toBe(EXIT.failed);
    expect(missing.stderr).toContain('no dead letter no-such-id');
  });

  it('redrive --all sends everything back to the queue that redrives to the DLQ', async () => {
    const resources = await provisionQueues();
    const event = employeeEvent('emp-cli-redrive');
    await deadLetterLikeWorker(sqs, resources, event, reason);
    const result = await run(
      'dlq',
      'redrive',
      '--all',
      '--queue-url',
      resources.deadLetterQueueUrl,
      '--json',
    );
    expect(result.code).toBe(EXIT.ok);
    expect(JSON.parse(result.stdout)).toMatchObject({ sourceQueueUrl: resources.queueUrl, notFound: [] });
    expect((await drainBodies(sqs, resources.queueUrl)).map((m) => m.body)).toEqual([JSON.stringify(event)]);
  });

  it('redrive needs exactly one of --all and --id', async () => {
    const resources = await provisionQueues();
    const neither = await run('dlq', 'redrive', '--queue-url', resources.deadLetterQueueUrl);
    expect(neither.code).toBe(EXIT.usage);
    const both = await run(
      'dlq',
      'redrive',
      '--all',
      '--id',
      'x',
      '--queue-url',
      resources.deadLetterQueueUrl,
    );
    expect(both.code).toBe(EXIT.usage);
  });

  it('redrive --id fails when an id is not in the DLQ', async () => {
    const resources = await provisionQueues();
    const result = await run('dlq', 'redrive', '--id', 'gone', '--queue-url', resources.deadLetterQueueUrl);
    expect(result.code).toBe(EXIT.failed);
    expect(result.stderr).toContain('gone');
  });

  it('purge refuses without --yes when nobody can answer, and purges with it', async () => {
    const resources = await provisionQueues();
    await deadLetterLikeWorker(sqs, resources, employeeEvent('emp-cli-purge'), reason);
    const options = { sqs, deadLetterQueueUrl: resources.deadLetterQueueUrl };
    const refused = await run('dlq', 'purge', '--queue-url', resources.deadLetterQueueUrl);
    expect(refused.code).toBe(EXIT.usage);
    expect(refused.stderr).toContain('--yes');
    expect(await countDeadLetters(options)).toBe(1);
    const purged = await run('dlq', 'purge', '--yes', '--queue-url', resources.deadLetterQueueUrl);
    expect(purged.code).toBe(EXIT.ok);
    expect(await countDeadLetters(options)).toBe(0);
  });
});
