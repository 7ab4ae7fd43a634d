import { CreateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, tenantSecretName } from '../../../lambdas/contract/tenants.js';
import { type LifecycleEvent, parseLifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../../lambdas/core/events/sqs-event-queue.js';
import { scimUserItemKey } from '../../../lambdas/core/state/scim-user-item.js';
import { DynamoTenantRegistry } from '../../../lambdas/core/tenants/tenant-registry.js';
import { scimTokensSecretString, secretsManagerScimTokens } from '../../../lambdas/scim/bearer-tokens.js';
import { createScimHandler } from '../../../lambdas/scim/handler.js';
import { DynamoScimUserStore } from '../../../lambdas/scim/user-store.js';
import { type IngestServer, startIngestServer } from '../../../tools/local/http-server.js';
import { uniqueName } from '../../support/aws.js';
import { type AwsFixture, awsFixture } from '../../support/aws-fixture.js';
import { drainQueue } from '../../support/ingest-fixture.js';
import { newScimToken, scimUser } from '../../support/scim-fixture.js';
import {
  countingSecretsClient,
  createTenantSecret,
  tenantSettings,
  uniqueTenantId,
} from '../../support/tenants-fixture.js';

const A = { id: uniqueTenantId('acme'), token: newScimToken() };
const B = { id: uniqueTenantId('globex'), token: newScimToken() };
const defaultToken = newScimToken();
const secrets = countingSecretsClient();

let aws: AwsFixture;
let server: IngestServer;

beforeAll(async () => {
  aws = await awsFixture();
  const tableName = aws.resources.stateTableName;
  const registry = new DynamoTenantRegistry({ client: aws.dynamodb, tableName });
  for (const tenant of [A, B]) {
    await registry.add(tenantSettings(tenant.id));
    await createTenantSecret(secrets.client, tenant.id, 'scimTokens', scimTokensSecretString(tenant.token));
  }
  const defaultSecretId = uniqueName('scim-tokens');
  await aws.secrets.send(
    new CreateSecretCommand({ Name: defaultSecretId, SecretString: scimTokensSecretString(defaultToken) }),
  );
  const tokensOf = (secretId: string) =>
    secretsManagerScimTokens({ client: secrets.client, secretId, maxAgeSeconds: 60 });
  const handler = createScimHandler({
    store: new DynamoScimUserStore({ client: aws.dynamodb, tableName }),
    queue: sqsEventQueue(aws.sqs, aws.resources.queueUrl),
    tokens: tokensOf(defaultSecretId),
    tenants: { registry, tokens: (tenantId) => tokensOf(tenantSecretName(tenantId, 'scimTokens')) },
    urlScheme: 'http',
  });
  server = await startIngestServer({ port: 0, handler });
});
afterAll(async () => {
  await server.close();
  aws.destroy();
});

const rootOf = (tenant: string | undefined) =>
  tenant === undefined ? `${server.url}/scim/v2` : `${server.url}/t/${tenant}/scim/v2`;

async function request(
  tenant: string | undefined,
  token: string,
  method: string,
  path: string,
  body?: unknown,
) {
  const response = await fetch(`${rootOf(tenant)}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    json: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  };
}

const queued = async (): Promise<LifecycleEvent[]> =>
  (await drainQueue(aws.sqs, aws.resources.queueUrl)).map((message) => parseLifecycleEvent(message.body));
const unique = (name: string) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;

async function storedItem(tenant: string, id: string) {
  const { Item } = await DynamoDBDocumentClient.from(aws.dynamodb).send(
    new GetCommand({
      TableName: aws.resources.stateTableName,
      Key: scimUserItemKey(tenant, id),
      ConsistentRead: true,
    }),
  );
  return Item;
}

describe('/t/{tenant}/scim/v2', () => {
  it("keeps a tenant's users under its own URL, store keys and events", async () => {
    const userName = unique('ada');
    const created = await request(A.id, A.token, 'POST', '/Users', scimUser(userName));
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    expect(created.headers.get('location')).toBe(`${rootOf(A.id)}/Users/${id}`);
    expect(created.json).toMatchObject({ meta: { location: `${rootOf(A.id)}/Users/${id}` } });
    expect(await storedItem(A.id, id)).toMatchObject({ tenant: A.id });
    expect(await storedItem(B.id, id)).toBeUndefined();
    expect(await storedItem(DEFAULT_TENANT_ID, id)).toBeUndefined();
    expect((await queued()).map((event) => [event.tenant, event.type])).toEqual([[A.id, 'employee.hired']]);
  });

  it("answers 401 to another tenant's token, in both directions, and to the deployment's own", async () => {
    const body = scimUser(unique('intruder'));
    for (const [tenant, token] of [
      [A.id, B.token],
      [B.id, A.token],
      [A.id, defaultToken],
      [undefined, A.token],
    ] as const) {
      expect((await request(tenant, token, 'GET', '/Users')).status, `${tenant} with a foreign token`).toBe(
        401,
      );
      expect((await request(tenant, token, 'POST', '/Users', body)).status).toBe(401);
    }
    expect(await queued()).toEqual([]);
  });

  it("never lets B read, filter, change or delete A's user, and lets B have its own user of that name", async () => {
    const userName = unique('grace');
    const created = await request(A.id, A.token, 'POST', '/Users', scimUser(userName));
    const id = String(created.json.id);
    await queued();

    expect((await request(B.id, B.token, 'GET', `/Users/${id}`)).status).toBe(404);
    const filter = `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`;
    expect((await request(B.id, B.token, 'GET', filter)).json).toMatchObject({ totalResults: 0 });
    const byId = `/Users?filter=${encodeURIComponent(`id eq "${id}"`)}`;
    expect((await request(B.id, B.token, 'GET', byId)).json).toMatchObject({ totalResults: 0 });
    const listed = (await request(B.id, B.token, 'GET', '/Users?count=1000')).json.Resources as {
      id: string;
    }[];
    expect(listed.map((user) => user.id)).not.toContain(id);
    expect((await request(B.id, B.token, 'PUT', `/Users/${id}`, scimUser(userName))).status).toBe(404);
    const deactivate = {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    };
    expect((await request(B.id, B.token, 'PATCH', `/Users/${id}`, deactivate)).status).toBe(404);
    expect((await request(B.id, B.token, 'DELETE', `/Users/${id}`)).status).toBe(404);
    expect(await queued()).toEqual([]);
    // And the other direction: A's user is untouched, B's same userName is a user of B's own.
    expect((await request(A.id, A.token, 'GET', `/Users/${id}`)).json).toMatchObject({ active: true });
    const theirs = await request(B.id, B.token, 'POST', '/Users', scimUser(userName));
    expect(theirs.status).toBe(201);
    expect(theirs.json.id).not.toBe(id);
    expect((await request(A.id, A.token, 'GET', `/Users/${String(theirs.json.id)}`)).status).toBe(404);
    expect((await queued()).map((event) => event.tenant)).toEqual([B.id]);
  });

  it('answers 404 for an unknown tenant before reading any secret, and serves the default tenant at /scim/v2', async () => {
    const before = secrets.reads();
    const unknown = uniqueTenantId('nobody');
    const response = await request(unknown, A.token, 'GET', '/Users');
    expect(response).toMatchObject({ status: 404, json: { detail: `no tenant ${unknown} is registered` } });
    expect((await request('Not%20An%20Id', A.token, 'GET', '/Users')).status).toBe(404);
    expect((await request(DEFAULT_TENANT_ID, defaultToken, 'GET', '/Users')).status).toBe(404);
    expect(secrets.reads()).toBe(before);
    expect((await request(undefined, defaultToken, 'GET', '/ServiceProviderConfig')).status).toBe(200);
  });
});
