import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CPAAS_ERROR_CODES } from '../../../lambdas/core/cpaas/errors.js';
import { DEFAULT_PAGE_SIZE } from '../../../tools/sandbox/index.js';
import { bodyOf, type SandboxHarness, startHarness, userInput } from './helpers.js';

let h: SandboxHarness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.sandbox.close();
});

describe('sandbox endpoints', () => {
  it('creates a user with a 32-alphanumeric id and returns it in the envelope with request ids', async () => {
    const response = await h.call('POST', h.usersUrl, userInput(1, { timezone: 'Europe/Paris' }));
    const body = await bodyOf(response);
    expect(response.status).toBe(200);
    expect(body.status_code).toBe(200);
    expect(body.data.id).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(body.data).toMatchObject(userInput(1, { timezone: 'Europe/Paris' }));
    expect(body.request_id).toBe(response.headers.get('x-request-id'));
    expect(h.sandbox.control.users()).toEqual([body.data]);
  });

  it('gets, replaces (PUT drops fields not sent, keeps id), impersonates and deletes a user', async () => {
    const created = await h.json('POST', h.usersUrl, userInput(1, { timezone: 'UTC', presence_id: '101' }));
    const id = created.body.data.id;
    expect((await h.json('GET', `${h.usersUrl}/${id}`)).body.data).toEqual(created.body.data);

    const updated = await h.json('PUT', `${h.usersUrl}/${id}`, userInput(2, { enabled: false }));
    expect(updated.status).toBe(200);
    expect(updated.body.data).toEqual({ ...userInput(2, { enabled: false }), id });
    const stored = h.sandbox.control.users()[0];
    expect(stored).not.toHaveProperty('timezone');
    expect(stored).not.toHaveProperty('presence_id');

    const token = await h.json('POST', `${h.usersUrl}/${id}/userauth`, { action: 'impersonate_user' });
    const again = await h.json('POST', `${h.usersUrl}/${id}/userauth`, { action: 'impersonate_user' });
    expect(token.status).toBe(200);
    expect(typeof token.body.data.auth_token).toBe('string');
    expect(token.body.data.auth_token).not.toBe(again.body.data.auth_token);

    const deleted = await h.json('DELETE', `${h.usersUrl}/${id}`);
    expect(deleted.body.data).toEqual(updated.body.data);
    expect(h.sandbox.control.users()).toEqual([]);
    expect((await h.json('GET', `${h.usersUrl}/${id}`)).status).toBe(404);
  });

  it('lists rows in the short shape only', async () => {
    await h.json(
      'POST',
      h.usersUrl,
      userInput(1, { timezone: 'UTC', caller_id: { internal: { number: '1' } } }),
    );
    const list = await h.json('GET', h.usersUrl);
    expect(list.body.data).toHaveLength(1);
    expect(list.body.data[0]).not.toHaveProperty('timezone');
    expect(list.body.data[0]).not.toHaveProperty('caller_id');
    expect(list.body.data[0]).toMatchObject(userInput(1));
    expect(list.body.page_size).toBe(DEFAULT_PAGE_SIZE);
    expect(list.body).not.toHaveProperty('next_start_key');
  });

  it('pages through 120 users: each seen once, next_start_key absent on the last page', async () => {
    for (let i = 0; i < 120; i += 1) await h.call('POST', h.usersUrl, userInput(i));
    const seen: string[] = [];
    let startKey: string | undefined;
    let pages = 0;
    do {
      const query = new URLSearchParams({ page_size: '50', ...(startKey ? { start_key: startKey } : {}) });
      const page = await h.json('GET', `${h.usersUrl}?${query}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.data.map((row: { id: string }) => row.id));
      startKey = page.body.next_start_key;
      pages += 1;
    } while (startKey !== undefined);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    expect(new Set(seen)).toEqual(new Set(h.sandbox.control.users().map((u) => u.id)));
  });

  it('a user deleted during a walk does not make later pages repeat or skip anyone', async () => {
    h.sandbox.control.seedUsers(30);
    const first = await h.json('GET', `${h.usersUrl}?page_size=10`);
    const lastOfPage = first.body.data.at(-1).id;
    await h.call('DELETE', `${h.usersUrl}/${lastOfPage}`);
    const second = await h.json('GET', `${h.usersUrl}?page_size=10&start_key=${first.body.next_start_key}`);
    const expected = h.sandbox.control
      .users()
      .slice(9, 19)
      .map((u) => u.id);
    expect(second.body.data.map((row: { id: string }) => row.id)).toEqual(expected);
    const bogus = await h.json('GET', `${h.usersUrl}?start_key=not-a-key`);
    expect(bogus.status).toBe(400);
  });

  it.each(['0', '51', '1.5', 'abc', '-1'])('rejects page_size=%s with 400', async (size) => {
    const response = await h.json('GET', `${h.usersUrl}?page_size=${size}`);
    expect(response.status).toBe(400);
    expect(response.body.error_code).toBe(CPAAS_ERROR_CODES.validation);
  });

  it.each(['1', '50'])('accepts page_size=%s', async (size) => {
    h.sandbox.control.seedUsers(60);
    const response = await h.json('GET', `${h.usersUrl}?page_size=${size}`);
    expect(response.status).toBe(200);
    expect(response.body.data).toHaveLength(Number(size));
  });

  it('answers 401 for a missing or wrong key and accepts the bare key', async () => {
    const missing = await fetch(`${h.sandbox.url}${h.usersUrl}`);
    expect(missing.status).toBe(401);
    expect((await bodyOf(missing)).error_code).toBe(CPAAS_ERROR_CODES.unauthorized);
    const wrong = await h.call('GET', h.usersUrl, undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    const bare = await h.call('GET', h.usersUrl, undefined, { authorization: h.sandbox.apiKey });
    expect(bare.status).toBe(200);
  });

  it('answers 404 CPAASError for an unknown account and unknown users on every user route', async () => {
    const otherAccount = await h.json('GET', `/v1/account/${'x'.repeat(32)}/user`);
    expect(otherAccount.status).toBe(404);
    expect(otherAccount.body.error_code).toBe(CPAAS_ERROR_CODES.notFound);
    const ghost = `${h.usersUrl}/${'y'.repeat(32)}`;
    for (const [method, path, body] of [
      ['GET', ghost, undefined],
      ['PUT', ghost, userInput(1)],
      ['DELETE', ghost, undefined],
      ['POST', `${ghost}/userauth`, { action: 'impersonate_user' }],
    ] as const) {
      const response = await h.json(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.body.error_code).toBe(CPAAS_ERROR_CODES.notFound);
      expect(response.body.request_id).toEqual(expect.any(String));
    }
  });

  it('refuses a duplicate email case-insensitively on create and on update to another user', async () => {
    await h.json('POST', h.usersUrl, userInput(1));
    const other = await h.json('POST', h.usersUrl, userInput(2));
    const dupCreate = await h.json('POST', h.usersUrl, { ...userInput(3), email: 'PERSON1@Example.com' });
    expect(dupCreate.status).toBe(400);
    expect(dupCreate.body).toMatchObject({
      error_code: CPAAS_ERROR_CODES.duplicateEmail,
      message: 'email already exists',
    });
    const dupUpdate = await h.json('PUT', `${h.usersUrl}/${other.body.data.id}`, {
      ...userInput(2),
      email: 'Person1@EXAMPLE.com',
    });
    expect(dupUpdate.status).toBe(400);
    expect(dupUpdate.body.error_code).toBe(CPAAS_ERROR_CODES.duplicateEmail);
    const sameUserNewCase = await h.json('PUT', `${h.usersUrl}/${other.body.data.id}`, {
      ...userInput(2),
      email: 'PERSON2@example.com',
    });
    expect(sameUserNewCase.status).toBe(200);
    await h.json('PUT', `${h.usersUrl}/${other.body.data.id}`, userInput(9));
    const freed = await h.json('POST', h.usersUrl, userInput(2));
    expect(freed.status).toBe(200);
  });

  it('answers 400 with field errors for an invalid body, and 400 for a non-JSON body', async () => {
    const invalid = await h.json('POST', h.usersUrl, { email: 'a@b.c', first_name: 7 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error_code).toBe(CPAAS_ERROR_CODES.validation);
    const fields = invalid.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['first_name', 'last_name']));
    const notJson = await h.json('POST', h.usersUrl, '{nope');
    expect(notJson.status).toBe(400);
    const badAction = await h.json('POST', `${h.usersUrl}/${'y'.repeat(32)}/userauth`, { action: 'x' });
    expect(badAction.status).toBe(400);
    expect(h.sandbox.control.users()).toEqual([]);
  });

  it('counts requests per route, including refused ones', async () => {
    await h.call('POST', h.usersUrl, userInput(1));
    await h.call('GET', h.usersUrl);
    await h.call('GET', h.usersUrl, undefined, { authorization: 'wrong' });
    expect(h.sandbox.control.requestCounts()).toEqual({
      listUsers: 2,
      createUser: 1,
      getUser: 0,
      updateUser: 0,
      deleteUser: 0,
      impersonateUser: 0,
    });
    h.sandbox.control.resetRequestCounts();
    expect(Object.values(h.sandbox.control.requestCounts())).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('seeds 10,000 users with unique emails and lists them all', async () => {
    const started = performance.now();
    h.sandbox.control.seedUsers(10_000, { emailDomain: 'seed.test' });
    console.log(`seedUsers(10000) took ${(performance.now() - started).toFixed(1)} ms`);
    const users = h.sandbox.control.users();
    expect(users).toHaveLength(10_000);
    expect(new Set(users.map((u) => u.email?.toLowerCase())).size).toBe(10_000);
    expect(new Set(users.map((u) => u.id)).size).toBe(10_000);
    expect(users.every((u) => u.email?.endsWith('@seed.test'))).toBe(true);
  });
});

describe('HTTP controls', () => {
  const control = (method: string, path: string, body?: unknown) =>
    fetch(`${h.sandbox.url}/_sandbox/${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }).then(async (r) => ({ status: r.status, body: await bodyOf(r) }));

  it('seeds, dumps state, counts, sets and clears faults, and resets', async () => {
    expect((await control('POST', 'seed', { count: 5 })).status).toBe(200);
    expect((await control('GET', 'state')).body.users).toHaveLength(5);
    await h.call('GET', h.usersUrl);
    expect((await control('GET', 'requests')).body.requests.listUsers).toBe(1);
    await control('DELETE', 'requests');
    expect((await control('GET', 'requests')).body.requests.listUsers).toBe(0);

    expect((await control('PUT', 'faults', { route: 'listUsers', script: [503] })).status).toBe(200);
    expect((await h.call('GET', h.usersUrl)).status).toBe(503);
    await control('PUT', 'faults', { route: 'listUsers', script: [502] });
    await control('DELETE', 'faults');
    expect((await h.call('GET', h.usersUrl)).status).toBe(200);
    expect((await control('PUT', 'faults', { route: 'nope' })).status).toBe(400);

    await control('POST', 'reset');
    expect((await control('GET', 'state')).body.users).toEqual([]);
    expect((await control('POST', 'seed', { count: -1 })).status).toBe(400);
  });
});
