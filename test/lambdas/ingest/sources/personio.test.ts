import { describe, expect, it } from 'vitest';
import { isDetailsPending } from '../../../../lambdas/core/events/details-pending-event.js';
import { laneFor } from '../../../../lambdas/core/events/lane.js';
import { PERSONIO_EVENT_KINDS, personioSource } from '../../../../lambdas/ingest/sources/personio.js';
import { personioNotification } from '../../../../tools/fakes/personio/server.js';
import { issuePathsOf } from '../../../support/issue-paths.js';
import { verificationFailureOf } from '../../../support/verification-failure.js';

const NOW = new Date('2026-11-22T12:00:00Z');
const TOKEN = 'Bearer personio-webhook-token-0123456789abcdef';
const OCCURRED = new Date('2026-11-22T11:59:58Z');

const notification = (eventName: string, personId = '4711') =>
  personioNotification(eventName, personId, { occurredAt: OCCURRED });

describe('Personio webhook authentication (the configured token, verbatim, as Authorization)', () => {
  const raw = Buffer.from(JSON.stringify(notification('person.updated')));
  const verify = (headers: Record<string, string>, tokens = [TOKEN], body = raw) =>
    personioSource.verify(body, headers, tokens, NOW);

  it('accepts the exact token, with any current token (rotation)', () => {
    expect(() => verify({ authorization: TOKEN })).not.toThrow();
    expect(() => verify({ authorization: TOKEN }, ['Bearer previous-token', TOKEN])).not.toThrow();
  });

  it('rejects a wrong token, a tampered token, another prefix and a missing header', () => {
    expect(verificationFailureOf(() => verify({ authorization: 'Bearer another-token' }))).toBe(
      'no valid signature',
    );
    expect(verificationFailureOf(() => verify({ authorization: `${TOKEN.slice(0, -1)}0` }))).toBe(
      'no valid signature',
    );
    expect(verificationFailureOf(() => verify({ authorization: `${TOKEN} ` }))).toBe('no valid signature');
    expect(verificationFailureOf(() => verify({ authorization: TOKEN.replace('Bearer ', '') }))).toBe(
      'no valid signature',
    );
    expect(verificationFailureOf(() => verify({}))).toBe('missing signature header');
  });

  it('has nothing that goes stale and covers no body: Personio sends a static token, not a signature', () => {
    // A delivery days old (Personio retries for 3 days) still verifies; a changed body is not
    // detected by the token, so dedup and the fetched record, not the header, make it harmless.
    expect(() =>
      personioSource.verify(raw, { authorization: TOKEN }, [TOKEN], new Date(NOW.getTime() + 3 * 86_400_000)),
    ).not.toThrow();
    expect(() => verify({ authorization: TOKEN }, [TOKEN], Buffer.from(`${raw.toString()} `))).not.toThrow();
  });
});

describe('Personio mapping (dataless notifications: ids only)', () => {
  const toEvents = (body: unknown) => personioSource.toEvents(body, NOW);

  it('person.created -> hire and person.updated -> change, both fetched from Personio', () => {
    const [hired] = toEvents(notification('person.created'));
    expect(hired).toMatchObject({
      type: 'employee.hired',
      subject: '4711',
      detailsfrom: 'personio',
      source: 'personio',
      time: OCCURRED.toISOString(),
      data: { employeeId: '4711' },
    });
    const [changed] = toEvents(notification('person.updated'));
    expect(changed).toMatchObject({ type: 'employee.changed', detailsfrom: 'personio' });
  });

  it('person.deleted -> termination at once (nothing left to fetch)', () => {
    const [deleted] = toEvents(notification('person.deleted'));
    expect(deleted && isDetailsPending(deleted)).toBe(false);
    expect(deleted).toMatchObject({ type: 'employee.terminated', data: { employeeId: '4711' } });
  });

  it('employment events name the person: each is a details-pending event for that person', () => {
    for (const eventName of Object.keys(PERSONIO_EVENT_KINDS).filter((name) =>
      name.startsWith('employment.'),
    )) {
      const [event] = toEvents(notification(eventName, '99'));
      expect(event, eventName).toMatchObject({ subject: '99', detailsfrom: 'personio' });
    }
    expect(toEvents(notification('employment.started'))[0]?.type).toBe('employee.hired');
    // On the effective date; the fetched record (INACTIVE, or the date reached) makes it a termination.
    const [terminated] = toEvents(notification('employment.terminated'));
    expect(terminated?.type).toBe('employee.changed');
    expect(terminated && laneFor(terminated)).toBe('priority');
    const [updated] = toEvents(notification('employment.updated'));
    expect(updated && laneFor(updated)).toBe('standard');
    const personIdOnly = { ...notification('employment.updated'), payload: { id: 'e-1', person_id: 7 } };
    expect(toEvents(personIdOnly)[0]?.subject).toBe('7');
  });

  it('acknowledges events it does not act on', () => {
    expect(toEvents(notification('absence_period.created'))).toEqual([]);
    expect(toEvents(notification('document.signed'))).toEqual([]);
  });

  it('a retry of one notification has the same id; another notification has another', () => {
    const body = notification('person.updated');
    const id = toEvents(body)[0]?.id;
    expect(toEvents(structuredClone(body))[0]?.id).toBe(id);
    expect(toEvents({ ...body, occurred_at: '2026-11-22T12:05:00Z' })[0]?.id).not.toBe(id);
    expect(toEvents(notification('person.updated', '4712'))[0]?.id).not.toBe(id);
    expect(
      toEvents({ ...body, event_name: 'employment.updated', payload: { person: { id: '4711' } } })[0]?.id,
    ).not.toBe(id);
    expect(toEvents({ ...body, company_id: '999' })[0]?.id).not.toBe(id);
  });

  it('reports a malformed body by its Personio paths, and an employment event without its person', () => {
    const issuesOf = (body: unknown) => issuePathsOf(() => toEvents(body));
    expect(
      issuesOf({ event_name: 'person.updated', occurred_at: 'yesterday', payload: { id: 'a b' } }),
    ).toEqual(['company_id', 'occurred_at', 'payload.id']);
    expect(issuesOf({ ...notification('employment.updated'), payload: { id: 'e-1' } })).toEqual([
      'payload.person.id',
    ]);
  });
});
