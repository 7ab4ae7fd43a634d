import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SCIM_BODY_BYTES } from '../../../lambdas/scim/http.js';
import {
  newScimToken,
  patchOp,
  type ScimFixture,
  scimUser,
  startScimFixture,
} from '../../support/scim-fixture.js';

const CORE = 'urn:ietf:params:scim:schemas:core:2.0:User';
const VOIP = 'urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2.0:User';
const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

const previousToken = newScimToken();
let scim: ScimFixture;

beforeAll(async () => {
  scim = await startScimFixture({ previousToken });
});
afterAll(() => scim.close());

const unique = (name: string) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;

/** Creates a user and drains its event, so each test reads only the events it caused. */
async function createUser(overrides: Record<string, unknown> = {}, userName = unique('user')) {
  const response = await scim.request('POST', '/Users', scimUser(userName, overrides));
  expect(response.status).toBe(201);
  await scim.events();
  return { id: String(response.json.id), userName, response };
}

function expectScimError(
  response: { status: number; headers: Headers; json: Record<string, unknown> },
  status: number,
  scimType?: string,
) {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toBe('application/scim+json');
  expect(response.json).toMatchObject({ schemas: [ERROR], status: String(status) });
  expect(response.json.scimType).toBe(scimType);
}

describe('authentication', () => {
  it('answers 401 without a token and with a wrong one, and accepts both tokens during a rotation', async () => {
    const none = await fetch(`${scim.baseUrl}/Users`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.json()).toMatchObject({ schemas: [ERROR], status: '401' });
    const wrong = await scim.request('GET', '/Users', undefined, {
      authorization: `Bearer ${newScimToken()}`,
    });
    expectScimError(wrong, 401);
    const basic = await scim.request('GET', '/ServiceProviderConfig', undefined, {
      authorization: 'Basic eDp5',
    });
    expectScimError(basic, 401);
    const previous = await scim.request('GET', '/ServiceProviderConfig', undefined, {
      authorization: `Bearer ${previousToken}`,
    });
    expect(previous.status).toBe(200);
  });
});

describe('discovery', () => {
  it('describes what is supported in /ServiceProviderConfig', async () => {
    const response = await scim.request('GET', '/ServiceProviderConfig');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/scim+json');
    expect(response.json).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: false },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken' }],
      meta: { location: `${scim.baseUrl}/ServiceProviderConfig` },
    });
  });

  it('lists User as the only resource type, with the VoIP extension', async () => {
    const list = await scim.request('GET', '/ResourceTypes');
    expect(list.json).toMatchObject({ totalResults: 1, Resources: [{ id: 'User', endpoint: '/Users' }] });
    const user = await scim.request('GET', '/ResourceTypes/User');
    expect(user.json).toMatchObject({ schema: CORE, schemaExtensions: [{ schema: VOIP, required: false }] });
    expectScimError(await scim.request('GET', '/ResourceTypes/Group'), 404);
  });

  it('serves the core User and the extension schema, provisioning read-only', async () => {
    const list = await scim.request('GET', '/Schemas');
    expect((list.json.Resources as { id: string }[]).map((schema) => schema.id)).toEqual([CORE, VOIP]);
    const extension = await scim.request('GET', `/Schemas/${encodeURIComponent(VOIP)}`);
    const attributes = extension.json.attributes as { name: string; mutability: string }[];
    expect(attributes.find((attribute) => attribute.name === 'provisioning')?.mutability).toBe('readOnly');
    expect(attributes.map((attribute) => attribute.name)).toEqual(['extension', 'provisioning']);
  });

  it('answers Groups, unknown routes and wrong methods with SCIM errors', async () => {
    expectScimError(await scim.request('GET', '/Groups'), 404);
    expectScimError(await scim.request('POST', '/Groups', { displayName: 'x' }), 404);
    expectScimError(await scim.request('GET', '/Bulk'), 404);
    const wrongMethod = await scim.request('DELETE', '/ServiceProviderConfig');
    expectScimError(wrongMethod, 405);
    expect(wrongMethod.headers.get('allow')).toBe('GET');
  });
});

describe('POST /Users', () => {
  it('answers 201 with id, Location, ETag and meta, accepting application/json', async () => {
    const userName = unique('post');
    const response = await scim.request('POST', '/Users', scimUser(userName), {
      'content-type': 'application/json',
    });
    expect(response.status).toBe(201);
    const id = String(response.json.id);
    const meta = response.json.meta as Record<string, string>;
    expect(response.headers.get('location')).toBe(`${scim.baseUrl}/Users/${id}`);
    expect(response.headers.get('etag')).toBe('W/"1"');
    expect(meta).toEqual({
      resourceType: 'User',
      created: meta.created,
      lastModified: meta.created,
      location: `${scim.baseUrl}/Users/${id}`,
      version: 'W/"1"',
    });
    expect(response.json).toMatchObject({
      schemas: [CORE, VOIP],
      userName,
      active: true,
      [VOIP]: { provisioning: { status: 'pending', eventId: `scim-${id}-1` } },
    });
    await scim.events();
  });

  it('answers 409 uniqueness for a userName taken, whatever its case', async () => {
    const { userName } = await createUser();
    expectScimError(
      await scim.request('POST', '/Users', scimUser(userName.toUpperCase())),
      409,
      'uniqueness',
    );
    expect(await scim.events()).toEqual([]);
  });

  it('answers 400 for what cannot be a VoIP user, naming the attribute', async () => {
    const noName = await scim.request('POST', '/Users', scimUser(unique('x'), { name: undefined }));
    expectScimError(noName, 400, 'invalidValue');
    expect(noName.json.detail).toMatch(/^name\.givenName/);
    const bell = await scim.request(
      'POST',
      '/Users',
      scimUser(unique('x'), { name: { givenName: 'Ad\u0007a' } }),
    );
    expectScimError(bell, 400, 'invalidValue');
    expect(bell.json.detail).toContain('name.givenName: must not contain control');
    const zone = await scim.request('POST', '/Users', scimUser(unique('x'), { timezone: 'Mars/Olympus' }));
    expectScimError(zone, 400, 'invalidValue');
    expect(zone.json.detail).toMatch(/^timezone:/);
    const phone = await scim.request(
      'POST',
      '/Users',
      scimUser(unique('x'), { phoneNumbers: [{ type: 'work', value: 'ext. 12' }] }),
    );
    expect(phone.json.detail).toMatch(/^phoneNumbers\[type eq "work"\]\.value:/);
    expectScimError(await scim.request('POST', '/Users', { schemas: [CORE] }), 400, 'invalidValue');
    expectScimError(
      await scim.request('POST', '/Users', scimUser(unique('x'), { active: 'maybe' })),
      400,
      'invalidValue',
    );
    expect(await scim.events()).toEqual([]);
  });

  it('answers 400 invalidSyntax for a body that is not JSON, 415 for one that is not JSON typed, 413 past the limit', async () => {
    expectScimError(await scim.request('POST', '/Users', '{"userName":'), 400, 'invalidSyntax');
    expectScimError(
      await scim.request('POST', '/Users', 'userName=x', { 'content-type': 'text/plain' }),
      415,
    );
    const large = scimUser(unique('large'), { displayName: 'x'.repeat(MAX_SCIM_BODY_BYTES) });
    expectScimError(await scim.request('POST', '/Users', large), 413);
  });
});

describe('GET /Users/{id}', () => {
  it('answers the stored user, with attribute selection, and 404 for an unknown id', async () => {
    const { id, userName } = await createUser({ externalId: 'ext-get' });
    const response = await scim.request('GET', `/Users/${id}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('W/"1"');
    expect(response.json).toMatchObject({ id, userName, externalId: 'ext-get' });

    const selected = await scim.request('GET', `/Users/${id}?attributes=userName,name.givenName`);
    expect(selected.json).toEqual({ schemas: [CORE, VOIP], id, userName, name: { givenName: 'Ada' } });
    const excluded = await scim.request('GET', `/Users/${id}?excludedAttributes=emails,meta,${VOIP}`);
    expect(Object.keys(excluded.json).sort()).toEqual([
      'active',
      'externalId',
      'id',
      'name',
      'schemas',
      'userName',
    ]);

    expectScimError(await scim.request('GET', `/Users/${crypto.randomUUID()}`), 404);
  });
});

describe('GET /Users', () => {
  it('filters with eq and and on userName (case-insensitive), externalId, id and the work email', async () => {
    const externalId = `ext-${crypto.randomUUID()}`;
    const { id, userName } = await createUser({ externalId });
    const total = async (filter: string) => {
      const response = await scim.request('GET', `/Users?filter=${encodeURIComponent(filter)}`);
      expect(response.status).toBe(200);
      return (response.json as { totalResults: number }).totalResults;
    };
    expect(await total(`userName eq "${userName.toUpperCase()}"`)).toBe(1);
    expect(await total(`externalId eq "${externalId}"`)).toBe(1);
    expect(await total(`externalId eq "${externalId.toUpperCase()}"`)).toBe(0);
    expect(await total(`id eq "${id}"`)).toBe(1);
    expect(await total(`emails[type eq "work"].value eq "${userName.toUpperCase()}"`)).toBe(1);
    expect(await total(`userName eq "${userName}" and externalId eq "${externalId}"`)).toBe(1);
    expect(await total(`userName eq "${userName}" and externalId eq "other"`)).toBe(0);
    expect(await total(`${CORE}:userName eq "${userName}"`)).toBe(1);
    expect(await total('userName eq "nobody@example.com"')).toBe(0);
  });

  it('answers 400 invalidFilter for a filter it cannot parse', async () => {
    expectScimError(
      await scim.request('GET', `/Users?filter=${encodeURIComponent('userName eq')}`),
      400,
      'invalidFilter',
    );
    expectScimError(await scim.request('GET', '/Users?count=many'), 400, 'invalidValue');
  });

  it('pages with startIndex and count, totalResults counting every match', async () => {
    const marker = `page-${crypto.randomUUID()}`;
    for (let index = 0; index < 3; index += 1) await createUser({ displayName: marker });
    const filter = encodeURIComponent(`displayName eq "${marker}"`);
    const first = await scim.request('GET', `/Users?filter=${filter}&startIndex=1&count=2`);
    expect(first.json).toMatchObject({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 3,
      startIndex: 1,
      itemsPerPage: 2,
    });
    const last = await scim.request('GET', `/Users?filter=${filter}&startIndex=3&count=2`);
    expect(last.json).toMatchObject({ totalResults: 3, startIndex: 3, itemsPerPage: 1 });
    const ids = [...(first.json.Resources as { id: string }[]), ...(last.json.Resources as { id: string }[])];
    expect(new Set(ids.map((user) => user.id)).size).toBe(3);
    const none = await scim.request('GET', `/Users?filter=${filter}&count=0`);
    expect(none.json).toMatchObject({ totalResults: 3, itemsPerPage: 0, Resources: [] });
    const unfiltered = await scim.request('GET', '/Users?count=1&attributes=userName');
    expect((unfiltered.json.totalResults as number) >= 3).toBe(true);
    expect(Object.keys((unfiltered.json.Resources as object[])[0] ?? {}).sort()).toEqual([
      'id',
      'schemas',
      'userName',
    ]);
  });

  it('searches by POST /Users/.search', async () => {
    const { id, userName } = await createUser();
    const response = await scim.request('POST', '/Users/.search', {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'],
      filter: `userName eq "${userName}"`,
      attributes: ['userName'],
    });
    expect(response.json).toMatchObject({ totalResults: 1, Resources: [{ id, userName }] });
    expectScimError(await scim.request('POST', '/Users/.search', { filter: 'x' }), 400, 'invalidSyntax');
  });
});

describe('PUT /Users/{id}', () => {
  it('replaces the whole resource: a missing optional attribute is removed, active is kept', async () => {
    const { id, userName } = await createUser({ displayName: 'Ada L', timezone: 'Europe/London' });
    const response = await scim.request('PUT', `/Users/${id}`, {
      schemas: [CORE],
      userName,
      name: { givenName: 'Ada', familyName: 'Byron' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('etag')).toBe('W/"2"');
    expect(response.json).not.toHaveProperty('displayName');
    expect(response.json).not.toHaveProperty('timezone');
    expect(response.json).toMatchObject({ active: true, name: { givenName: 'Ada', familyName: 'Byron' } });
    const [changed] = await scim.events();
    expect(changed).toMatchObject({
      type: 'employee.changed',
      data: { lastName: 'Byron', workEmail: userName },
    });
    expect(changed?.data).not.toHaveProperty('timezone');
  });

  it('makes no new version (and no event) when nothing changes, and honours If-Match', async () => {
    const { id, userName, response } = await createUser();
    const { meta: _meta, id: _id, ...body } = response.json;
    const same = await scim.request('PUT', `/Users/${id}`, body);
    expect(same.headers.get('etag')).toBe('W/"1"');
    expect(await scim.events()).toEqual([]);
    const stale = await scim.request('PUT', `/Users/${id}`, scimUser(userName, { displayName: 'x' }), {
      'if-match': 'W/"7"',
    });
    expectScimError(stale, 412);
    const current = await scim.request('PUT', `/Users/${id}`, scimUser(userName, { displayName: 'x' }), {
      'if-match': 'W/"1"',
    });
    expect(current.headers.get('etag')).toBe('W/"2"');
  });

  it('answers 409 when renaming onto a taken userName, and frees the old one on a rename', async () => {
    const first = await createUser();
    const second = await createUser();
    expectScimError(
      await scim.request('PUT', `/Users/${second.id}`, scimUser(first.userName)),
      409,
      'uniqueness',
    );
    const renamed = unique('renamed');
    expect((await scim.request('PUT', `/Users/${second.id}`, scimUser(renamed))).status).toBe(200);
    expect((await scim.request('POST', '/Users', scimUser(second.userName))).status).toBe(201);
    await scim.events();
  });
});

describe('PATCH /Users/{id}', () => {
  it('adds, replaces and removes with paths, value-filter paths and without a path; a replace that matches nothing adds', async () => {
    const { id } = await createUser();
    const response = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patchOp(
        { op: 'add', path: 'phoneNumbers[type eq "work"].value', value: '+14155550100' },
        { op: 'replace', path: 'emails[type eq "work"].value', value: 'new.address@example.com' },
        { op: 'Add', value: { displayName: 'Ada', [`${VOIP}:extension`]: '4321' } },
        { op: 'remove', path: 'name.familyName' },
        { op: 'add', path: 'name.familyName', value: 'King' },
      ),
    );
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      phoneNumbers: [{ type: 'work', value: '+14155550100' }],
      emails: [{ type: 'work', value: 'new.address@example.com' }],
      displayName: 'Ada',
      name: { givenName: 'Ada', familyName: 'King' },
      [VOIP]: { extension: '4321' },
    });
    const lenient = await scim.request(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'replace', path: 'emails[type eq "home"].value', value: 'home@example.com' }),
    );
    expect(lenient.json.emails).toContainEqual({ type: 'home', value: 'home@example.com' });
    const [changed] = await scim.events();
    expect(changed?.data).toMatchObject({
      workEmail: 'new.address@example.com',
      externalCallerId: '+14155550100',
      extension: '4321',
      lastName: 'King',
    });
  });

  it('refuses read-only targets, bad operations and missing targets with the right scimType', async () => {
    const { id } = await createUser();
    const patch = (...operations: Record<string, unknown>[]) =>
      scim.request('PATCH', `/Users/${id}`, patchOp(...operations));
    expectScimError(await patch({ op: 'replace', path: 'id', value: 'mine' }), 400, 'mutability');
    expectScimError(
      await patch({ op: 'replace', path: `${VOIP}:provisioning.status`, value: 'x' }),
      400,
      'mutability',
    );
    expectScimError(await patch({ op: 'move', path: 'userName', value: 'x' }), 400, 'invalidSyntax');
    expectScimError(await patch({ op: 'remove' }), 400, 'noTarget');
    expectScimError(await patch({ op: 'remove', path: 'userName' }), 400, 'invalidValue');
    expectScimError(await patch({ op: 'replace', path: 'active', value: 'maybe' }), 400, 'invalidValue');
    expectScimError(await scim.request('PATCH', `/Users/${id}`, { Operations: [] }), 400, 'invalidSyntax');
    expectScimError(
      await scim.request('PATCH', `/Users/${crypto.randomUUID()}`, patchOp({ op: 'remove', path: 'x' })),
      404,
    );
    expect(await scim.events()).toEqual([]);
  });
});

describe('DELETE /Users/{id}', () => {
  it('answers 204, then 404 for the user, and frees its userName', async () => {
    const { id, userName } = await createUser();
    expectScimError(await scim.request('DELETE', `/Users/${id}`, undefined, { 'if-match': 'W/"9"' }), 412);
    const deleted = await scim.request('DELETE', `/Users/${id}`, undefined, { 'if-match': 'W/"1"' });
    expect(deleted.status).toBe(204);
    expect(await scim.events()).toMatchObject([{ type: 'employee.terminated', data: { employeeId: id } }]);
    expectScimError(await scim.request('GET', `/Users/${id}`), 404);
    expectScimError(await scim.request('DELETE', `/Users/${id}`), 404);
    expectScimError(
      await scim.request('PATCH', `/Users/${id}`, patchOp({ op: 'remove', path: 'displayName' })),
      404,
    );
    const filtered = await scim.request(
      'GET',
      `/Users?filter=${encodeURIComponent(`userName eq "${userName}"`)}`,
    );
    expect(filtered.json.totalResults).toBe(0);
    const again = await scim.request('POST', '/Users', scimUser(userName));
    expect(again.status).toBe(201);
    expect(again.json.id).not.toBe(id);
    await scim.events();
  });
});

describe('paths', () => {
  it('decode escaped segments and answer 404 for a malformed escape', async () => {
    expect(
      (await scim.request('GET', '/Schemas/urn%3Aietf%3Aparams%3Ascim%3Aschemas%3Acore%3A2.0%3AUser')).status,
    ).toBe(200);
    expectScimError(await scim.request('GET', '/Users/%E0%A4%A'), 404);
  });
});
