import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CPAAS_ERROR_CODES } from '../../../lambdas/core/cpaas/errors.js';
import type { ObservedRequest } from '../../../tools/sandbox/index.js';
import { bodyOf, type SandboxHarness, startHarness, userInput } from './helpers.js';

const OTHER = { accountId: 'B'.repeat(32), apiKey: 'key-of-account-b' };

let h: SandboxHarness;
let observed: ObservedRequest[];
beforeEach(async () => {
  observed = [];
  h = await startHarness({ moreAccounts: [OTHER], onRequest: (request) => observed.push(request) });
});
afterEach(async () => {
  await h.sandbox.close();
});

const otherUsers = `/v1/account/${OTHER.accountId}/user`;
const asOther = { authorization: `Bearer ${OTHER.apiKey}` };

describe('sandbox accounts', () => {
  it('keeps each account its own users: the same email may live in both, neither sees the other', async () => {
    const mine = await h.json('POST', h.usersUrl, userInput(1));
    const theirs = await bodyOf(await h.call('POST', otherUsers, userInput(1), asOther));
    expect(mine.status).toBe(200);
    expect(theirs.status_code).toBe(200);
    expect(h.sandbox.control.users().map((user) => user.id)).toEqual([mine.body.data.id]);
    expect(
      h.sandbox.control
        .account(OTHER.accountId)
        ?.users()
        .map((user) => user.id),
    ).toEqual([theirs.data.id]);
    const listed = await bodyOf(await h.call('GET', otherUsers, undefined, asOther));
    expect(listed.data.map((row: { id: string }) => row.id)).toEqual([theirs.data.id]);
  });

  it("answers 403 to a valid key on another account's path, on every route, and changes nothing there", async () => {
    const theirs = await bodyOf(await h.call('POST', otherUsers, userInput(2), asOther));
    const user = `${otherUsers}/${theirs.data.id}`;
    for (const [method, path, body] of [
      ['GET', otherUsers, undefined],
      ['POST', otherUsers, userInput(3)],
      ['GET', user, undefined],
      ['PUT', user, userInput(4)],
      ['DELETE', user, undefined],
      ['POST', `${user}/userauth`, { action: 'impersonate_user' }],
    ] as const) {
      // h.json sends the first account's key.
      const response = await h.json(method, path, body);
      expect(response.status, `${method} ${path}`).toBe(403);
      expect(response.body.error_code).toBe(CPAAS_ERROR_CODES.forbidden);
    }
    expect(h.sandbox.control.account(OTHER.accountId)?.users()).toEqual([theirs.data]);
    const unknownKey = await h.call('GET', otherUsers, undefined, { authorization: 'Bearer nope' });
    expect(unknownKey.status).toBe(401);
  });

  it('counts requests per account by path, and tells which account each key belongs to', async () => {
    await h.call('GET', h.usersUrl);
    await h.call('GET', otherUsers, undefined, asOther);
    await h.call('GET', otherUsers);
    expect(h.sandbox.control.requestCounts().listUsers).toBe(3);
    expect(h.sandbox.control.account(h.sandbox.accountId)?.requestCounts().listUsers).toBe(1);
    expect(h.sandbox.control.account(OTHER.accountId)?.requestCounts().listUsers).toBe(2);
    expect(observed.map((request) => [request.path, request.keyAccountId])).toEqual([
      [h.usersUrl, h.sandbox.accountId],
      [otherUsers, OTHER.accountId],
      [otherUsers, h.sandbox.accountId],
    ]);
    h.sandbox.control.resetRequestCounts();
    expect(h.sandbox.control.account(OTHER.accountId)?.requestCounts().listUsers).toBe(0);
  });

  it('adds an account over the HTTP control, refuses a taken id or key, and serves its state there', async () => {
    const control = (method: string, path: string, body?: unknown) =>
      fetch(`${h.sandbox.url}/_sandbox${path}`, {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }).then(async (response) => ({ status: response.status, body: await bodyOf(response) }));
    const added = await control('POST', '/accounts', { apiKey: 'key-of-account-c' });
    expect(added.status).toBe(200);
    expect(added.body.accountId).toMatch(/^[A-Za-z0-9]{32}$/);
    expect((await control('POST', '/accounts', { apiKey: 'key-of-account-c' })).status).toBe(400);
    expect((await control('POST', '/accounts', { accountId: OTHER.accountId })).status).toBe(400);
    expect((await control('POST', '/accounts', { accountId: 'short' })).status).toBe(400);
    const listed = await control('GET', '/accounts');
    expect(listed.body.accounts.map((account: { accountId: string }) => account.accountId)).toEqual([
      h.sandbox.accountId,
      OTHER.accountId,
      added.body.accountId,
    ]);
    expect((await control('POST', `/accounts/${added.body.accountId}/seed`, { count: 3 })).body.count).toBe(
      3,
    );
    const created = await h.call('POST', `/v1/account/${added.body.accountId}/user`, userInput(5), {
      authorization: 'key-of-account-c',
    });
    expect(created.status).toBe(200);
    expect((await control('GET', `/accounts/${added.body.accountId}/state`)).body.users).toHaveLength(4);
    expect(
      (await control('GET', `/accounts/${added.body.accountId}/requests`)).body.requests.createUser,
    ).toBe(1);
    expect((await control('GET', '/accounts/nope/state')).status).toBe(404);
    expect(h.sandbox.control.users()).toEqual([]);
  });

  it('reset empties every account but keeps serving them', async () => {
    await h.call('POST', otherUsers, userInput(6), asOther);
    h.sandbox.control.reset();
    expect(h.sandbox.control.account(OTHER.accountId)?.users()).toEqual([]);
    expect((await h.call('GET', otherUsers, undefined, asOther)).status).toBe(200);
  });
});
