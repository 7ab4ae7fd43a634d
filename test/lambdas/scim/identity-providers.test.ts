import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { patchOp, type ScimFixture, scimUser, startScimFixture } from '../../support/scim-fixture.js';

const VOIP = 'urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2.0:User';

let scim: ScimFixture;

beforeAll(async () => {
  scim = await startScimFixture();
});
afterAll(() => scim.close());

describe('an Entra ID provisioning cycle', () => {
  it('probes, creates, renames, deactivates, reactivates and deletes, each change one event in order', async () => {
    const userName = `ada.${crypto.randomUUID().slice(0, 8)}@example.com`;
    const probe = await scim.request(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
    );
    expect(probe.status).toBe(200);
    expect(probe.json).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await scim.request(
      'POST',
      '/Users',
      scimUser(userName, {
        externalId: 'entra-object-1',
        phoneNumbers: [{ type: 'work', value: '+44 20 7123 4567' }],
        [VOIP]: { extension: '1234' },
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Engineering' },
      }),
    );
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    expect(created.headers.get('location')).toBe(`${scim.baseUrl}/Users/${id}`);

    const renamed = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patchOp({
        op: 'Replace',
        value: {
          'name.givenName': 'Augusta',
          'name.familyName': 'King',
          'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department': 'Research',
        },
      }),
    );
    expect(renamed.status).toBe(200);
    expect(renamed.json.name).toEqual({ givenName: 'Augusta', familyName: 'King' });

    const deactivated = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    );
    expect(deactivated.status).toBe(200);
    expect(deactivated.json.active).toBe(false);

    const stillThere = await scim.request('GET', `/Users/${id}`);
    expect(stillThere.status).toBe(200);
    expect(stillThere.json).toMatchObject({ id, userName, active: false });

    const reactivated = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'Replace', path: 'active', value: 'True' }),
    );
    expect(reactivated.json.active).toBe(true);

    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(204);
    expect((await scim.request('GET', `/Users/${id}`)).status).toBe(404);

    const events = await scim.events();
    expect(events.map((event) => [event.type, event.id])).toEqual([
      ['employee.hired', `scim-${id}-1`],
      ['employee.changed', `scim-${id}-2`],
      ['employee.terminated', `scim-${id}-3`],
      ['employee.hired', `scim-${id}-4`],
      ['employee.terminated', `scim-${id}-5`],
    ]);
    expect(events.every((event) => event.subject === id && event.source === 'scim')).toBe(true);
    expect(events[0]?.data).toEqual({
      employeeId: id,
      workEmail: userName,
      firstName: 'Ada',
      lastName: 'Lovelace',
      extension: '1234',
      externalCallerId: '+442071234567',
    });
    expect(events[1]?.data).toMatchObject({ firstName: 'Augusta', lastName: 'King' });
    expect(events[3]?.data).toMatchObject({ firstName: 'Augusta', lastName: 'King' });
    const times = events.map((event) => Date.parse(event.time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(new Set(times).size).toBe(times.length);
  });
});

describe('an Okta provisioning cycle', () => {
  it('tests the connection, creates with a password, replaces by PUT and deactivates without a path', async () => {
    const connection = await scim.request('GET', '/Users?startIndex=1&count=2');
    expect(connection.status).toBe(200);
    expect(connection.json).toMatchObject({ startIndex: 1 });
    expect((connection.json.Resources as unknown[]).length).toBeLessThanOrEqual(2);

    const userName = `grace.${crypto.randomUUID().slice(0, 8)}@example.com`;
    const password = `Sup3r-${crypto.randomUUID()}`;
    const created = await scim.request(
      'POST',
      '/Users',
      scimUser(userName, { password, locale: 'en-US', name: { givenName: 'Grace', familyName: 'Hopper' } }),
    );
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    expect(created.json).not.toHaveProperty('password');
    expect(created.json).not.toHaveProperty('locale');
    const stored = await scim.storedItem(id);
    expect(JSON.stringify(stored)).not.toContain(password);
    expect(JSON.stringify(stored)).not.toContain('en-US');

    const replaced = await scim.request(
      'PUT',
      `/Users/${id}`,
      scimUser(userName, {
        id,
        password,
        name: { givenName: 'Grace', familyName: 'Murray Hopper' },
        timezone: 'America/New_York',
      }),
    );
    expect(replaced.status).toBe(200);
    expect(replaced.json).toMatchObject({ timezone: 'America/New_York', active: true });
    expect(JSON.stringify(await scim.storedItem(id))).not.toContain(password);

    const deactivated = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'replace', value: { active: false } }),
    );
    expect(deactivated.status).toBe(200);
    expect(deactivated.json.active).toBe(false);

    const events = await scim.events();
    expect(events.map((event) => event.type)).toEqual([
      'employee.hired',
      'employee.changed',
      'employee.terminated',
    ]);
    expect(events[1]?.data).toMatchObject({ lastName: 'Murray Hopper', timezone: 'America/New_York' });
    expect(JSON.stringify(events)).not.toContain(password);
    const logged = JSON.stringify(scim.logLines);
    expect(logged).toContain(id);
    for (const secret of [password, scim.token, userName, 'Hopper']) expect(logged).not.toContain(secret);
  });
});
