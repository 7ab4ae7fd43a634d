import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tenantHrCredentialsSecretName } from '../../../../lambdas/contract/tenants.js';
import { MissingFetcherError } from '../../../../lambdas/core/hris/errors.js';
import { hrApiFetchers, type TenantHrApis } from '../../../../lambdas/core/hris/hr-api-fetchers.js';
import { type BambooHrFake, startBambooHrFake } from '../../../../tools/fakes/bamboohr/server.js';
import { motoClientConfig, uniqueName } from '../../../support/aws.js';

const deadline = () => Date.now() + 10_000;

/**
 * Two companies' BambooHR APIs (each fake knows one company and accepts one key), the deployment's
 * own and a registered tenant's, with their keys in Secrets Manager on moto: each tenant's
 * people must be fetched from its own company with its own key.
 */
describe('hrApiFetchers: each tenant fetches from its own HR API with its own credentials', () => {
  const secrets = new SecretsManagerClient(motoClientConfig());
  const tenantId = uniqueName('t').toLowerCase();
  let own: BambooHrFake;
  let theirs: BambooHrFake;
  let ownSecretId: string;

  beforeAll(async () => {
    own = await startBambooHrFake({ apiKey: 'own-key', company: 'own' });
    theirs = await startBambooHrFake({ apiKey: 'their-key', company: 'theirs' });
    own.employees.set('7', { workEmail: 'own@example.com', firstName: 'Own', lastName: 'Person' });
    theirs.employees.set('7', { workEmail: 'theirs@example.com', firstName: 'Their', lastName: 'Person' });
    ownSecretId = uniqueName('bamboohr-credentials');
    await secrets.send(
      new CreateSecretCommand({ Name: ownSecretId, SecretString: JSON.stringify({ apiKey: 'own-key' }) }),
    );
    await secrets.send(
      new CreateSecretCommand({
        Name: tenantHrCredentialsSecretName(tenantId, 'bamboohr'),
        SecretString: JSON.stringify({ apiKey: 'their-key' }),
      }),
    );
  });
  afterAll(async () => {
    await own.close();
    await theirs.close();
    secrets.destroy();
  });

  const registered: TenantHrApis = async (id) =>
    id === tenantId ? { bamboohr: { apiBaseUrl: theirs.apiBaseUrl } } : {};
  const fetchers = () =>
    hrApiFetchers(
      { bamboohr: { apiBaseUrl: own.apiBaseUrl, credentialsSecretId: ownSecretId } },
      { client: secrets, tenants: registered },
    );

  it("fetches the default tenant's person from the deployment's API and a tenant's from its own", async () => {
    const bamboohr = fetchers().bamboohr;
    expect(await bamboohr?.fetch('7', { deadline: deadline() })).toMatchObject({
      workEmail: 'own@example.com',
    });
    expect(await bamboohr?.fetch('7', { deadline: deadline(), tenant: tenantId })).toMatchObject({
      workEmail: 'theirs@example.com',
    });
    expect(theirs.requests.get('7')).toBe(1);
  });

  it('refuses, as not configured, a tenant without that HR API and a deployment without it', async () => {
    const bamboohr = fetchers().bamboohr;
    await expect(bamboohr?.fetch('7', { deadline: deadline(), tenant: 'other' })).rejects.toThrow(
      new MissingFetcherError(
        'tenant other has no BambooHR API configured (tenants update --hr-api bamboohr=<url>)',
      ),
    );
    const withoutOwn = hrApiFetchers({}, { client: secrets, tenants: registered }).bamboohr;
    await expect(withoutOwn?.fetch('7', { deadline: deadline() })).rejects.toBeInstanceOf(
      MissingFetcherError,
    );
    expect(await withoutOwn?.fetch('7', { deadline: deadline(), tenant: tenantId })).toMatchObject({
      workEmail: 'theirs@example.com',
    });
  });

  it('without a tenant registry serves only the sources the deployment configures', () => {
    expect(Object.keys(hrApiFetchers({}, { client: secrets }))).toEqual([]);
  });
});
