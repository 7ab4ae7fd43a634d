import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchOp, type ScimFixture, scimUser, startScimFixture } from '../../support/scim-fixture.js';

let scim: ScimFixture;

beforeAll(async () => {
  scim = await startScimFixture();
});
afterAll(() => scim.close());

const unique = (name: string) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;

describe('concurrent creates of one userName', () => {
  it('let exactly one win: one 201, the others 409, one event', async () => {
    const userName = unique('race');
    const [first, second] = await Promise.all([
      scim.request('POST', '/Users', scimUser(userName)),
      scim.request('POST', '/Users', scimUser(userName.toUpperCase())),
    ]);
    expect([first?.status, second?.status].sort()).toEqual([201, 409]);
    expect(await scim.events()).toHaveLength(1);

    const crowd = unique('crowd');
    const answers = await Promise.all(
      Array.from({ length: 6 }, () => scim.request('POST', '/Users', scimUser(crowd))),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 409, 409, 409, 409, 409]);
    const events = await scim.events();
    expect(events).toHaveLength(1);
    expect(events[0]?.subject).toBe(answers.find((answer) => answer.status === 201)?.json.id);
  });
});

describe('a queue failure after the change is stored', () => {
  it.each(['before-send', 'after-send'] as const)(
    'answers 503 to a create (%s), and its retry answers 201 for the same user with one event',
    async (when) => {
      const userName = unique('outage');
      scim.queue.fail(1, when);
      const failed = await scim.request('POST', '/Users', scimUser(userName));
      expect(failed.status).toBe(503);
      expect(failed.json).toMatchObject({ status: '503' });

      const retried = await scim.request('POST', '/Users', scimUser(userName));
      expect(retried.status).toBe(201);
      const id = String(retried.json.id);
      const events = await scim.events();
      expect(events.map((event) => [event.type, event.id])).toEqual([['employee.hired', `scim-${id}-1`]]);
      expect(await scim.storedItem(id)).not.toHaveProperty('pending');
    },
  );

  it('keeps the event in the outbox until the retry of a PATCH queues it, once', async () => {
    const created = await scim.request('POST', '/Users', scimUser(unique('patch')));
    const id = String(created.json.id);
    await scim.events();
    const rename = patchOp({ op: 'replace', path: 'name.familyName', value: 'Byron' });

    scim.queue.fail(1, 'before-send');
    expect((await scim.request('PATCH', `/Users/${id}`, rename)).status).toBe(503);
    const stored = await scim.storedItem(id);
    expect(stored).toMatchObject({ version: 2, stalled: true });
    expect(JSON.parse(String(stored?.pending))).toMatchObject([
      { id: `scim-${id}-2`, type: 'employee.changed' },
    ]);
    expect(await scim.events()).toEqual([]);

    const retried = await scim.request('PATCH', `/Users/${id}`, rename);
    expect(retried.status).toBe(200);
    expect(retried.headers.get('etag')).toBe('W/"2"');
    expect((await scim.events()).map((event) => event.id)).toEqual([`scim-${id}-2`]);
  });

  it('is finished by the next request for that user, so a change is never stuck behind it', async () => {
    const created = await scim.request('POST', '/Users', scimUser(unique('next')));
    const id = String(created.json.id);
    await scim.events();
    scim.queue.fail(1, 'before-send');
    const deactivate = patchOp({ op: 'replace', value: { active: false } });
    expect((await scim.request('PATCH', `/Users/${id}`, deactivate)).status).toBe(503);
    expect(await scim.events()).toEqual([]);

    expect((await scim.request('GET', `/Users/${id}`)).json.active).toBe(false);
    expect((await scim.events()).map((event) => event.id)).toEqual([`scim-${id}-2`]);
    expect((await scim.request('PATCH', `/Users/${id}`, deactivate)).headers.get('etag')).toBe('W/"2"');
    const reactivate = patchOp({ op: 'replace', path: 'active', value: true });
    expect((await scim.request('PATCH', `/Users/${id}`, reactivate)).status).toBe(200);
    expect((await scim.events()).map((event) => [event.type, event.id])).toEqual([
      ['employee.hired', `scim-${id}-3`],
    ]);
  });

  it('answers 503 to a DELETE, and its retry answers 204 with one termination', async () => {
    const created = await scim.request('POST', '/Users', scimUser(unique('delete')));
    const id = String(created.json.id);
    await scim.events();
    scim.queue.fail(2, 'before-send');
    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(503);
    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(503);
    expect((await scim.request('GET', `/Users/${id}`)).status).toBe(404);
    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(404);
    expect((await scim.events()).map((event) => [event.type, event.id])).toEqual([
      ['employee.terminated', `scim-${id}-2`],
    ]);
  });
});
