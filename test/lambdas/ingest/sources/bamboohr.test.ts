import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isDetailsPending } from '../../../../lambdas/core/events/details-pending-event.js';
import { laneFor } from '../../../../lambdas/core/events/lane.js';
import {
  bambooHrSource,
  signBambooHrWebhook,
  verifyBambooHrWebhook,
} from '../../../../lambdas/ingest/sources/bamboohr.js';
import { sendBambooHrWebhook } from '../../../../tools/fakes/bamboohr/server.js';
import { drainQueue, type IngestFixture, startIngestFixture } from '../../../support/ingest-fixture.js';
import { issuePathsOf } from '../../../support/issue-paths.js';
import { verificationFailureOf } from '../../../support/verification-failure.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const KEY = 'bamboohr-webhook-private-key';
const SECONDS = String(NOW.getTime() / 1000);

const eventBody = (type: string, employeeId: string | number = '42', changedFields = ['status']) => ({
  type,
  timestamp: '2026-11-22T11:59:58+00:00',
  data: { companyId: 7, employeeId, changedFields },
});
const globalBody = (...employees: { id: string; action: string; changedFields?: string[] }[]) => ({
  employees: employees.map((employee) => ({ fields: {}, ...employee })),
});

describe('BambooHR signature (hex HMAC-SHA256 over body + X-BambooHR-Timestamp)', () => {
  const raw = Buffer.from(JSON.stringify(eventBody('employee.updated')));
  const verify = (headers: Record<string, string>, body = raw, keys = [KEY], now = NOW) =>
    verifyBambooHrWebhook(body, headers, keys, now);
  const signed = (key = KEY, timestamp = SECONDS, body: Buffer = raw) => ({
    'x-bamboohr-timestamp': timestamp,
    'x-bamboohr-signature': signBambooHrWebhook(key, body, timestamp),
  });

  it('accepts a valid signature with any current key, in either hex case', () => {
    expect(() => verify(signed())).not.toThrow();
    expect(() => verify(signed(), raw, ['previous-key', KEY])).not.toThrow();
    const upper = signed();
    expect(() =>
      verify({ ...upper, 'x-bamboohr-signature': upper['x-bamboohr-signature'].toUpperCase() }),
    ).not.toThrow();
  });

  it('the MAC covers the body followed by the timestamp, not the body alone', () => {
    const bodyOnly = signBambooHrWebhook(KEY, raw, '');
    expect(
      verificationFailureOf(() =>
        verify({ 'x-bamboohr-timestamp': SECONDS, 'x-bamboohr-signature': bodyOnly }),
      ),
    ).toBe('no valid signature');
  });

  it('rejects a wrong secret, a tampered body, a tampered timestamp and missing headers', () => {
    expect(verificationFailureOf(() => verify(signed('another-key')))).toBe('no valid signature');
    expect(verificationFailureOf(() => verify(signed(), Buffer.from(`${raw.toString()} `)))).toBe(
      'no valid signature',
    );
    const moved = String(Number(SECONDS) - 1);
    expect(verificationFailureOf(() => verify({ ...signed(), 'x-bamboohr-timestamp': moved }))).toBe(
      'no valid signature',
    );
    expect(verificationFailureOf(() => verify({ 'x-bamboohr-timestamp': SECONDS }))).toBe(
      'missing signature header',
    );
    expect(verificationFailureOf(() => verify({ ...signed(), 'x-bamboohr-signature': 'zz' }))).toBe(
      'malformed signature header',
    );
  });

  it('rejects a timestamp older than 5 minutes, even correctly signed', () => {
    const stale = String(Number(SECONDS) - 301);
    expect(verificationFailureOf(() => verify(signed(KEY, stale)))).toBe('timestamp outside tolerance');
    expect(() => verify(signed(KEY, String(Number(SECONDS) - 299)))).not.toThrow();
  });
});

describe('BambooHR mapping', () => {
  const toEvents = (body: unknown, timestamp = SECONDS) =>
    bambooHrSource.toEvents(body, NOW, { 'x-bamboohr-timestamp': timestamp });

  it('event-based: created -> hire and updated -> change, both fetched from BambooHR; deleted -> termination', () => {
    const [hired] = toEvents(eventBody('employee.created', 42));
    expect(hired).toMatchObject({
      type: 'employee.hired',
      subject: '42',
      detailsfrom: 'bamboohr',
      data: { employeeId: '42', changedFields: ['status'] },
    });
    const [changed] = toEvents(eventBody('employee.updated'));
    expect(changed).toMatchObject({ type: 'employee.changed', detailsfrom: 'bamboohr' });
    // A status change may be a leaver: the priority lane, though the fetched record decides.
    expect(changed && laneFor(changed)).toBe('priority');
    const renamed = toEvents({
      ...eventBody('employee.updated'),
      data: { employeeId: '42', changedFields: ['firstName'] },
    });
    expect(renamed[0] && laneFor(renamed[0])).toBe('standard');
    expect(hired && laneFor(hired)).toBe('standard');
    const [deleted] = toEvents(eventBody('employee.deleted'));
    expect(deleted && isDetailsPending(deleted)).toBe(false);
    expect(deleted).toMatchObject({ type: 'employee.terminated', data: { employeeId: '42' } });
  });

  it('global webhooks: one event per employee entry, by action', () => {
    const events = toEvents(
      globalBody(
        { id: '1', action: 'Created' },
        { id: '2', action: 'Updated', changedFields: ['Status'] },
        { id: '3', action: 'Deleted' },
      ),
    );
    expect(events.map((event) => [event.subject, event.type])).toEqual([
      ['1', 'employee.hired'],
      ['2', 'employee.changed'],
      ['3', 'employee.terminated'],
    ]);
  });

  it('acknowledges event types it does not act on', () => {
    expect(toEvents(eventBody('employee.photo_uploaded'))).toEqual([]);
  });

  it('a retry of one delivery has the same id; another change has another', () => {
    const body = eventBody('employee.updated');
    expect(toEvents(body, '1')[0]?.id).toBe(toEvents(structuredClone(body), '2')[0]?.id);
    expect(toEvents({ ...body, timestamp: '2026-11-22T12:05:00+00:00' })[0]?.id).not.toBe(
      toEvents(body)[0]?.id,
    );
    const global = globalBody({ id: '2', action: 'Updated' });
    expect(toEvents(global, '100')[0]?.id).toBe(toEvents(global, '100')[0]?.id);
    expect(toEvents(global, '100')[0]?.id).not.toBe(toEvents(global, '200')[0]?.id);
  });

  it('reports a malformed body by its BambooHR paths', () => {
    expect(issuePathsOf(() => toEvents({ employees: [{ id: 'x y', action: 'Renamed' }] }))).toEqual([
      'employees.0.action',
      'employees.0.id',
    ]);
  });
});

describe('BambooHR over HTTP onto the FIFO queue (the fake sender signs as BambooHR does)', () => {
  let fixture: IngestFixture;
  beforeAll(async () => {
    fixture = await startIngestFixture({ bamboohr: [KEY] });
  });
  afterAll(() => fixture.close());
  const url = () => `${fixture.server.url}/webhooks/bamboohr`;
  const sentAt = () => new Date(fixture.clock.seconds * 1000);

  it('refuses a wrong key and a stale delivery with 401', async () => {
    expect((await sendBambooHrWebhook(url(), 'wrong', eventBody('employee.updated'), sentAt())).status).toBe(
      401,
    );
    const stale = new Date(sentAt().getTime() - 6 * 60_000);
    expect((await sendBambooHrWebhook(url(), KEY, eventBody('employee.updated'), stale)).status).toBe(401);
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });
});
