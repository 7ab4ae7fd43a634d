import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_ID } from '../../../lambdas/contract/tenants.js';
import { toQueueMessage } from '../../../lambdas/core/events/lifecycle-event.js';
import {
  createIngestHandler,
  MAX_EVENTS_PER_REQUEST,
  MAX_WEBHOOK_BODY_BYTES,
} from '../../../lambdas/ingest/handler.js';
import { signStandardWebhook } from '../../../lambdas/ingest/sources/standard-webhooks.js';
import { startIngestServer } from '../../../tools/local/http-server.js';
import { motoClientConfig } from '../../support/aws.js';
import {
  drainQueue,
  hireEvent,
  type IngestFixture,
  newStandardSecret,
  post,
  postStandard,
  startIngestFixture,
} from '../../support/ingest-fixture.js';

// Test vector from the Standard Webhooks specification's reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const vectorHeaders = {
  'webhook-id': VECTOR.msgId,
  'webhook-timestamp': String(VECTOR.timestamp),
  'webhook-signature': VECTOR.signature,
};

const secret = newStandardSecret();
const previousSecret = newStandardSecret();
let fixture: IngestFixture;

beforeAll(async () => {
  fixture = await startIngestFixture({ standard: [secret, previousSecret, VECTOR.secret] });
});
afterAll(() => fixture.close());
afterEach(() => {
  fixture.clock.seconds = Math.floor(Date.now() / 1000);
});

describe('routing', () => {
  it('answers GET /healthz with 200', async () => {
    const response = await fetch(`${fixture.server.url}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers 404 for an unknown source and an unknown path', async () => {
    expect((await post(`${fixture.server.url}/webhooks/bamboohr`, '{}', {})).status).toBe(404);
    expect((await post(`${fixture.server.url}/elsewhere`, '{}', {})).status).toBe(404);
  });

  it('answers 405 with Allow for other methods', async () => {
    const response = await fetch(`${fixture.server.url}/webhooks/standard`, { method: 'PUT', body: '{}' });
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBe('POST');
    expect((await fetch(`${fixture.server.url}/webhooks/merge`)).status).toBe(405);
    expect((await fetch(`${fixture.server.url}/healthz`, { method: 'DELETE' })).status).toBe(405);
  });
});

describe('Standard Webhooks verification over HTTP', () => {
  it('accepts the specification test vector at its own time (then rejects it as not an event: 422)', async () => {
    fixture.clock.seconds = VECTOR.timestamp;
    const response = await post(`${fixture.server.url}/webhooks/standard`, VECTOR.payload, vectorHeaders);
    expect(response.status).toBe(422);
  });

  it('rejects the test vector with a tampered body', async () => {
    fixture.clock.seconds = VECTOR.timestamp;
    const response = await post(
      `${fixture.server.url}/webhooks/standard`,
      '{"test": 2432232315}',
      vectorHeaders,
    );
    expect(response.status).toBe(401);
    expect(response.json).toEqual({ error: 'signature verification failed', reason: 'no valid signature' });
  });

  it('accepts 5 minutes either side and rejects a replay, an expired or a future timestamp', async () => {
    const url = `${fixture.server.url}/webhooks/standard`;
    for (const [offset, status] of [
      [300, 422],
      [-300, 422],
      [301, 401],
      [-301, 401],
      [3600, 401],
    ] as const) {
      fixture.clock.seconds = VECTOR.timestamp + offset;
      expect((await post(url, VECTOR.payload, vectorHeaders)).status, `clock ${offset}s from timestamp`).toBe(
        status,
      );
    }
  });

  it('rejects missing headers, a non-numeric timestamp and a signature made with another secret', async () => {
    const url = `${fixture.server.url}/webhooks/standard`;
    const body = JSON.stringify(hireEvent());
    const signed = signStandardWebhook({ secret, msgId: 'msg_1', timestamp: fixture.clock.seconds, body });
    expect((await post(url, body, {})).status).toBe(401);
    expect((await post(url, body, { ...signed, 'webhook-signature': '' })).status).toBe(401);
    expect(
      (await post(url, body, { ...signed, 'webhook-timestamp': `${signed['webhook-timestamp']}.5` })).status,
    ).toBe(401);
    expect((await postStandard(fixture, body, newStandardSecret())).status).toBe(401);
    expect((await post(url, body, signed)).status).toBe(202);
  });

  it('accepts both the current and the previous secret during rotation, and several signatures', async () => {
    expect((await postStandard(fixture, JSON.stringify(hireEvent()), secret)).status).toBe(202);
    expect((await postStandard(fixture, JSON.stringify(hireEvent()), previousSecret)).status).toBe(202);
    const body = JSON.stringify(hireEvent());
    const good = signStandardWebhook({ secret, msgId: 'msg_rot', timestamp: fixture.clock.seconds, body });
    const other = signStandardWebhook({
      secret: newStandardSecret(),
      msgId: 'msg_rot',
      timestamp: fixture.clock.seconds,
      body,
    });
    const both = {
      ...good,
      'webhook-signature': `${other['webhook-signature']} ${good['webhook-signature']}`,
    };
    expect((await post(`${fixture.server.url}/webhooks/standard`, body, both)).status).toBe(202);
    await drainQueue(fixture.sqs, fixture.queueUrl);
  });
});

describe('Standard Webhooks body handling', () => {
  it('answers 413 for a signed body over 1 MiB', async () => {
    const body = `[${' '.repeat(MAX_WEBHOOK_BODY_BYTES - 1)}]`;
    expect(Buffer.byteLength(body)).toBe(MAX_WEBHOOK_BODY_BYTES + 1);
    const response = await postStandard(fixture, body, secret);
    expect(response.status).toBe(413);
  });

  it('answers 413 for more events than the cap and queues none of them', async () => {
    const events = Array.from({ length: MAX_EVENTS_PER_REQUEST + 1 }, () => hireEvent());
    const response = await postStandard(fixture, JSON.stringify(events), secret);
    expect(response).toMatchObject({
      status: 413,
      json: { error: 'too many events in one request', limit: MAX_EVENTS_PER_REQUEST },
    });
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });

  // moto's SendMessageBatch slows with every message already on the queue (about 45 s for 1,000
  // into one queue), so the accepted side of the cap records what the handler queues instead.
  it('accepts exactly the cap and queues every event', async () => {
    const queued: string[] = [];
    const server = await startIngestServer({
      port: 0,
      handler: createIngestHandler({
        secrets: { secretsFor: async () => [secret] },
        queue: { enqueue: async (events) => void queued.push(...events.map((event) => event.id)) },
      }),
    });
    try {
      const events = Array.from({ length: MAX_EVENTS_PER_REQUEST }, () => hireEvent());
      const body = JSON.stringify(events);
      const headers = signStandardWebhook({ secret, msgId: 'msg_cap', timestamp: Date.now() / 1000, body });
      const response = await post(`${server.url}/webhooks/standard`, body, headers);
      expect(response).toMatchObject({ status: 202, json: { accepted: events.map((event) => event.id) } });
      expect(queued).toEqual(events.map((event) => event.id));
    } finally {
      await server.close();
    }
  });

  it('answers 400 for a signed body that is not JSON', async () => {
    const response = await postStandard(fixture, 'employee=1', secret);
    expect(response.status).toBe(400);
  });

  it('answers 422 with every wrong field, paths prefixed by the array index', async () => {
    const good = hireEvent();
    const bad = {
      ...hireEvent(),
      data: { employeeId: 'x', workEmail: 'not-an-email', firstName: 'A', lastName: 'B' },
    };
    const response = await postStandard(fixture, JSON.stringify([good, bad]), secret);
    expect(response.status).toBe(422);
    const issues = response.json.issues as { path: string; message: string }[];
    expect(issues.sort((a, b) => a.path.localeCompare(b.path))).toEqual([
      { path: '1.data.workEmail', message: 'Invalid email address' },
      { path: '1.subject', message: 'subject must equal data.employeeId' },
    ]);
    expect(JSON.stringify(response.json)).not.toContain('not-an-email');
    expect((await postStandard(fixture, '[]', secret)).status).toBe(422);
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });
});

describe('queueing', () => {
  it('queues one event with the employee group and the canonical dedup id, answering its id', async () => {
    const event = hireEvent(DEFAULT_TENANT_ID, { employeeId: 'E-100' });
    const response = await postStandard(fixture, JSON.stringify(event), secret);
    expect(response).toMatchObject({ status: 202, json: { accepted: [event.id] } });
    const messages = await drainQueue(fixture.sqs, fixture.queueUrl);
    expect(messages).toEqual([
      {
        body: JSON.stringify(event),
        groupId: 'default:E-100',
        dedupId: toQueueMessage(event).MessageDeduplicationId,
      },
    ]);
  });

  it("sets every event's tenant to the route's: a tenant in the body is overwritten, never trusted", async () => {
    const event = hireEvent('acme', { employeeId: 'E-101' });
    expect((await postStandard(fixture, JSON.stringify(event), secret)).status).toBe(202);
    const [message] = await drainQueue(fixture.sqs, fixture.queueUrl);
    const routed = { ...event, tenant: DEFAULT_TENANT_ID };
    expect(message).toEqual({
      body: JSON.stringify(routed),
      groupId: 'default:E-101',
      dedupId: toQueueMessage(routed).MessageDeduplicationId,
    });
  });

  it('sends an array of 12 events in 2 SendMessageBatch calls, every one on the queue', async () => {
    const events = Array.from({ length: 12 }, () => hireEvent(DEFAULT_TENANT_ID));
    const before = fixture.batchCalls();
    const response = await postStandard(fixture, JSON.stringify(events), secret);
    expect(response).toMatchObject({ status: 202, json: { accepted: events.map((event) => event.id) } });
    expect(fixture.batchCalls() - before).toBe(2);
    const messages = await drainQueue(fixture.sqs, fixture.queueUrl);
    expect(messages.map((message) => message.body).sort()).toEqual(
      events.map((event) => JSON.stringify(event)).sort(),
    );
    for (const event of events) {
      const message = messages.find((candidate) => candidate.body === JSON.stringify(event));
      expect(message?.groupId).toBe(`${event.tenant}:${event.subject}`);
      expect(message?.dedupId).toBe(toQueueMessage(event).MessageDeduplicationId);
    }
  });

  it('gives a redelivered webhook (new webhook-id and timestamp) the same dedup id, queued once', async () => {
    const body = JSON.stringify(hireEvent());
    const first = await postStandard(fixture, body, secret, { msgId: 'msg_first' });
    fixture.clock.seconds += 60;
    const retry = await postStandard(fixture, body, secret, { msgId: 'msg_retry' });
    expect(retry.json).toEqual(first.json);
    const messages = await drainQueue(fixture.sqs, fixture.queueUrl);
    expect(messages).toHaveLength(1);
  });
});

async function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

describe('clean input only', () => {
  const url = () => `${fixture.server.url}/webhooks/standard`;
  const signedHire = () => {
    const body = JSON.stringify(hireEvent());
    return {
      body,
      headers: signStandardWebhook({ secret, msgId: 'msg_c', timestamp: fixture.clock.seconds, body }),
    };
  };

  it('answers 415 unless the body is application/json or +json', async () => {
    const { body, headers } = signedHire();
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data',
      'application/xml',
      '',
    ]) {
      const response = await post(url(), body, { ...headers, 'content-type': type });
      expect(response.status, type || 'no content-type').toBe(415);
    }
    for (const type of ['application/json; charset=utf-8', 'application/cloudevents+json']) {
      expect((await post(url(), body, { ...headers, 'content-type': type })).status, type).not.toBe(415);
    }
  });

  it('answers 400 for a signed body that is not valid UTF-8, and queues nothing', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"Fi'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const signed = signStandardWebhook({ secret, msgId: 'msg_u', timestamp: fixture.clock.seconds, body });
    await drainQueue(fixture.sqs, fixture.queueUrl);
    const response = await post(url(), body, signed);
    expect(response).toMatchObject({ status: 400, json: { error: 'body is not valid UTF-8' } });
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });

  it('says in a 401 which check failed, so clock skew reads apart from a wrong secret', async () => {
    const { body, headers } = signedHire();
    expect((await post(url(), body, {})).json).toMatchObject({ reason: 'missing signature header' });
    fixture.clock.seconds += 3600;
    expect((await post(url(), body, headers)).json).toMatchObject({ reason: 'timestamp outside tolerance' });
    fixture.clock.seconds -= 3600;
    expect((await postStandard(fixture, body, newStandardSecret())).json).toMatchObject({
      reason: 'no valid signature',
    });
  });

  it('answers 422 naming each field that carries control characters, and queues nothing', async () => {
    await drainQueue(fixture.sqs, fixture.queueUrl);
    const probe = hireEvent();
    const forged = {
      ...probe,
      data: { ...probe.data, firstName: 'Ada\u0000Evil', lastName: 'Bell\u0007\u001b[2J\nInjected' },
    };
    const response = await postStandard(fixture, JSON.stringify(forged), secret);
    expect(response.status).toBe(422);
    expect((response.json.issues as { path: string }[]).map((issue) => issue.path).sort()).toEqual([
      'data.firstName',
      'data.lastName',
    ]);
    // JSON escapes reach the parser as the characters themselves: U+FFFF, a lone surrogate, NUL in the id.
    const escaped = JSON.stringify(hireEvent())
      .replace(/"firstName":"[^"]*"/, '"firstName":"Ada\\uffff"')
      .replace(/"lastName":"[^"]*"/, '"lastName":"B\\ud800"');
    const second = await postStandard(fixture, escaped, secret);
    expect((second.json.issues as { path: string }[]).map((issue) => issue.path).sort()).toEqual([
      'data.firstName',
      'data.lastName',
    ]);
    const withNulId = hireEvent();
    const badId = { ...withNulId, subject: 'E\u0000x', data: { ...withNulId.data, employeeId: 'E\u0000x' } };
    expect((await postStandard(fixture, JSON.stringify(badId), secret)).status).toBe(422);
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });

  it('answers 422 for an event id with a line break, so it cannot forge a log line', async () => {
    const forged = { ...hireEvent(), id: 'x\nhandled  employee.terminated employee CEO (event y)' };
    const response = await postStandard(fixture, JSON.stringify(forged), secret);
    expect(response).toMatchObject({ status: 422, json: { issues: [{ path: 'id' }] } });
  });

  it('answers 404 (not retryable) for a known source with no signing secret configured', async () => {
    const response = await post(`${fixture.server.url}/webhooks/merge`, '{}', {
      'x-merge-webhook-signature': 'guess',
    });
    expect(response).toMatchObject({ status: 404, json: { error: 'source not configured' } });
  });
});

describe('outages answer 503 so the sender retries', () => {
  it('when SQS is unreachable', async () => {
    const port = await closedLoopbackPort();
    const down = await startIngestFixture(
      { standard: [secret] },
      {
        sqsConfig: { ...motoClientConfig(), endpoint: `http://127.0.0.1:${port}` },
        queueUrl: `http://127.0.0.1:${port}/1/q.fifo`,
      },
    );
    try {
      const response = await postStandard(down, JSON.stringify(hireEvent()), secret);
      expect(response).toMatchObject({
        status: 503,
        json: { error: 'temporarily unavailable, retry later' },
      });
    } finally {
      await down.close();
    }
  });

  it('when the queue does not exist', async () => {
    const missing = await startIngestFixture(
      { standard: [secret] },
      { queueUrl: `${fixture.queueUrl.replace(/[^/]+$/, '')}no-such-queue.fifo` },
    );
    try {
      const events = Array.from({ length: 3 }, () => hireEvent());
      expect((await postStandard(missing, JSON.stringify(events), secret)).status).toBe(503);
    } finally {
      await missing.close();
    }
  });

  it('when the webhook secrets cannot be read', async () => {
    const noSecret = await startIngestFixture({}, { secretId: 'no-such-secret' });
    try {
      expect((await postStandard(noSecret, JSON.stringify(hireEvent()), secret)).status).toBe(503);
    } finally {
      await noSecret.close();
    }
  });
});
