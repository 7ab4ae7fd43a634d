import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID, tenantSecretName } from '../../../lambdas/contract/tenants.js';
import { type LifecycleEvent, parseLifecycleEvent } from '../../../lambdas/core/events/lifecycle-event.js';
import { sqsEventQueue } from '../../../lambdas/core/events/sqs-event-queue.js';
import { DynamoTenantRegistry } from '../../../lambdas/core/tenants/tenant-registry.js';
import { createIngestHandler } from '../../../lambdas/ingest/handler.js';
import { signGustoWebhook } from '../../../lambdas/ingest/sources/gusto.js';
import { signMergeWebhook } from '../../../lambdas/ingest/sources/merge.js';
import { signStandardWebhook } from '../../../lambdas/ingest/sources/standard-webhooks.js';
import {
  secretsManagerTenantWebhookSecrets,
  secretsManagerWebhookSecrets,
} from '../../../lambdas/ingest/webhook-secrets.js';
import { type IngestServer, startIngestServer } from '../../../tools/local/http-server.js';
import { motoClientConfig } from '../../support/aws.js';
import { createStateTable } from '../../support/holds-fixture.js';
import {
  countingSqsClient,
  createFifoQueue,
  createSecretsJson,
  drainQueue,
  hireEvent,
  newStandardSecret,
  post,
} from '../../support/ingest-fixture.js';
import {
  countingSecretsClient,
  createTenantSecret,
  tenantSettings,
  uniqueTenantId,
} from '../../support/tenants-fixture.js';

const dynamodb = new DynamoDBClient(motoClientConfig());
const secrets = countingSecretsClient();
const MERGE_KEY = 'the-msp-merge-organisation-key';

/** Three tenants: A and B on their own Standard Webhooks URLs, C reached through the shared Merge URL. */
const A = { id: uniqueTenantId('acme'), secret: newStandardSecret() };
const B = { id: uniqueTenantId('globex'), secret: newStandardSecret() };
const C = { id: uniqueTenantId('initech'), linkedAccount: `la-${crypto.randomUUID().slice(0, 8)}` };
const defaultSecret = newStandardSecret();
/** A Gusto company connected to the MSP's one application, mapped to its own tenant. */
const G = { id: uniqueTenantId('gustoco'), company: crypto.randomUUID() };
const GUSTO_TOKEN = crypto.randomUUID();

let registry: DynamoTenantRegistry;
let server: IngestServer;
let sqs: SQSClient;
let queueUrl: string;

beforeAll(async () => {
  const tableName = await createStateTable(dynamodb);
  registry = new DynamoTenantRegistry({ client: dynamodb, tableName });
  await registry.add(tenantSettings(A.id));
  await registry.add(tenantSettings(B.id));
  await registry.add(
    tenantSettings(C.id, {
      sources: ['merge'],
      accountIds: [{ source: 'merge', accountId: C.linkedAccount }],
    }),
  );
  await registry.add(
    tenantSettings(G.id, { sources: ['gusto'], accountIds: [{ source: 'gusto', accountId: G.company }] }),
  );
  for (const tenant of [A, B]) {
    await createTenantSecret(
      secrets.client,
      tenant.id,
      'webhookSecrets',
      JSON.stringify({ standard: [tenant.secret] }),
    );
  }
  ({ client: sqs } = countingSqsClient());
  queueUrl = await createFifoQueue(sqs);
  const handler = createIngestHandler({
    secrets: secretsManagerWebhookSecrets({
      client: secrets.client,
      secretId: await createSecretsJson({
        standard: [defaultSecret],
        merge: [MERGE_KEY],
        gusto: [GUSTO_TOKEN],
      }),
      maxAgeSeconds: 60,
    }),
    // Uncached, so a removal is seen at once; the deployed wiring caches it for the secret cache period.
    tenants: {
      registry,
      secrets: secretsManagerTenantWebhookSecrets({ client: secrets.client, maxAgeSeconds: 60 }),
    },
    queue: sqsEventQueue(sqs, queueUrl),
  });
  server = await startIngestServer({ port: 0, handler });
});
afterAll(async () => {
  await server.close();
  dynamodb.destroy();
});

function postStandard(path: string, body: string, secret: string) {
  const headers = signStandardWebhook({
    secret,
    msgId: `msg_${crypto.randomUUID()}`,
    timestamp: Date.now() / 1000,
    body,
  });
  return post(`${server.url}${path}`, body, headers);
}

const queued = async (): Promise<LifecycleEvent[]> =>
  (await drainQueue(sqs, queueUrl)).map((message) => parseLifecycleEvent(message.body));

describe('POST /t/{tenant}/webhooks/{source}', () => {
  it("queues the tenant's events under its id, in its own FIFO groups", async () => {
    const event = hireEvent(DEFAULT_TENANT_ID, { employeeId: 'E-1' });
    const response = await postStandard(`/t/${A.id}/webhooks/standard`, JSON.stringify(event), A.secret);
    expect(response).toMatchObject({ status: 202, json: { accepted: [event.id] } });
    const messages = await drainQueue(sqs, queueUrl);
    expect(messages.map((message) => message.groupId)).toEqual([`${A.id}:E-1`]);
    expect(messages.map((message) => parseLifecycleEvent(message.body).tenant)).toEqual([A.id]);
  });

  it("overwrites a tenant the body names: A's sender cannot write into B", async () => {
    const event = hireEvent(B.id, { employeeId: 'E-2' });
    expect((await postStandard(`/t/${A.id}/webhooks/standard`, JSON.stringify(event), A.secret)).status).toBe(
      202,
    );
    expect((await queued()).map((queuedEvent) => queuedEvent.tenant)).toEqual([A.id]);
  });

  it("rejects a webhook signed with A's secret posted to B's URL (401), and queues nothing", async () => {
    const body = JSON.stringify(hireEvent(B.id));
    const toB = await postStandard(`/t/${B.id}/webhooks/standard`, body, A.secret);
    expect(toB).toMatchObject({ status: 401, json: { error: 'signature verification failed' } });
    // Nor does the deployment's own secret open a tenant's URL, or a tenant's the deployment's.
    expect((await postStandard(`/t/${A.id}/webhooks/standard`, body, defaultSecret)).status).toBe(401);
    expect((await postStandard('/webhooks/standard', body, A.secret)).status).toBe(401);
    expect(await queued()).toEqual([]);
  });

  it('answers 404 with a reason for an unknown tenant, before reading any secret', async () => {
    const before = secrets.reads();
    const unknown = uniqueTenantId('nobody');
    const response = await postStandard(`/t/${unknown}/webhooks/standard`, '{}', A.secret);
    expect(response).toMatchObject({
      status: 404,
      json: { error: 'unknown tenant', reason: `no tenant ${unknown} is registered` },
    });
    // A segment that cannot be a tenant id is refused without a read and is not echoed back.
    const odd = await postStandard('/t/Not%20An%20Id/webhooks/standard', '{}', A.secret);
    expect(odd).toMatchObject({ status: 404, json: { error: 'unknown tenant' } });
    expect(JSON.stringify(odd.json)).not.toContain('Not');
    // Probing ids from outside reads no secret, so it cannot fill the per-tenant secret caches.
    for (let probe = 0; probe < 20; probe += 1) {
      await postStandard(`/t/probe-${probe}/webhooks/standard`, '{}', A.secret);
    }
    expect(secrets.reads()).toBe(before);
    expect(secrets.reads(tenantSecretName(unknown, 'webhookSecrets'))).toBe(0);
    expect(await queued()).toEqual([]);
  });

  it('answers 404 "source not configured" for a source the tenant does not use', async () => {
    const raw = JSON.stringify({});
    const response = await post(`${server.url}/t/${A.id}/webhooks/merge`, raw, {
      'x-merge-webhook-signature': signMergeWebhook(MERGE_KEY, raw),
    });
    expect(response).toMatchObject({ status: 404, json: { error: 'source not configured' } });
    expect((await post(`${server.url}/t/${A.id}/webhooks/bamboohr`, '{}', {})).status).toBe(404);
  });

  it("reads each tenant's secret once per cache period, whatever its traffic", async () => {
    const secretId = tenantSecretName(B.id, 'webhookSecrets');
    const before = secrets.reads(secretId);
    for (let request = 0; request < 5; request += 1) {
      const body = JSON.stringify(hireEvent(DEFAULT_TENANT_ID));
      expect((await postStandard(`/t/${B.id}/webhooks/standard`, body, B.secret)).status).toBe(202);
    }
    expect(secrets.reads(secretId) - before).toBeLessThanOrEqual(1);
    expect(new Set((await queued()).map((event) => event.tenant))).toEqual(new Set([B.id]));
  });

  it('serves the tenant route under a stage prefix, and refuses a stray t segment rather than serve the default tenant', async () => {
    const body = JSON.stringify(hireEvent(DEFAULT_TENANT_ID));
    expect((await postStandard(`/prod/t/${A.id}/webhooks/standard`, body, A.secret)).status).toBe(202);
    expect((await postStandard(`/t/${A.id}/v1/webhooks/standard`, body, defaultSecret)).status).toBe(404);
    expect((await queued()).map((event) => event.tenant)).toEqual([A.id]);
  });
});

describe('the shared Merge URL', () => {
  const linkedHire = (linkedAccount: string, employeeId: string) => ({
    hook: { event: 'Employee.added' },
    linked_account: { id: linkedAccount, integration_slug: 'bamboohr' },
    data: {
      id: employeeId,
      first_name: 'Greg',
      last_name: 'Hirsch',
      work_email: `${employeeId}@example.com`,
      employment_status: 'ACTIVE',
      modified_at: '2026-11-20T08:30:00Z',
    },
  });
  const sendMerge = (body: unknown, key = MERGE_KEY) => {
    const raw = JSON.stringify(body);
    return post(`${server.url}/webhooks/merge`, raw, {
      'x-merge-webhook-signature': signMergeWebhook(key, raw),
    });
  };

  it('routes a linked account mapped to a tenant to that tenant, any other to the default tenant', async () => {
    expect((await sendMerge(linkedHire(C.linkedAccount, 'm-c'))).status).toBe(202);
    expect((await sendMerge(linkedHire('la-unmapped', 'm-d'))).status).toBe(202);
    const events = await queued();
    expect(events.map((event) => [event.subject, event.tenant])).toEqual([
      ['m-c', C.id],
      ['m-d', DEFAULT_TENANT_ID],
    ]);
  });

  it("routes a Gusto company mapped to a tenant to that tenant (one application's subscription posts every company)", async () => {
    const sendGusto = (company: string, employee: string) => {
      const raw = JSON.stringify({
        uuid: crypto.randomUUID(),
        event_type: 'employee.created',
        resource_type: 'Company',
        resource_uuid: company,
        entity_type: 'Employee',
        entity_uuid: employee,
        timestamp: Math.floor(Date.now() / 1000),
      });
      return post(`${server.url}/webhooks/gusto`, raw, {
        'x-gusto-signature': signGustoWebhook(GUSTO_TOKEN, raw),
      });
    };
    expect((await sendGusto(G.company, 'g-1')).status).toBe(202);
    expect((await sendGusto(crypto.randomUUID(), 'g-2')).status).toBe(202);
    const messages = await drainQueue(sqs, queueUrl);
    expect(
      messages.map((message) => [JSON.parse(message.body).subject, JSON.parse(message.body).tenant]),
    ).toEqual([
      ['g-1', G.id],
      ['g-2', DEFAULT_TENANT_ID],
    ]);
  });

  it("checks the signature with the deployment's Merge key before any routing", async () => {
    expect((await sendMerge(linkedHire(C.linkedAccount, 'm-x'), 'another-key')).status).toBe(401);
    expect(await queued()).toEqual([]);
  });
});

describe('a tenant removed, and a registry that cannot be read', () => {
  it('refuses a removed tenant at once (404), and answers 503 while the registry is unreachable', async () => {
    const D = { id: uniqueTenantId('umbrella'), secret: newStandardSecret() };
    await registry.add(tenantSettings(D.id));
    await createTenantSecret(
      secrets.client,
      D.id,
      'webhookSecrets',
      JSON.stringify({ standard: [D.secret] }),
    );
    const body = JSON.stringify(hireEvent(DEFAULT_TENANT_ID));
    expect((await postStandard(`/t/${D.id}/webhooks/standard`, body, D.secret)).status).toBe(202);
    await registry.remove(D.id);
    expect((await postStandard(`/t/${D.id}/webhooks/standard`, body, D.secret)).status).toBe(404);
    expect((await queued()).map((event) => event.tenant)).toEqual([D.id]);

    const unreachable = createIngestHandler({
      secrets: secretsManagerWebhookSecrets({
        client: secrets.client,
        secretId: 'unused',
        maxAgeSeconds: 60,
      }),
      tenants: {
        registry: new DynamoTenantRegistry({ client: dynamodb, tableName: 'no-such-table' }),
        secrets: secretsManagerTenantWebhookSecrets({ client: secrets.client, maxAgeSeconds: 60 }),
      },
      queue: sqsEventQueue(sqs, queueUrl),
    });
    const outage = await startIngestServer({ port: 0, handler: unreachable });
    try {
      const response = await post(`${outage.url}/t/${A.id}/webhooks/standard`, body, {});
      expect(response.status).toBe(503);
    } finally {
      await outage.close();
    }
  });
});
