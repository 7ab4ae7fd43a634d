import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULTS } from '../../../lambdas/contract/settings.js';
import { STATE_TABLE_KEYS } from '../../../lambdas/contract/state-table.js';
import { tenantHrCredentialsSecretName, tenantSecretName } from '../../../lambdas/contract/tenants.js';
import { TenantExistsError } from '../../../lambdas/core/tenants/errors.js';
import type { TenantSettings } from '../../../lambdas/core/tenants/tenant.js';
import { DynamoTenantRegistry } from '../../../lambdas/core/tenants/tenant-registry.js';
import {
  signStandardWebhook,
  verifyStandardWebhook,
} from '../../../lambdas/ingest/sources/standard-webhooks.js';
import {
  addTenant,
  InvalidHrCredentialsError,
  MissingSourceSecretError,
  removeTenant,
  setTenantHrCredentials,
  type TenantAdminPorts,
  TenantStillLinkedError,
} from '../../../tools/operations/tenants.js';
import { motoClientConfig, uniqueName } from '../../support/aws.js';
import { createStateTable } from '../../support/holds-fixture.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
const secrets = new SecretsManagerClient(motoClientConfig());
afterAll(() => {
  dynamodb.destroy();
  secrets.destroy();
});

async function freshPorts(): Promise<TenantAdminPorts> {
  const tableName = await createStateTable(dynamodb);
  return {
    registry: new DynamoTenantRegistry({ client: dynamodb, tableName }),
    secrets,
    documents: DynamoDBDocumentClient.from(dynamodb),
    tableName,
  };
}

const settings = (id: string, sources = ['standard']): TenantSettings => ({
  id,
  cpaasAccountId: `acct-${id}`,
  sources,
  accountIds: [],
  deprovisioning: { policy: 'delete', deleteGraceDays: 30, brake: { ...DEFAULTS.deletionBrake } },
});

const secretValue = async (name: string) =>
  (await secrets.send(new GetSecretValueCommand({ SecretId: name }))).SecretString ?? '';

describe('tenants add and remove (moto)', () => {
  it('creates the three secrets by name, then the tenant; the printed webhook secret verifies', async () => {
    const ports = await freshPorts();
    const id = uniqueName('t').toLowerCase().slice(0, 30);
    const onboarded = await addTenant(ports, settings(id, ['standard', 'merge']), 'key-of-acme', {
      merge: 'merge-signing-key',
    });
    expect(onboarded.tenant).toMatchObject({ id, version: 1 });
    expect(await secretValue(tenantSecretName(id, 'cpaasApiKey'))).toBe('key-of-acme');
    const webhookSecrets = JSON.parse(await secretValue(tenantSecretName(id, 'webhookSecrets')));
    expect(webhookSecrets).toEqual({
      standard: [onboarded.webhookSecrets.standard],
      merge: ['merge-signing-key'],
    });
    expect(JSON.parse(await secretValue(tenantSecretName(id, 'scimTokens')))).toEqual({
      current: onboarded.scimToken,
    });
    const body = Buffer.from('{"a":1}');
    const headers = signStandardWebhook({
      secret: onboarded.webhookSecrets.standard as string,
      msgId: 'msg_1',
      timestamp: Date.now() / 1000,
      body: body.toString(),
    });
    expect(() => verifyStandardWebhook(body, headers, webhookSecrets.standard, new Date())).not.toThrow();
    await expect(addTenant(ports, settings(id), 'other-key')).rejects.toThrow(TenantExistsError);
    expect(await secretValue(tenantSecretName(id, 'cpaasApiKey'))).toBe('key-of-acme');
  });

  it('finishes an add that failed after creating a secret, and needs the provider secret of other sources', async () => {
    const ports = await freshPorts();
    const id = uniqueName('t').toLowerCase().slice(0, 30);
    await secrets.send(
      new CreateSecretCommand({ Name: tenantSecretName(id, 'cpaasApiKey'), SecretString: 'stale' }),
    );
    await expect(addTenant(ports, settings(id, ['merge']), 'key')).rejects.toThrow(MissingSourceSecretError);
    expect(await ports.registry.get(id)).toBeUndefined();
    await addTenant(ports, settings(id), 'fresh-key');
    expect(await secretValue(tenantSecretName(id, 'cpaasApiKey'))).toBe('fresh-key');
    expect(await ports.registry.get(id)).toBeDefined();
  });

  it('refuses to remove a tenant with linked employees unless forced, and never touches another tenant', async () => {
    const ports = await freshPorts();
    const [a, b] = ['a', 'b'].map((suffix) => `${uniqueName('t').toLowerCase().slice(0, 28)}${suffix}`) as [
      string,
      string,
    ];
    await addTenant(ports, settings(a), 'key-a');
    await addTenant(ports, settings(b), 'key-b');
    await dynamodb.send(
      new PutItemCommand({
        TableName: ports.tableName,
        Item: { [STATE_TABLE_KEYS.partitionKey]: { S: `link#${a}:E1` }, status: { S: 'active' } },
      }),
    );
    await expect(removeTenant(ports, a)).rejects.toThrow(TenantStillLinkedError);
    expect(await ports.registry.get(a)).toBeDefined();
    expect(await removeTenant(ports, b)).toMatchObject({ linksLeft: 0 });
    const removed = await removeTenant(ports, a, { force: true });
    expect(removed.linksLeft).toBe(1);
    expect(await ports.registry.get(a)).toBeUndefined();
    await expect(secretValue(tenantSecretName(a, 'cpaasApiKey'))).rejects.toThrow();
  });

  it("stores a tenant's HR API credentials in its own secret, refuses an API without them, and removes them with the tenant", async () => {
    const ports = await freshPorts();
    const id = uniqueName('t').toLowerCase().slice(0, 30);
    const withApi: TenantSettings = {
      ...settings(id, ['standard', 'bamboohr']),
      hrApis: { bamboohr: { apiBaseUrl: 'https://api.bamboohr.com/api/gateway.php/acme' } },
    };
    const sourceSecrets = { bamboohr: 'bamboohr-private-key' };
    await expect(addTenant(ports, withApi, 'key', sourceSecrets)).rejects.toThrow(InvalidHrCredentialsError);
    expect(await ports.registry.get(id)).toBeUndefined();
    await expect(
      setTenantHrCredentials(ports, id, 'bamboohr', 'a-bare-key-without-its-field-name'),
    ).rejects.toThrow(InvalidHrCredentialsError);

    const credentials = JSON.stringify({ apiKey: 'their-bamboohr-key' });
    await addTenant(ports, withApi, 'key', sourceSecrets, { bamboohr: credentials });
    expect(await secretValue(tenantHrCredentialsSecretName(id, 'bamboohr'))).toBe(credentials);
    expect((await ports.registry.get(id))?.hrApis).toEqual(withApi.hrApis);

    await removeTenant(ports, id);
    await expect(secretValue(tenantHrCredentialsSecretName(id, 'bamboohr'))).rejects.toThrow();
  });
});
