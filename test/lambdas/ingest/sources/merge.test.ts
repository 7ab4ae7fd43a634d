import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toQueueMessage } from '../../../../lambdas/core/events/lifecycle-event.js';
import { WebhookVerificationError } from '../../../../lambdas/ingest/errors.js';
import { mergeDedupId, mergeSource, signMergeWebhook } from '../../../../lambdas/ingest/sources/merge.js';
import { drainQueue, type IngestFixture, post, startIngestFixture } from '../../../support/ingest-fixture.js';
import { issuePathsOf } from '../../../support/issue-paths.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const KEY = 'merge-test-signature-key';

function mergeWebhook(event: string, data: Record<string, unknown>) {
  return {
    hook: { id: 'hook-1', event, target: 'https://example.invalid/webhooks/merge' },
    linked_account: {
      id: 'la-7f3c',
      integration: 'BambooHR',
      integration_slug: 'bamboohr',
      category: 'hris',
    },
    data: {
      id: 'a1b2c3',
      remote_id: '19202938',
      first_name: 'Greg',
      last_name: 'Hirsch',
      work_email: 'greg@merge.dev',
      employment_status: 'ACTIVE',
      termination_date: null,
      remote_was_deleted: false,
      modified_at: '2026-11-20T08:30:00Z',
      ...data,
    },
  };
}

const toEvents = (body: unknown) => mergeSource.toEvents(body, NOW);

describe('Merge mapping', () => {
  it('maps Employee.added of an active or pending employee to employee.hired', () => {
    for (const status of ['ACTIVE', 'PENDING']) {
      const [event] = toEvents(mergeWebhook('Employee.added', { employment_status: status }));
      expect(event).toMatchObject({
        type: 'employee.hired',
        id: mergeDedupId('Employee.added', 'a1b2c3', '2026-11-20T08:30:00Z'),
        source: 'merge/bamboohr',
        subject: 'a1b2c3',
        time: '2026-11-20T08:30:00Z',
        data: { employeeId: 'a1b2c3', workEmail: 'greg@merge.dev', firstName: 'Greg', lastName: 'Hirsch' },
      });
    }
  });

  it('maps Employee.changed of an active employee to employee.changed', () => {
    expect(toEvents(mergeWebhook('Employee.changed', { last_name: 'Roy' }))[0]).toMatchObject({
      type: 'employee.changed',
      data: { lastName: 'Roy' },
    });
  });

  it('maps INACTIVE, Employee.removed and remote_was_deleted to employee.terminated', () => {
    const cases = [
      mergeWebhook('Employee.changed', { employment_status: 'INACTIVE' }),
      mergeWebhook('Employee.removed', {}),
      mergeWebhook('Employee.changed', { remote_was_deleted: true }),
    ];
    for (const body of cases) expect(toEvents(body)[0]?.type).toBe('employee.terminated');
  });

  it('terminates now on a termination_date that has passed', () => {
    for (const past of ['2026-11-01T00:00:00Z', '2026-11-22', '2026-11-22T09:00:00+01:00']) {
      const events = toEvents(mergeWebhook('Employee.changed', { termination_date: past }));
      expect(events.map((event) => event.type)).toEqual(['employee.terminated']);
      expect(events[0]).not.toHaveProperty('data.effectiveAt');
    }
  });

  it('on a future termination_date sends the change, then the termination effective at that instant', () => {
    const eventsFor = (event: string, date: string) =>
      toEvents(mergeWebhook(event, { termination_date: date }));
    const [change, termination] = eventsFor('Employee.changed', '2026-12-01');
    expect(change).toMatchObject({ type: 'employee.changed', data: { lastName: 'Hirsch' } });
    expect(change).not.toHaveProperty('data.effectiveAt');
    // A bare date takes effect at 00:00 UTC of that date; a date-time keeps its own offset.
    expect(termination).toMatchObject({
      type: 'employee.terminated',
      time: change?.time,
      data: { employeeId: 'a1b2c3', effectiveAt: '2026-12-01T00:00:00.000Z' },
    });
    expect(termination?.id).not.toBe(change?.id);
    expect(eventsFor('Employee.changed', '2026-11-23T08:00:00-05:00')[1]?.data.effectiveAt).toBe(
      '2026-11-23T13:00:00.000Z',
    );
    // A fixed-term hire is provisioned now and deprovisioned at its end date.
    expect(eventsFor('Employee.added', '2027-06-30').map((event) => event.type)).toEqual([
      'employee.hired',
      'employee.terminated',
    ]);
  });

  it('an INACTIVE status terminates now even with a future termination_date', () => {
    const [event] = toEvents(
      mergeWebhook('Employee.changed', { employment_status: 'INACTIVE', termination_date: '2099-01-01' }),
    );
    expect(event?.type).toBe('employee.terminated');
    expect(event).not.toHaveProperty('data.effectiveAt');
  });

  it('terminates with only the id when the name and email are gone', () => {
    const [event] = toEvents(
      mergeWebhook('Employee.removed', { work_email: null, first_name: null, last_name: null }),
    );
    expect(event).toMatchObject({ type: 'employee.terminated', data: { employeeId: 'a1b2c3' } });
    expect(event?.data).toEqual({ employeeId: 'a1b2c3' });
  });

  it('gives the same change the same id, and a later change a new one', () => {
    const body = mergeWebhook('Employee.changed', {});
    expect(toEvents(body)[0]?.id).toBe(toEvents(structuredClone(body))[0]?.id);
    expect(
      toEvents(mergeWebhook('Employee.changed', { modified_at: '2026-11-21T08:30:00Z' }))[0]?.id,
    ).not.toBe(toEvents(body)[0]?.id);
  });

  it('acknowledges events other than Employee.* without producing events', () => {
    expect(toEvents({ ...mergeWebhook('Employment.changed', {}), data: { id: 'x' } })).toEqual([]);
  });

  it('reports every missing or wrong field with the Merge field path', () => {
    const issuesOf = (body: unknown) => issuePathsOf(() => toEvents(body));
    expect(issuesOf(mergeWebhook('Employee.added', { work_email: null, first_name: '' }))).toEqual([
      'data.first_name',
      'data.work_email',
    ]);
    expect(issuesOf(mergeWebhook('Employee.changed', { work_email: 'not-an-email' }))).toEqual([
      'data.work_email',
    ]);
    expect(
      issuesOf(mergeWebhook('Employee.changed', { modified_at: 'yesterday', employment_status: 'GONE' })),
    ).toEqual(['data.employment_status', 'data.modified_at']);
    expect(issuesOf({ hook: {}, data: {} })).toEqual(['hook.event', 'linked_account']);
  });
});

describe('Merge signature', () => {
  const body = Buffer.from(JSON.stringify(mergeWebhook('Employee.added', {})));
  const verify = (signature: string | undefined, keys = [KEY]) =>
    mergeSource.verify(body, { 'x-merge-webhook-signature': signature }, keys, NOW);

  it('accepts base64url with and without padding, with any current key', () => {
    const unpadded = signMergeWebhook(KEY, body);
    expect(unpadded).not.toContain('=');
    expect(() => verify(unpadded)).not.toThrow();
    expect(() => verify(`${unpadded}=`)).not.toThrow();
    expect(() => verify(unpadded, ['old-key', KEY])).not.toThrow();
  });

  it('rejects a missing, wrong, standard-base64 or truncated signature', () => {
    const good = signMergeWebhook(KEY, body);
    for (const bad of [undefined, '', signMergeWebhook('other', body), `${good.slice(0, -2)}`, '+/+/']) {
      expect(() => verify(bad), String(bad)).toThrow(WebhookVerificationError);
    }
  });
});

describe('Merge over HTTP onto the FIFO queue', () => {
  let fixture: IngestFixture;
  beforeAll(async () => {
    fixture = await startIngestFixture({ merge: [KEY] });
  });
  afterAll(() => fixture.close());

  const send = (body: unknown, key = KEY) => {
    const raw = JSON.stringify(body);
    return post(`${fixture.server.url}/webhooks/merge`, raw, {
      'X-Merge-Webhook-Signature': signMergeWebhook(key, raw),
    });
  };

  it('answers 422 naming the Merge field when a name carries control characters', async () => {
    const response = await send(mergeWebhook('Employee.added', { id: 'm-ctl', last_name: 'Bell\u001b[2J' }));
    expect(response).toMatchObject({ status: 422, json: { issues: [{ path: 'data.last_name' }] } });
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });

  it('queues each mapping in the employee group of the default tenant (no linked account is mapped), once per change', async () => {
    const bodies = [
      mergeWebhook('Employee.added', { id: 'm-1' }),
      mergeWebhook('Employee.changed', { id: 'm-2', termination_date: '2099-01-01T00:00:00Z' }),
      mergeWebhook('Employee.changed', { id: 'm-3', employment_status: 'INACTIVE' }),
      mergeWebhook('Employee.removed', { id: 'm-4' }),
    ];
    const accepted: string[] = [];
    for (const body of bodies) {
      const response = await send(body);
      expect(response.status).toBe(202);
      accepted.push(...(response.json.accepted as string[]));
    }
    // Merge retries a delivery it thinks failed: same body, same dedup id, not queued twice.
    expect((await send(bodies[0])).json.accepted).toEqual([accepted[0]]);

    const messages = await drainQueue(fixture.sqs, fixture.queueUrl);
    expect(messages).toHaveLength(5);
    const typesOf = (id: string) =>
      messages
        .map((message) => JSON.parse(message.body) as { subject: string; type: string })
        .filter((event) => event.subject === id)
        .map((event) => event.type);
    expect(['m-1', 'm-2', 'm-3', 'm-4'].map(typesOf)).toEqual([
      ['employee.hired'],
      // The change, then (in the same group, in order) the termination scheduled for 2099.
      ['employee.changed', 'employee.terminated'],
      ['employee.terminated'],
      ['employee.terminated'],
    ]);
    for (const message of messages) {
      const event = JSON.parse(message.body);
      expect(event.tenant).toBe('default');
      expect(message.groupId).toBe(`default:${event.subject}`);
      expect(message.dedupId).toBe(toQueueMessage(event).MessageDeduplicationId);
    }
  });

  it('answers 401 to a wrong key, 422 with fields to an incomplete hire, 202 [] to other events', async () => {
    expect((await send(mergeWebhook('Employee.added', {}), 'wrong-key')).status).toBe(401);
    const invalid = await send(mergeWebhook('Employee.added', { work_email: null }));
    expect(invalid).toMatchObject({ status: 422, json: { issues: [{ path: 'data.work_email' }] } });
    const other = await send({ ...mergeWebhook('LinkedAccount.synced', {}), data: {} });
    expect(other).toMatchObject({ status: 202, json: { accepted: [] } });
    expect(await drainQueue(fixture.sqs, fixture.queueUrl)).toEqual([]);
  });
});
