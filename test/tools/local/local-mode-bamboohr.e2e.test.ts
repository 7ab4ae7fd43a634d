import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silencePowertools } from '../../../tools/bench/quiet-powertools.js';
import { sendBambooHrWebhook } from '../../../tools/fakes/bamboohr/server.js';
import { type RunningLocalMode, startLocalMode } from '../../../tools/local/local-mode.js';
import { type RunningSandbox, startSandbox } from '../../../tools/sandbox/index.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';
import { until } from '../../support/until.js';

/**
 * What a person does with the ready line's `sources.bamboohr`: set up who exists in the bundled
 * BambooHR fake (its control URL), send the webhook BambooHR would (signed with `webhookSecret`),
 * and watch the VoIP user follow the record the worker fetched from `apiBaseUrl`.
 */
describe('local mode: BambooHR webhook -> ingest -> queue -> fetch -> CPaaS (real sockets)', () => {
  let sandbox: RunningSandbox;
  let mode: RunningLocalMode;
  const quiet = silencePowertools();
  beforeAll(async () => {
    sandbox = await startSandbox();
    mode = await startLocalMode({
      port: 0,
      awsEndpoint: motoClientConfig().endpoint,
      resourceNames: uniqueResourceNames('bamboohr'),
      cpaas: { baseUrl: sandbox.url, apiKey: sandbox.apiKey, accountId: sandbox.accountId },
      log: () => {},
    });
  });
  afterAll(async () => {
    await mode.stop();
    await sandbox.close();
    quiet.restore();
  });

  const source = () => {
    const bamboohr = mode.ready.sources.bamboohr;
    if (bamboohr === undefined) throw new Error('the ready line has no sources.bamboohr');
    return bamboohr;
  };
  const putEmployee = async (id: string, fields: Record<string, unknown>) => {
    const response = await fetch(`${source().controlUrl}/employees/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fields),
    });
    expect(response.status).toBe(200);
  };
  const webhook = (type: string, employeeId: string) => ({
    type,
    timestamp: new Date().toISOString(),
    data: { companyId: 1, employeeId, changedFields: ['status'] },
  });
  const userOf = (email: string) => sandbox.control.users().find((user) => user.email === email);

  it('hires from the fetched record, then revokes when the fetched status turns Inactive', async () => {
    const email = 'ada.bamboo@example.com';
    await putEmployee('501', { workEmail: email, firstName: 'Ada', lastName: 'Bamboo', status: 'Active' });
    const hired = await sendBambooHrWebhook(
      source().webhookUrl,
      source().webhookSecret,
      webhook('employee.created', '501'),
    );
    expect(hired.status).toBe(202);
    const user = await until(() => userOf(email), 'the hire provisioned from the fetched record');
    expect(user).toMatchObject({ first_name: 'Ada', last_name: 'Bamboo' });

    await putEmployee('501', { workEmail: email, firstName: 'Ada', lastName: 'Bamboo', status: 'Inactive' });
    const left = await sendBambooHrWebhook(
      source().webhookUrl,
      source().webhookSecret,
      webhook('employee.updated', '501'),
    );
    expect(left.status).toBe(202);
    await until(() => !userOf(email), 'the leaver revoked (policy delete)');
  });

  it('refuses a webhook signed with another secret (401), and nothing is applied', async () => {
    await putEmployee('502', {
      workEmail: 'eve@example.com',
      firstName: 'Eve',
      lastName: 'X',
      status: 'Active',
    });
    const forged = await sendBambooHrWebhook(
      source().webhookUrl,
      'not-the-secret',
      webhook('employee.created', '502'),
    );
    expect(forged.status).toBe(401);
    expect(userOf('eve@example.com')).toBeUndefined();
  });
});
