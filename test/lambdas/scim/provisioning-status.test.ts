import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoProvisioningStatusRecorder } from '../../../lambdas/core/state/provisioning-status.js';
import { HELD_REASON } from '../../../lambdas/worker/provisioning-report.js';
import { patchOp, type ScimFixture, scimUser, startScimFixture } from '../../support/scim-fixture.js';
import { employee, lifecycleEvent, type WorkerFixture, workerFixture } from '../../support/worker-fixture.js';

const VOIP = 'urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2.0:User';

let fx: WorkerFixture;
let scim: ScimFixture;
let recorder: DynamoProvisioningStatusRecorder;

beforeAll(async () => {
  fx = await workerFixture();
  scim = await startScimFixture({ aws: fx.aws });
  recorder = new DynamoProvisioningStatusRecorder({
    client: fx.aws.dynamodb,
    tableName: fx.aws.resources.stateTableName,
  });
});
afterAll(async () => {
  await scim.close();
  await fx.close();
});

const unique = (name: string) => `${name}.${crypto.randomUUID().slice(0, 8)}@example.com`;

async function provisioningOf(id: string): Promise<Record<string, unknown>> {
  const response = await scim.request('GET', `/Users/${id}`);
  expect(response.status).toBe(200);
  return (response.json[VOIP] as { provisioning: Record<string, unknown> }).provisioning;
}

/** What the SCIM function queued, through the worker as the event source mapping would. */
async function applyQueued() {
  const lines = [];
  for (const event of await scim.events()) lines.push(await fx.apply(event, { provisioning: recorder }));
  return lines;
}

async function create(userName = unique('status')): Promise<string> {
  const created = await scim.request('POST', '/Users', scimUser(userName));
  expect(created.status).toBe(201);
  return String(created.json.id);
}

describe('the provisioning status on a SCIM user (SCIM function + worker + sandbox on moto)', () => {
  it('is pending once stored, applied once the worker applied it, and pending again for the next change', async () => {
    const userName = unique('applied');
    const id = await create(userName);
    expect(await provisioningOf(id)).toEqual({ status: 'pending', eventId: `scim-${id}-1` });

    expect((await applyQueued()).map((line) => line.attributes.outcome)).toEqual(['created']);
    expect(fx.usersWithEmail(userName)).toHaveLength(1);
    expect(await provisioningOf(id)).toEqual({ status: 'applied', eventId: `scim-${id}-1` });

    // A change the VoIP user does not have makes a version, no event: the report still stands.
    const renamed = patchOp({ op: 'replace', path: 'displayName', value: 'Countess' });
    expect((await scim.request('PATCH', `/Users/${id}`, renamed)).headers.get('etag')).toBe('W/"2"');
    expect(await provisioningOf(id)).toEqual({ status: 'applied', eventId: `scim-${id}-1` });

    const changed = patchOp({ op: 'replace', path: 'name.familyName', value: 'King' });
    expect((await scim.request('PATCH', `/Users/${id}`, changed)).status).toBe(200);
    expect(await provisioningOf(id)).toEqual({ status: 'pending', eventId: `scim-${id}-3` });
    expect((await applyQueued()).map((line) => line.attributes.outcome)).toEqual(['updated']);
    expect(await provisioningOf(id)).toEqual({ status: 'applied', eventId: `scim-${id}-3` });
  });

  it('is failed with the reason when the worker dead-letters the change as permanent', async () => {
    const id = await create();
    fx.sandbox.control.setFaults('createUser', { errorRate: 1, errorStatuses: [400] });
    try {
      expect((await applyQueued()).map((line) => line.attributes.outcome)).toEqual(['dead-lettered']);
    } finally {
      fx.sandbox.control.clearFaults();
    }
    expect(await provisioningOf(id)).toEqual({
      status: 'failed',
      reason: expect.stringMatching(/^CpaasValidationError: /),
      eventId: `scim-${id}-1`,
    });
  });

  it('is pending with the reason while the deletion brake holds the deactivation', async () => {
    const id = await create();
    await applyQueued();
    await scim.request('PATCH', `/Users/${id}`, patchOp({ op: 'replace', value: { active: false } }));
    const [termination] = await scim.events();
    if (termination === undefined) throw new Error('the deactivation should be queued');
    const closed = {
      admit: async () => ({ admitted: false, recent: 9, limit: 1 }),
      inspect: async () => ({ admitted: false, recent: 9, limit: 1 }),
    };
    const line = await fx.apply(termination, { provisioning: recorder, brake: closed, policy: 'disable' });
    expect(line.attributes.outcome).toBe('held');
    expect(await provisioningOf(id)).toEqual({
      status: 'pending',
      reason: HELD_REASON,
      eventId: `scim-${id}-2`,
    });
  });

  it("under TERMINATION_POLICY=disable, Entra's deactivation disables the VoIP user and its later DELETE deletes it", async () => {
    const userName = unique('entra-delete');
    const id = await create(userName);
    const disable = { provisioning: recorder, policy: 'disable' } as const;
    for (const event of await scim.events()) await fx.apply(event, disable);
    await scim.request('PATCH', `/Users/${id}`, patchOp({ op: 'Replace', path: 'active', value: 'False' }));
    for (const event of await scim.events()) await fx.apply(event, disable);
    expect(fx.usersWithEmail(userName)).toEqual([expect.objectContaining({ enabled: false })]);
    expect(await provisioningOf(id)).toEqual({ status: 'applied', eventId: `scim-${id}-2` });

    expect((await scim.request('DELETE', `/Users/${id}`)).status).toBe(204);
    const lines = [];
    for (const event of await scim.events()) lines.push(await fx.apply(event, disable));
    expect(lines.map((line) => line.attributes.outcome)).toEqual(['deleted']);
    expect(fx.usersWithEmail(userName)).toEqual([]);
  });

  it('never lets a report for an older version replace a newer one, and ignores events of other sources', async () => {
    const id = await create();
    const changed = patchOp({ op: 'replace', path: 'name.givenName', value: 'Augusta' });
    expect((await scim.request('PATCH', `/Users/${id}`, changed)).status).toBe(200);
    const [hire, change] = await scim.events();
    if (hire === undefined || change === undefined) throw new Error('both versions should be queued');
    await fx.apply(hire, { provisioning: recorder });
    await fx.apply(change, { provisioning: recorder });
    expect(await provisioningOf(id)).toEqual({ status: 'applied', eventId: `scim-${id}-2` });

    await recorder.record(hire, { status: 'failed', reason: 'late report' }, new Date());
    expect(await provisioningOf(id)).toEqual({ status: 'applied', eventId: `scim-${id}-2` });
    expect((await scim.storedItem(id))?.provisioning).toMatchObject({ version: 2, status: 'applied' });
    // The same version may be reported again: a redriven dead letter that now applies.
    await recorder.record(change, { status: 'failed', reason: 'redriven' }, new Date());
    expect(await provisioningOf(id)).toMatchObject({ status: 'failed', reason: 'redriven' });

    const other = employee();
    await recorder.record(lifecycleEvent('employee.hired', other), { status: 'applied' }, new Date());
    expect(await scim.storedItem(other.employeeId)).toBeUndefined();
  });
});
