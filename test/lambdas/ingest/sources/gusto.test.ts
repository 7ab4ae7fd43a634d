import { createHmac } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDetailsPending } from '../../../../lambdas/core/events/details-pending-event.js';
import { laneFor } from '../../../../lambdas/core/events/lane.js';
import { DynamoHandshakeStore } from '../../../../lambdas/core/state/handshake-store.js';
import {
  GUSTO_EMPLOYEE_EVENTS,
  gustoSource,
  signGustoWebhook,
  verifyGustoWebhook,
} from '../../../../lambdas/ingest/sources/gusto.js';
import { gustoEmployeeEvent, sendGustoWebhook } from '../../../../tools/fakes/gusto/server.js';
import { provisionLocalResources } from '../../../../tools/local/provision.js';
import { motoClientConfig, uniqueResourceNames } from '../../../support/aws.js';
import { drainQueue, type IngestFixture, startIngestFixture } from '../../../support/ingest-fixture.js';
import { issuePathsOf } from '../../../support/issue-paths.js';
import { verificationFailureOf } from '../../../support/verification-failure.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const TOKEN = '6590f590-3dba-495e-9bea-c361e1e2efc0';
const EMPLOYEE = 'bcfc9744-0ab3-4ef3-ab0d-e728255d659c';

const body = (eventType: string, overrides: Record<string, unknown> = {}) => ({
  uuid: '03ffbf0c-48a9-4f1c-932a-546413a26ad1',
  event_type: eventType,
  resource_type: 'Company',
  resource_uuid: '5df911a0-e8e9-412d-8aaf-a46ad193dd96',
  entity_type: 'Employee',
  entity_uuid: EMPLOYEE,
  timestamp: 1671058841,
  ...overrides,
});

describe('Gusto signature (hex HMAC-SHA256 of the raw body, keyed with the verification token)', () => {
  const raw = Buffer.from(JSON.stringify(body('employee.updated')));
  const verify = (headers: Record<string, string>, payload = raw, tokens = [TOKEN]) =>
    verifyGustoWebhook(payload, headers, tokens);
  const signed = (token = TOKEN, payload: Buffer = raw) => ({
    'x-gusto-signature': signGustoWebhook(token, payload),
  });

  it('a known vector: the MAC is plain lowercase hex of HMAC-SHA256(token, body), no prefix', () => {
    const expected = createHmac('sha256', TOKEN).update(raw).digest('hex');
    expect(signGustoWebhook(TOKEN, raw)).toBe(expected);
    expect(() => verify({ 'x-gusto-signature': expected })).not.toThrow();
    expect(() => verify({ 'x-gusto-signature': expected.toUpperCase() })).not.toThrow();
    expect(() => verify(signed(), raw, ['an-older-subscription-token', TOKEN])).not.toThrow();
  });

  it('rejects a wrong token, a tampered body, a missing and a malformed header', () => {
    expect(verificationFailureOf(() => verify(signed('another-token')))).toBe('no valid signature');
    expect(verificationFailureOf(() => verify(signed(), Buffer.from(`${raw.toString()} `)))).toBe(
      'no valid signature',
    );
    expect(verificationFailureOf(() => verify({}))).toBe('missing signature header');
    expect(
      verificationFailureOf(() => verify({ 'x-gusto-signature': `sha256=${signed()['x-gusto-signature']}` })),
    ).toBe('malformed signature header');
  });

  it('has no replay window (Gusto signs no time): an old delivery verifies and keeps its uuid, so it dedups', () => {
    const old = Buffer.from(JSON.stringify(body('employee.updated', { timestamp: 1_000_000_000 })));
    expect(() => verify(signed(TOKEN, old), old)).not.toThrow();
    const [event] = gustoSource.toEvents(JSON.parse(old.toString()), NOW);
    expect(event?.id).toBe('03ffbf0c-48a9-4f1c-932a-546413a26ad1');
  });
});

describe('Gusto mapping', () => {
  const toEvents = (payload: unknown) => gustoSource.toEvents(payload, NOW);

  it('employee.created is a hire fetched from Gusto, with the event uuid as id and its timestamp as time', () => {
    const [hired, ...rest] = toEvents(body('employee.created'));
    expect(rest).toEqual([]);
    expect(hired).toMatchObject({
      id: '03ffbf0c-48a9-4f1c-932a-546413a26ad1',
      type: 'employee.hired',
      subject: EMPLOYEE,
      detailsfrom: 'gusto',
      time: '2022-12-14T23:00:41.000Z',
      data: { employeeId: EMPLOYEE },
    });
  });

  it('every termination, rehire and update event (the *_effective ones too) is a change the fetched record decides', () => {
    for (const eventType of [
      'employee.updated',
      'employee.onboarded',
      'employee.terminated',
      'employee.terminated_effective',
      'employee.termination_effective',
      'employee.termination_cancelled',
      'employee.rehired',
      'employee.rehire_effective',
      'employee.rehire_cancelled',
    ]) {
      const [event] = toEvents(body(eventType));
      expect(event, eventType).toMatchObject({ type: 'employee.changed', detailsfrom: 'gusto' });
      // Once a termination has taken effect, the leaver travels on the priority lane.
      const leaving = eventType.endsWith('_effective') && eventType.includes('terminat');
      expect(GUSTO_EMPLOYEE_EVENTS[eventType], eventType).toBe(leaving ? 'leaving' : 'changed');
      expect(event && laneFor(event), eventType).toBe(leaving ? 'priority' : 'standard');
    }
  });

  it('employee.deleted is a termination at once (there is no record left to fetch)', () => {
    const [deleted] = toEvents(body('employee.deleted'));
    expect(deleted && isDetailsPending(deleted)).toBe(false);
    expect(deleted).toMatchObject({ type: 'employee.terminated', data: { employeeId: EMPLOYEE } });
  });

  it('acknowledges other entities and event types with nothing queued', () => {
    expect(toEvents(body('company.provisioned', { entity_type: 'Company' }))).toEqual([]);
    expect(toEvents(body('payroll.paid', { entity_type: 'Payroll' }))).toEqual([]);
    expect(toEvents(body('employee.invited_to_partner_portal'))).toEqual([]);
  });

  it('reports a malformed body by its Gusto paths', () => {
    expect(
      issuePathsOf(() => toEvents(body('employee.updated', { uuid: 'has space', entity_uuid: '../x' }))),
    ).toEqual(['entity_uuid', 'uuid']);
  });

  it('recognises the verification POST as the handshake, and nothing else', () => {
    const verification = { verification_token: TOKEN, webhook_subscription_uuid: 'c5fdae57-5483' };
    expect(gustoSource.handshake?.(Buffer.from(JSON.stringify(verification)))).toEqual({
      registrationId: 'c5fdae57-5483',
      secret: TOKEN,
    });
    expect(gustoSource.handshake?.(Buffer.from(JSON.stringify({ verification_token: TOKEN })))).toEqual({
      registrationId: '',
      secret: TOKEN,
    });
    for (const other of [body('employee.updated'), { ...verification, event_type: 'x' }, 'not json', []]) {
      const raw = Buffer.from(typeof other === 'string' ? other : JSON.stringify(other));
      expect(gustoSource.handshake?.(raw)).toBeUndefined();
    }
  });
});

describe('Gusto over HTTP (the fake sends and signs as Gusto does)', () => {
  let fixture: IngestFixture;
  let handshakes: DynamoHandshakeStore;
  let dynamo: DynamoDBClient;
  const logged: string[] = [];
  beforeAll(async () => {
    const aws = motoClientConfig();
    const names = uniqueResourceNames('gusto-ingest');
    const resources = await provisionLocalResources(aws, { apiKey: 'unused', webhookSecrets: {}, names });
    dynamo = new DynamoDBClient(aws);
    handshakes = new DynamoHandshakeStore({
      client: dynamo,
      tableName: resources.stateTableName,
      retentionSeconds: 3600,
    });
    const line = (message: string, attributes: Record<string, unknown>) =>
      logged.push(JSON.stringify({ message, ...attributes }));
    fixture = await startIngestFixture(
      { gusto: [TOKEN] },
      { handshakes, logger: { debug: line, info: line, warn: line, error: line } },
    );
  });
  afterAll(async () => {
    await fixture.close();
    dynamo.destroy();
  });
  const url = () => `${fixture.server.url}/webhooks/gusto`;

  it('queues a details-pending change in the employee group with the event uuid as dedup id', async () => {
    const event = gustoEmployeeEvent('employee.updated', 'e-1');
    const response = await sendGustoWebhook(url(), TOKEN, event);
    expect(response.status).toBe(202);
    const [message, ...rest] = await drainQueue(fixture.sqs, fixture.queueUrl);
    expect(rest).toEqual([]);
    expect(message?.groupId).toBe('default:e-1');
    expect(JSON.parse(message?.body ?? '{}')).toMatchObject({ id: event.uuid, detailsfrom: 'gusto' });
  });

  it('answers the unsigned verification POST 200, keeps the token for the operator and never logs it', async () => {
    const token = 'f2a4c6e8-0000-4000-8000-verification';
    const response = await fetch(url(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ verification_token: token, webhook_subscription_uuid: 'sub-1' }),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).not.toContain(token);
    expect(await handshakes.find('gusto', 'default', 'sub-1')).toMatchObject({
      secret: token,
      tenant: 'default',
    });
    expect(logged.some((line) => line.includes('sub-1'))).toBe(true);
    expect(logged.join('\n')).not.toContain(token);
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });
});
