import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoHandshakeStore } from '../../../lambdas/core/state/handshake-store.js';
import {
  type GustoFake,
  gustoEmployeeEvent,
  sendGustoWebhook,
  startGustoFake,
} from '../../../tools/fakes/gusto/server.js';
import { provisionLocalResources } from '../../../tools/local/provision.js';
import { verifyGustoSubscription } from '../../../tools/operations/gusto-verification.js';
import { motoClientConfig, uniqueResourceNames } from '../../support/aws.js';
import { type IngestFixture, startIngestFixture } from '../../support/ingest-fixture.js';

/**
 * Registering the Gusto webhook end to end: Gusto (the fake) creates a subscription and posts its
 * verification token to ingest, unsigned; `gusto verify` confirms it with Gusto and only then
 * makes it the signing secret, after which Gusto's signed events are accepted.
 */
describe('gusto verify: the subscription handshake (fake Gusto, ingest over HTTP, moto)', () => {
  let gusto: GustoFake;
  let fixture: IngestFixture;
  let dynamo: DynamoDBClient;
  let secrets: SecretsManagerClient;
  let handshakes: DynamoHandshakeStore;
  let webhookSecretsSecretId: string;
  let credentialsSecretId: string;
  const webhookUrl = () => `${fixture.server.url}/webhooks/gusto`;
  const gustoSecrets = async () =>
    JSON.parse(
      (await secrets.send(new GetSecretValueCommand({ SecretId: webhookSecretsSecretId }))).SecretString ??
        '{}',
    ).gusto as string[] | undefined;

  beforeAll(async () => {
    gusto = await startGustoFake();
    const aws = motoClientConfig();
    const names = uniqueResourceNames('gusto-verify');
    const resources = await provisionLocalResources(aws, {
      apiKey: 'unused',
      webhookSecrets: { standard: ['whsec_dGVzdA=='] },
      hrCredentials: { gusto: gusto.credentials },
      names,
    });
    webhookSecretsSecretId = names.webhookSecretsSecretName;
    credentialsSecretId = resources.hrCredentialsSecretIds.gusto ?? '';
    dynamo = new DynamoDBClient(aws);
    secrets = new SecretsManagerClient(aws);
    handshakes = new DynamoHandshakeStore({
      client: dynamo,
      tableName: resources.stateTableName,
      retentionSeconds: 3600,
    });
    // Secrets re-read on every request, so the token stored by the command is used at once.
    fixture = await startIngestFixture({}, { secretId: webhookSecretsSecretId, handshakes, cacheSeconds: 0 });
  });
  afterAll(async () => {
    await fixture.close();
    await gusto.close();
    dynamo.destroy();
    secrets.destroy();
  });
  const ports = () => ({
    handshakes,
    secrets,
    webhookSecretsSecretId,
    credentialsSecretId,
    apiBaseUrl: gusto.apiBaseUrl,
  });

  it('a forged verification POST changes nothing: Gusto refuses it and no secret is written', async () => {
    const { subscription } = await gusto.subscribe('http://127.0.0.1:9/not-ingest');
    const forged = await fetch(webhookUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        verification_token: 'a-stranger-token',
        webhook_subscription_uuid: subscription.uuid,
      }),
    });
    expect(forged.status).toBe(200);
    await expect(verifyGustoSubscription(ports(), subscription.uuid)).rejects.toMatchObject({
      name: 'GustoVerificationRefusedError',
    });
    expect(subscription.verified).toBe(false);
    expect(await gustoSecrets()).toBeUndefined();
  });

  it('without a waiting token it says how to get one sent again', async () => {
    await expect(verifyGustoSubscription(ports(), 'c5fdae57-never-posted')).rejects.toMatchObject({
      name: 'NoPendingVerificationError',
      message: expect.stringContaining('request_verification_token'),
    });
  });

  it("Gusto's own POST is answered 200, verified with Gusto, stored as the signing secret, and events then verify", async () => {
    const { subscription, status } = await gusto.subscribe(webhookUrl());
    expect(status).toBe(200);
    const event = gustoEmployeeEvent('employee.created', 'e-9');
    expect((await sendGustoWebhook(webhookUrl(), subscription.verificationToken, event)).status).toBe(404);

    expect(await verifyGustoSubscription(ports(), subscription.uuid)).toEqual({
      subscriptionUuid: subscription.uuid,
      gustoSecrets: 1,
    });
    expect(subscription.verified).toBe(true);
    expect(await gustoSecrets()).toEqual([subscription.verificationToken]);
    expect(await handshakes.find('gusto', 'default', subscription.uuid)).toBeUndefined();
    expect((await sendGustoWebhook(webhookUrl(), subscription.verificationToken, event)).status).toBe(202);
  });

  it("verifies a tenant's subscription from the token stored under that tenant, into that tenant's secret only", async () => {
    const { subscription } = await gusto.subscribe('http://127.0.0.1:9/t/acme/webhooks/gusto');
    // What ingest stores when Gusto posts to /t/acme/webhooks/gusto.
    await handshakes.save({
      source: 'gusto',
      tenant: 'acme',
      registrationId: subscription.uuid,
      secret: subscription.verificationToken,
      receivedAt: new Date().toISOString(),
    });
    await expect(verifyGustoSubscription(ports(), subscription.uuid)).rejects.toMatchObject({
      name: 'NoPendingVerificationError',
    });
    const tenantSecrets = `${webhookSecretsSecretId}-acme`;
    await secrets.send(new CreateSecretCommand({ Name: tenantSecrets, SecretString: '{}' }));
    const verified = await verifyGustoSubscription(
      { ...ports(), tenantId: 'acme', webhookSecretsSecretId: tenantSecrets },
      subscription.uuid,
    );
    expect(verified).toEqual({ subscriptionUuid: subscription.uuid, gustoSecrets: 1 });
    const stored = await secrets.send(new GetSecretValueCommand({ SecretId: tenantSecrets }));
    expect(JSON.parse(stored.SecretString ?? '{}')).toEqual({ gusto: [subscription.verificationToken] });
    expect((await gustoSecrets()) ?? []).not.toContain(subscription.verificationToken);
  });
});
