import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createLifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { postSignedWebhook } from '../../../tools/cli/send-command.js';
import {
  type LocalModeReady,
  type RunningLocalMode,
  startLocalMode,
} from '../../../tools/local/local-mode.js';
import { startLocalCli } from '../../support/local-cli.js';
import { until } from '../../support/until.js';

/** The pid of the moto_server serving `endpoint`, found by its command line (`-p <port>`). */
function motoPid(endpoint: string): number {
  const port = new URL(endpoint).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let args: string[];
    try {
      args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const portAt = args.indexOf('-p');
    if (args.some((arg) => arg.endsWith('moto_server')) && args[portAt + 1] === port) return Number(entry);
  }
  throw new Error(`no moto_server process listens on port ${port}`);
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

function healthUrl(ready: LocalModeReady): string {
  return ready.webhookUrl.replace(/\/webhooks\/standard$/, '/healthz');
}

describe('local mode supervises moto_server', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reports a dead moto_server: /healthz, webhooks and SCIM answer 503 naming it, and `failed` settles', async () => {
    const mode: RunningLocalMode = await startLocalMode({ port: 0, log: () => {} });
    cleanups.push(() => mode.stop());
    const healthy = await fetch(healthUrl(mode.ready));
    expect(healthy.status).toBe(200);
    const scimConfig = () =>
      fetch(`${mode.ready.scimUrl}/ServiceProviderConfig`, {
        headers: { authorization: `Bearer ${mode.ready.scimToken}` },
      });
    expect((await scimConfig()).status).toBe(200);

    process.kill(motoPid(mode.ready.awsEndpoint), 'SIGKILL');
    const failure = await mode.failed;
    expect(failure.message).toContain('moto_server killed by SIGKILL');

    const health = await fetch(healthUrl(mode.ready));
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({
      status: 'unavailable',
      problems: [expect.stringContaining('moto_server: killed by SIGKILL')],
    });
    const webhook = await postSignedWebhook({
      url: mode.ready.webhookUrl,
      secret: mode.ready.webhookSecret,
      body: JSON.stringify(
        createLifecycleEvent({ type: 'employee.terminated', source: 'test', data: { employeeId: 'E1' } }),
      ),
    });
    expect(webhook.status).toBe(503);
    // The pollers may also have noticed the endpoint gone by now: moto_server must be among the problems.
    expect(JSON.parse(webhook.body)).toMatchObject({
      problems: expect.arrayContaining([expect.stringContaining('moto_server')]),
    });
    // SCIM is served by the same supervised server: an identity provider is told to retry too.
    const scim = await scimConfig();
    expect(scim.status).toBe(503);
    expect(scim.headers.get('retry-after')).toBe('5');
    expect(scim.headers.get('content-type')).toContain('application/scim+json');
    expect(await scim.json()).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'],
      status: '503',
      detail: expect.stringContaining('down'),
    });
  }, 60_000);

  it('`local` says which dependency exited, stops the rest and exits 1', async () => {
    const local = await startLocalCli();
    cleanups.push(() => local.child.exitCode === null && local.child.kill('SIGKILL'));
    process.kill(motoPid(local.ready.awsEndpoint), 'SIGKILL');
    expect(await local.closed).toBe(1);
    expect(local.stderr()).toContain(
      'moto_server killed by SIGKILL; its queues and state are gone: stopping',
    );
    expect(local.stderr()).toContain('stopped');
    expect(await answers(healthUrl(local.ready))).toBe(false);
  }, 60_000);

  it('leaves no moto_server behind when `local` itself is killed with SIGKILL', async () => {
    const local = await startLocalCli();
    const moto = `${local.ready.awsEndpoint}/moto-api/`;
    expect(await answers(moto)).toBe(true);
    local.child.kill('SIGKILL');
    await local.closed;
    await until(async () => !(await answers(moto)), 'moto_server to exit with its parent');
  }, 60_000);
});
