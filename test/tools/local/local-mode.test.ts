import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { createLifecycleEvent, messageGroupIdFor } from '../../../lambdas/core/events/lifecycle-event.js';
import { postSignedWebhook } from '../../../tools/cli/send-command.js';
import { type RunningLocalMode, startLocalMode } from '../../../tools/local/local-mode.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';
import { until } from '../../support/until.js';

const running: RunningLocalMode[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((mode) => mode.stop()));
});

describe('startLocalMode', () => {
  it('takes a signed webhook through the real ingest handler and the queue to the worker handler', async () => {
    const delivered: SQSEvent[] = [];
    const lines: string[] = [];
    const mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('local'),
      cpaas: { baseUrl: 'http://127.0.0.1:9', apiKey: 'not-used', accountId: 'a'.repeat(32) },
      log: (line) => lines.push(line),
      workerHandler: async (event) => {
        delivered.push(event);
        return { batchItemFailures: [] };
      },
    });
    running.push(mode);
    expect(mode.ready).toMatchObject({
      ready: true,
      webhookUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/standard$/),
      webhookSecret: expect.stringMatching(/^whsec_/),
      queueUrl: expect.stringContaining('.fifo'),
      dlqUrl: expect.stringContaining('-dlq.fifo'),
      cpaasBaseUrl: 'http://127.0.0.1:9',
    });

    const event = createLifecycleEvent({
      type: 'employee.hired',
      source: 'test',
      data: {
        employeeId: 'e-local',
        workEmail: 'e-local@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace',
      },
    });
    const response = await postSignedWebhook({
      url: mode.ready.webhookUrl,
      secret: mode.ready.webhookSecret,
      body: JSON.stringify(event),
    });
    expect(response.status).toBe(202);
    await until(() => delivered.length > 0, 'a delivered batch');
    const record = delivered[0]?.Records[0];
    // The route sets the tenant: the default route queues the event as the default tenant's.
    expect(JSON.parse(record?.body ?? '{}')).toEqual({ ...event, tenant: 'default' });
    expect(record?.attributes.MessageGroupId).toBe(messageGroupIdFor(event));
    await until(() => lines.some((line) => line.startsWith('handled')), 'the handled line');
    expect(lines.find((line) => line.startsWith('handled'))).toContain(
      `employee.hired employee e-local (event ${event.id})`,
    );
    expect(lines.join('\n')).not.toContain('example.com');
  });

  it('rejects a webhook signed with another secret', async () => {
    const mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('local'),
      cpaas: { baseUrl: 'http://127.0.0.1:9', apiKey: 'not-used', accountId: 'a'.repeat(32) },
      log: () => {},
      workerHandler: async () => ({ batchItemFailures: [] }),
    });
    running.push(mode);
    const response = await postSignedWebhook({
      url: mode.ready.webhookUrl,
      secret: `whsec_${Buffer.from('another secret of 24 byt').toString('base64')}`,
      body: '{}',
    });
    expect(response.status).toBe(401);
  });
});

describe('startLocalMode sweep', () => {
  it('runs the same sweep as the stack: a future-dated termination is applied once it falls due', async () => {
    const lines: string[] = [];
    const mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('local'),
      log: (line) => lines.push(line),
      // Long enough that only sweepNow() runs it during the test.
      sweepIntervalSeconds: 3_600,
    });
    running.push(mode);
    const users = async () => {
      const response = await fetch(`${mode.ready.cpaasBaseUrl}/_sandbox/state`);
      return ((await response.json()) as { users: Array<{ email?: string }> }).users;
    };
    const post = async (event: ReturnType<typeof createLifecycleEvent>) => {
      const response = await postSignedWebhook({
        url: mode.ready.webhookUrl,
        secret: mode.ready.webhookSecret,
        body: JSON.stringify(event),
      });
      expect(response.status).toBe(202);
      await until(
        () => lines.some((line) => line.includes(`(event ${event.id})`)),
        `the line of event ${event.id}`,
      );
    };
    const employee = {
      employeeId: 'e-sweep',
      workEmail: 'e-sweep@example.com',
      firstName: 'Ada',
      lastName: 'L',
    };
    await post(createLifecycleEvent({ type: 'employee.hired', source: 'test', data: employee }));
    expect(await users()).toHaveLength(1);

    // The behaviour under test is a wait: the termination takes effect two seconds from now.
    const effectiveAt = new Date(Date.now() + 2_000);
    await post(
      createLifecycleEvent({
        type: 'employee.terminated',
        source: 'test',
        data: { employeeId: 'e-sweep', effectiveAt: effectiveAt.toISOString() },
      }),
    );
    expect(await mode.sweepNow()).toMatchObject({ queued: 0 });
    expect(await users()).toHaveLength(1);

    await new Promise((resolve) => setTimeout(resolve, effectiveAt.getTime() - Date.now() + 100));
    expect(await mode.sweepNow()).toMatchObject({ queued: 1 });
    await until(
      () => lines.filter((line) => line.includes('employee.terminated')).length >= 2,
      'the queued termination handled',
    );
    expect(await users()).toHaveLength(0);
    expect(lines.some((line) => line.startsWith('sweep: queued a due event'))).toBe(true);
  });
});
