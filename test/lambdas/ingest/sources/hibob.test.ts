import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDetailsPending } from '../../../../lambdas/core/events/details-pending-event.js';
import { laneFor } from '../../../../lambdas/core/events/lane.js';
import {
  hiBobSource,
  isHiBobPing,
  signHiBobWebhook,
  verifyHiBobWebhook,
} from '../../../../lambdas/ingest/sources/hibob.js';
import { hiBobEventBody, sendHiBobPing, sendHiBobWebhook } from '../../../../tools/fakes/hibob/server.js';
import { drainQueue, type IngestFixture, post, startIngestFixture } from '../../../support/ingest-fixture.js';
import { issuePathsOf } from '../../../support/issue-paths.js';
import { verificationFailureOf } from '../../../support/verification-failure.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const SECRET = 'hibob-webhook-secret';
const TRIGGERED_AT = '2026-11-22T11:59:58.915906';
const body = (type: string, employeeId = '3332883854254932743', data: Record<string, unknown> = {}) =>
  hiBobEventBody(type, employeeId, data, TRIGGERED_AT);

describe('HiBob signature (Bob-Signature: base64 HMAC-SHA512 of the raw body)', () => {
  const raw = Buffer.from(JSON.stringify(body('employee.updated')));
  const verify = (headers: Record<string, string>, bytes = raw, secrets = [SECRET]) =>
    verifyHiBobWebhook(bytes, headers, secrets);
  const signed = (secret = SECRET, bytes: Buffer = raw) => ({
    'bob-signature': signHiBobWebhook(secret, bytes),
  });

  it('signs as RFC 4231 test case 2 says HMAC-SHA512 is, in base64', () => {
    expect(signHiBobWebhook('Jefe', 'what do ya want for nothing?')).toBe(
      'Fkt6e/z4GeLjlfvnO1bgo4e9ZCIugx/WECcM1+olBVSXWL91wFqZSm0DT2X48Ob9yuqxo01Ka0tjbgcKOLznNw==',
    );
  });

  it('accepts a valid signature with any current secret, with or without padding', () => {
    expect(() => verify(signed())).not.toThrow();
    expect(() => verify(signed(), raw, ['previous-secret', SECRET])).not.toThrow();
    expect(() => verify({ 'bob-signature': signed()['bob-signature'].replace(/=+$/, '') })).not.toThrow();
  });

  it('rejects a wrong secret, a tampered body and missing or malformed headers', () => {
    expect(verificationFailureOf(() => verify(signed('another-secret')))).toBe('no valid signature');
    expect(verificationFailureOf(() => verify(signed(), Buffer.from(`${raw.toString()} `)))).toBe(
      'no valid signature',
    );
    expect(verificationFailureOf(() => verify({}))).toBe('missing signature header');
    expect(verificationFailureOf(() => verify({ 'bob-signature': 'zz' }))).toBe('malformed signature header');
    const hex = Buffer.from(signed()['bob-signature'], 'base64').toString('hex');
    expect(verificationFailureOf(() => verify({ 'bob-signature': hex }))).toBe('malformed signature header');
  });

  it('a stale delivery replayed later verifies (HiBob signs no time) but keeps its event id, so it is a duplicate', () => {
    expect(() => verify(signed())).not.toThrow();
    const later = new Date(NOW.getTime() + 3 * 24 * 3600_000);
    const [first] = hiBobSource.toEvents(JSON.parse(raw.toString()), NOW);
    const [replayed] = hiBobSource.toEvents(JSON.parse(raw.toString()), later);
    expect(replayed?.id).toBe(first?.id);
  });
});

describe('HiBob Ping test', () => {
  it('matches only the bodies Bob sends when a webhook is saved', () => {
    for (const ping of ['Ping test', '"Ping test"', '{"text":"Ping test"}', ' {"text": "Ping test"}\n'])
      expect(isHiBobPing(Buffer.from(ping))).toBe(true);
    for (const other of ['Ping', '{"text":"Ping test","type":"employee.deleted"}', JSON.stringify(body('x'))])
      expect(isHiBobPing(Buffer.from(other))).toBe(false);
  });
});

describe('HiBob mapping', () => {
  const toEvents = (value: unknown) => hiBobSource.toEvents(value, NOW);

  it('created and joined -> hire, updated -> change, all fetched from HiBob; deleted -> termination at once', () => {
    for (const type of ['employee.created', 'employee.joined'])
      expect(toEvents(body(type))[0]).toMatchObject({
        type: 'employee.hired',
        subject: '3332883854254932743',
        detailsfrom: 'hibob',
        data: { employeeId: '3332883854254932743' },
      });
    const [changed] = toEvents(body('employee.updated', '7', { fieldUpdates: [{ fieldId: 'root.email' }] }));
    expect(changed).toMatchObject({
      type: 'employee.changed',
      detailsfrom: 'hibob',
      data: { employeeId: '7', changedFields: ['root.email'] },
    });
    const [deleted] = toEvents(body('employee.deleted'));
    expect(deleted && isDetailsPending(deleted)).toBe(false);
    expect(deleted).toMatchObject({
      type: 'employee.terminated',
      data: { employeeId: '3332883854254932743' },
    });
  });

  it('lifecycle events (left on the effective date, inactivated, activated) are changes the fetched record decides', () => {
    for (const type of ['employee.left', 'employee.inactivated', 'employee.activated'])
      expect(toEvents(body(type))[0]).toMatchObject({ type: 'employee.changed', detailsfrom: 'hibob' });
    // A leaver's events travel on the priority lane; re-activation does not remove access.
    const lanes = ['employee.left', 'employee.inactivated', 'employee.activated', 'employee.updated'].map(
      (type) => {
        const [event] = toEvents(body(type));
        return event && laneFor(event);
      },
    );
    expect(lanes).toEqual(['priority', 'priority', 'standard', 'standard']);
  });

  it('acknowledges events it does not act on (table entries, immediate access revocation, time off)', () => {
    for (const type of [
      'table.entry.created',
      'employee.access.revoked.immediately',
      'timeoff.request.created',
    ])
      expect(toEvents(body(type))).toEqual([]);
  });

  it('a retry of one event has the same id; another event of the same person has another', () => {
    const event = body('employee.updated', '7', { fieldUpdates: ['root.firstName'] });
    const id = toEvents(event)[0]?.id;
    expect(toEvents(structuredClone(event))[0]?.id).toBe(id);
    expect(toEvents({ ...event, triggeredAt: '2026-11-22T12:05:00.000001' })[0]?.id).not.toBe(id);
    expect(toEvents({ ...event, type: 'employee.left' })[0]?.id).not.toBe(id);
  });

  it('reports a malformed employee event by its HiBob paths', () => {
    expect(
      issuePathsOf(() => toEvents({ type: 'employee.updated', companyId: 1, data: { employeeId: 'x y' } })),
    ).toEqual(['data.employeeId', 'triggeredAt']);
  });
});

describe('HiBob over HTTP onto the FIFO queue (the fake sender signs as HiBob does)', () => {
  let fixture: IngestFixture;
  let unconfigured: IngestFixture;
  beforeAll(async () => {
    fixture = await startIngestFixture({ hibob: [SECRET] });
    unconfigured = await startIngestFixture({ standard: [] });
  });
  afterAll(async () => {
    await fixture.close();
    await unconfigured.close();
  });
  const url = (on = fixture) => `${on.server.url}/webhooks/hibob`;

  it('answers the Ping test 200 (as text or JSON, before the secret is configured) and queues nothing', async () => {
    for (const on of [fixture, unconfigured]) {
      expect((await sendHiBobPing(url(on))).status).toBe(200);
      expect((await sendHiBobPing(url(on), true)).status).toBe(200);
    }
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });

  it('refuses a wrong secret and an unsigned event with 401', async () => {
    expect((await sendHiBobWebhook(url(), 'wrong', body('employee.deleted'))).status).toBe(401);
    expect((await post(url(), JSON.stringify(body('employee.deleted')), {})).status).toBe(401);
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });
});
