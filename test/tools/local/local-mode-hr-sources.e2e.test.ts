import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HR_API_SOURCES, type HrApiSource } from '../../../lambdas/contract/settings.js';
import { silencePowertools } from '../../../tools/bench/quiet-powertools.js';
import { type BambooHrFake, startBambooHrFake } from '../../../tools/fakes/bamboohr/server.js';
import {
  clearFakeFaults,
  type FakePerson,
  fakeApiRequests,
  HR_FAKE_DRIVERS,
  putFakePerson,
  setFakeFaults,
} from '../../../tools/fakes/hr-fake-driver.js';
import { type RunningLocalMode, startLocalMode } from '../../../tools/local/local-mode.js';
import { type RunningSandbox, startSandbox } from '../../../tools/sandbox/index.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';
import { until } from '../../support/until.js';

/**
 * What a person does with the ready line's `sources.<name>` for every native HR source: set up who
 * exists in the bundled fake (its control URL), send the webhook the provider would (signed with
 * `webhookSecret`), and watch the VoIP user follow the record the worker fetched from `apiBaseUrl`.
 */
describe('local mode: HR webhook -> ingest -> queue -> fetch -> CPaaS, every source (real sockets)', () => {
  let sandbox: RunningSandbox;
  let mode: RunningLocalMode;
  const quiet = silencePowertools();
  beforeAll(async () => {
    sandbox = await startSandbox();
    mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('hr-sources'),
      cpaas: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, accountId: sandbox.accountId },
      log: () => {},
    });
  });
  afterAll(async () => {
    await mode.stop();
    await sandbox.close();
    quiet.restore();
  });

  it('advertises every source in the ready line', () => {
    expect(Object.keys(mode.ready.sources).sort()).toEqual([...HR_API_SOURCES].sort());
  });

  const endpoints = (source: HrApiSource) => {
    const served = mode.ready.sources[source];
    const controlUrl = served?.controlUrl;
    if (served === undefined || controlUrl === undefined) {
      throw new Error(`the ready line has no sources.${source} served by its bundled fake`);
    }
    return { ...served, controlUrl };
  };
  const userOf = (email: string) => sandbox.control.users().find((user) => user.email === email);
  const person = (source: HrApiSource, name: string): FakePerson => ({
    workEmail: `${name.toLowerCase()}.${source}@example.com`,
    firstName: name,
    lastName: source,
  });

  describe.each(HR_API_SOURCES)('%s', (source) => {
    const driver = HR_FAKE_DRIVERS[source];
    // Employee ids are one tenant's, whichever source sends them: each source's people get their own.
    const id = (n: number) => String((HR_API_SOURCES.indexOf(source) + 5) * 100 + n);

    it('hires from the fetched record, follows a change, then revokes when the record says terminated', async () => {
      const ada = person(source, 'Ada');
      await putFakePerson(source, endpoints(source), id(1), ada);
      expect((await driver.sendWebhook(endpoints(source), 'hired', id(1))).status).toBeLessThan(300);
      const user = await until(() => userOf(ada.workEmail), 'the hire provisioned from the fetched record');
      expect(user).toMatchObject({ first_name: 'Ada', last_name: source });

      await putFakePerson(source, endpoints(source), id(1), { ...ada, firstName: 'Augusta' });
      expect((await driver.sendWebhook(endpoints(source), 'changed', id(1))).status).toBeLessThan(300);
      await until(() => userOf(ada.workEmail)?.first_name === 'Augusta', 'the change applied');

      await putFakePerson(source, endpoints(source), id(1), { ...ada, terminated: true });
      expect((await driver.sendWebhook(endpoints(source), 'terminated', id(1))).status).toBeLessThan(300);
      await until(() => !userOf(ada.workEmail), 'the leaver revoked (policy delete)');
    });

    it('refuses a webhook signed with another secret (401), and nothing is applied', async () => {
      const eve = person(source, 'Eve');
      await putFakePerson(source, endpoints(source), id(2), eve);
      const forged = await driver.sendWebhook(endpoints(source), 'hired', id(2), 'not-the-secret');
      expect(forged.status).toBe(401);
      expect(userOf(eve.workEmail)).toBeUndefined();
    });

    it('rides out an HR API outage: the event waits, then applies once the API heals', async () => {
      const grace = person(source, 'Grace');
      await putFakePerson(source, endpoints(source), id(3), grace);
      const before = await fakeApiRequests(endpoints(source));
      await setFakeFaults(endpoints(source), { errorRate: 1, errorStatuses: [503] });
      try {
        expect((await driver.sendWebhook(endpoints(source), 'hired', id(3))).status).toBeLessThan(300);
        await until(
          async () => (await fakeApiRequests(endpoints(source))) >= before + 2,
          'the worker retrying the failing API',
        );
        expect(userOf(grace.workEmail)).toBeUndefined();
      } finally {
        await clearFakeFaults(endpoints(source));
      }
      await until(() => userOf(grace.workEmail), 'the hire applied after the outage');
      expect(sandbox.control.users().filter((user) => user.email === grace.workEmail)).toHaveLength(1);
    });
  });
});

/** `--hris-url`: a source's people fetched from another API (a provider's sandbox), its webhooks signed with the secret the provider issued. */
describe('local mode: a source pointed at another API than its bundled fake', () => {
  let sandbox: RunningSandbox;
  let providerSandbox: BambooHrFake;
  let mode: RunningLocalMode;
  const quiet = silencePowertools();
  beforeAll(async () => {
    sandbox = await startSandbox();
    providerSandbox = await startBambooHrFake({ apiKey: 'sandbox-key', company: 'sandbox' });
    mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('hris-url'),
      cpaas: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, accountId: sandbox.accountId },
      hrApis: {
        bamboohr: {
          apiBaseUrl: providerSandbox.apiBaseUrl,
          credentials: JSON.stringify({ apiKey: 'sandbox-key' }),
          webhookSecret: 'the-key-the-provider-issued',
        },
      },
      log: () => {},
    });
  });
  afterAll(async () => {
    await mode.stop();
    await providerSandbox.close();
    await sandbox.close();
    quiet.restore();
  });

  it('advertises that API without a control URL and applies what it answers', async () => {
    const served = mode.ready.sources.bamboohr;
    expect(served).toEqual({
      webhookUrl: expect.stringMatching(/\/webhooks\/bamboohr$/),
      webhookSecret: 'the-key-the-provider-issued',
      apiBaseUrl: providerSandbox.apiBaseUrl,
    });
    providerSandbox.employees.set('900', {
      workEmail: 'sandboxed@example.com',
      firstName: 'San',
      lastName: 'Box',
    });
    const sent = await HR_FAKE_DRIVERS.bamboohr.sendWebhook(
      { webhookUrl: served?.webhookUrl ?? '', webhookSecret: 'the-key-the-provider-issued' },
      'hired',
      '900',
    );
    expect(sent.status).toBe(202);
    await until(
      () => sandbox.control.users().find((user) => user.email === 'sandboxed@example.com'),
      'the hire fetched from the other API',
    );
    expect(providerSandbox.requests.get('900')).toBeGreaterThanOrEqual(1);
  });
});
