import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLifecycleEvent, type LifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { queuedCount } from '../../../tools/bench/queued-count.js';
import { silencePowertools } from '../../../tools/bench/quiet-powertools.js';
import { postSignedWebhook } from '../../../tools/cli/send-command.js';
import { type RunningLocalMode, startLocalMode } from '../../../tools/local/local-mode.js';
import { type RunningSandbox, startSandbox } from '../../../tools/sandbox/index.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';
import { until } from '../../support/until.js';

const BACKLOG = 300;
/** Events per webhook request: well under any per-request cap ingest may set. */
const PER_REQUEST = 20;

function hire(employeeId: string): LifecycleEvent {
  return createLifecycleEvent({
    type: 'employee.hired',
    source: 'test',
    data: {
      employeeId,
      workEmail: `${employeeId.toLowerCase()}@example.com`,
      firstName: 'Ada',
      lastName: 'Lovelace',
    },
  });
}

describe('local mode: the priority lane is served while the standard lane has a backlog', () => {
  let sandbox: RunningSandbox;
  let mode: RunningLocalMode;
  let sqs: SQSClient;
  const quiet = silencePowertools();
  beforeAll(async () => {
    sandbox = await startSandbox();
    mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('lanes'),
      cpaas: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, accountId: sandbox.accountId },
      log: () => {},
    });
    sqs = new SQSClient(motoClientConfig());
  });
  afterAll(async () => {
    sqs.destroy();
    await mode.stop();
    await sandbox.close();
    quiet.restore();
  });

  const send = async (events: readonly LifecycleEvent[]) => {
    const response = await postSignedWebhook({
      url: mode.ready.webhookUrl,
      secret: mode.ready.webhookSecret,
      body: JSON.stringify(events),
    });
    expect(response.status).toBe(202);
  };
  const userOf = (employeeId: string) =>
    sandbox.control.users().find((user) => user.email === `${employeeId.toLowerCase()}@example.com`);

  it('revokes a leaver while hires are still queued on the standard and bulk lanes', async () => {
    const leaver = 'LEAVER-1';
    await send([hire(leaver)]);
    await until(() => userOf(leaver), 'the leaver provisioned');

    // Slow creates: the standard lane has work for a while, however fast this machine is.
    sandbox.control.setFaults('createUser', { latencyMs: 200 });
    const backlog = Array.from({ length: BACKLOG }, (_, index) => hire(`BACKLOG-${index}`));
    for (let start = 0; start < backlog.length; start += PER_REQUEST) {
      await send(backlog.slice(start, start + PER_REQUEST));
    }
    await send([
      createLifecycleEvent({ type: 'employee.terminated', source: 'test', data: { employeeId: leaver } }),
    ]);

    // The condition, as one observation: the leaver's user is gone, and hires are still queued.
    const queuedWhenRevoked = await until(async () => {
      if (userOf(leaver) !== undefined) return false;
      // The backlog is one tenant's burst: past its allowance it is on the bulk lane.
      const [standard, bulk] = await Promise.all(
        [mode.ready.queueUrl, mode.ready.bulkQueueUrl].map((url) => queuedCount(sqs, url)),
      );
      return { queued: (standard ?? 0) + (bulk ?? 0) };
    }, "the leaver's user deleted");
    expect(queuedWhenRevoked.queued).toBeGreaterThan(0);
    sandbox.control.clearFaults();
  });
});
