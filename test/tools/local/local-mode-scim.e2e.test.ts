import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { User } from '../../../lambdas/core/cpaas/schemas.js';
import { type LocalCli, startLocalCli } from '../../support/local-cli.js';
import { patchOp, scimUser } from '../../support/scim-fixture.js';
import { until } from '../../support/until.js';

/**
 * The SCIM service provider through the real `cpaas-lifecycle local` process: an identity
 * provider's requests reach the SCIM handler on the local server, their events the queues, the
 * worker and the CPaaS sandbox, where each sequence must leave the VoIP user in the right state.
 */
let local: LocalCli;
beforeAll(async () => {
  local = await startLocalCli();
}, 60_000);
afterAll(async () => {
  if (local?.child.exitCode === null) {
    local.child.kill('SIGTERM');
    await local.closed;
  }
});

/** What the assertions read of a SCIM answer. */
interface ScimJson {
  readonly id?: string;
  readonly active?: boolean;
  readonly meta?: { readonly location?: string };
  readonly Resources?: readonly unknown[];
  readonly [attribute: string]: unknown;
}

async function scim(
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: ScimJson }> {
  const response = await fetch(`${local.ready.scimUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${local.ready.scimToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text === '' ? {} : (JSON.parse(text) as ScimJson) };
}

/** The sandbox's user with this email, through its HTTP control (it runs in the local mode's process). */
async function sandboxUser(email: string): Promise<User | undefined> {
  const response = await fetch(`${local.ready.cpaasBaseUrl}/_sandbox/state`);
  const { users } = (await response.json()) as { users: User[] };
  return users.find((user) => user.email === email);
}

/** Waits until the VoIP user is active with these names. */
function becomesActive(email: string, firstName: string, lastName: string, what: string) {
  return until(async () => {
    const user = await sandboxUser(email);
    return user?.enabled !== false && user?.first_name === firstName && user?.last_name === lastName
      ? user
      : undefined;
  }, what);
}

/** Waits until the VoIP user has no access: deleted or disabled, as `TERMINATION_POLICY` says. */
function becomesRevoked(email: string, what: string) {
  return until(async () => {
    const user = await sandboxUser(email);
    return user === undefined || user.enabled === false;
  }, what);
}

const VOIP = 'urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2.0:User';

/** Waits until GET shows the version's change applied: the worker reported back. */
function becomesApplied(id: string, version: number, what: string) {
  return until(async () => {
    const { json } = await scim('GET', `/Users/${id}`);
    const provisioning = (json[VOIP] as { provisioning?: { status?: string; eventId?: string } } | undefined)
      ?.provisioning;
    return provisioning?.status === 'applied' && provisioning.eventId === `scim-${id}-${version}`;
  }, what);
}

describe('local mode serves SCIM', () => {
  it('an Entra ID cycle: probe, create, rename, deactivate, reactivate, delete', async () => {
    const email = 'ada.entra@example.com';
    const probe = await scim('GET', `/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`);
    expect(probe.status).toBe(200);
    expect(probe.json).toMatchObject({ totalResults: 0, Resources: [] });

    const created = await scim('POST', '/Users', scimUser(email));
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    expect(created.json.meta?.location).toBe(`${local.ready.scimUrl}/Users/${id}`);
    await becomesActive(email, 'Ada', 'Lovelace', 'the created user on the sandbox');
    await becomesApplied(id, 1, 'GET showing the create applied');

    const renamed = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'Replace', value: { 'name.givenName': 'Augusta', 'name.familyName': 'King' } }),
    );
    expect(renamed.status).toBe(200);
    await becomesActive(email, 'Augusta', 'King', 'the rename on the sandbox');

    const deactivated = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'Replace', path: 'active', value: 'False' }),
    );
    expect(deactivated.status).toBe(200);
    await becomesRevoked(email, 'the deactivation revoking access');

    const reactivated = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'Replace', path: 'active', value: 'True' }),
    );
    expect(reactivated.status).toBe(200);
    await becomesActive(email, 'Augusta', 'King', 'the reactivation (rehire) on the sandbox');

    expect((await scim('DELETE', `/Users/${id}`)).status).toBe(204);
    await becomesRevoked(email, 'the DELETE revoking access');
  });

  it('an Okta cycle: test connection, create, replace by PUT, deactivate without a path', async () => {
    const connection = await scim('GET', '/Users?startIndex=1&count=2');
    expect(connection.status).toBe(200);
    expect(connection.json).toMatchObject({ startIndex: 1 });
    expect(connection.json.Resources?.length).toBeLessThanOrEqual(2);

    const email = 'grace.okta@example.com';
    const created = await scim(
      'POST',
      '/Users',
      scimUser(email, {
        password: 'Sup3r-secret-password',
        name: { givenName: 'Grace', familyName: 'Hopper' },
      }),
    );
    expect(created.status).toBe(201);
    const id = String(created.json.id);
    await becomesActive(email, 'Grace', 'Hopper', 'the created user on the sandbox');

    const replaced = await scim(
      'PUT',
      `/Users/${id}`,
      scimUser(email, { id, name: { givenName: 'Grace', familyName: 'Murray Hopper' } }),
    );
    expect(replaced.status).toBe(200);
    await becomesActive(email, 'Grace', 'Murray Hopper', 'the replaced name on the sandbox');
    await becomesApplied(id, 2, 'GET showing the replace applied');

    const deactivated = await scim(
      'PATCH',
      `/Users/${id}`,
      patchOp({ op: 'replace', value: { active: false } }),
    );
    expect(deactivated.status).toBe(200);
    expect(deactivated.json.active).toBe(false);
    await becomesRevoked(email, 'the deactivation revoking access');
    await becomesApplied(id, 3, 'GET showing the deactivation applied');
  });

  it('refuses a request without the ready line token', async () => {
    const response = await fetch(`${local.ready.scimUrl}/Users`);
    expect(response.status).toBe(401);
  });
});
