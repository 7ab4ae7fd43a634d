import { describe, expect, it } from 'vitest';
import { ScimBadRequestError } from '../../../lambdas/scim/errors.js';
import {
  employeeDataFor,
  lifecycleEventFor,
  type UserState,
} from '../../../lambdas/scim/lifecycle-mapping.js';
import type { ScimUserAttributes } from '../../../lambdas/scim/user-attributes.js';

const ada: ScimUserAttributes = {
  userName: 'ada@example.com',
  active: true,
  name: { givenName: 'Ada', familyName: 'Lovelace' },
};
const state = (attributes: ScimUserAttributes, deleted = false): UserState => ({ attributes, deleted });
const change = (before: UserState | undefined, after: UserState, version = 2) =>
  lifecycleEventFor({
    tenant: 'default',
    id: 'u-1',
    version,
    time: '2026-12-03T10:00:00.000Z',
    before,
    after,
  });

describe('employeeDataFor', () => {
  it('takes the work email, else the primary one, else a userName that is an email', () => {
    const emails = [
      { value: 'home@example.com', type: 'home', primary: true },
      { value: 'work@example.com', type: 'work' },
    ];
    expect(employeeDataFor('u-1', { ...ada, emails }).workEmail).toBe('work@example.com');
    expect(employeeDataFor('u-1', { ...ada, emails: emails.slice(0, 1) }).workEmail).toBe('home@example.com');
    expect(employeeDataFor('u-1', ada).workEmail).toBe('ada@example.com');
    expect(() => employeeDataFor('u-1', { ...ada, userName: 'ada' })).toThrow(
      new ScimBadRequestError('invalidValue', 'emails[type eq "work"].value: is required for a VoIP user'),
    );
  });

  it('maps the work phone to an E.164 caller id, the time zone and the extension', () => {
    const data = employeeDataFor('u-1', {
      ...ada,
      phoneNumbers: [{ value: '+1 (415) 555-0100', type: 'work' }],
      timezone: 'America/Los_Angeles',
      extension: '204',
    });
    expect(data).toEqual({
      employeeId: 'u-1',
      workEmail: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      externalCallerId: '+14155550100',
      timezone: 'America/Los_Angeles',
      extension: '204',
    });
  });
});

describe('lifecycleEventFor', () => {
  it('hires on a create, changes on a different name, nothing on an unmapped change', () => {
    expect(change(undefined, state(ada), 1)).toMatchObject({
      type: 'employee.hired',
      id: 'scim-u-1-1',
      subject: 'u-1',
      source: 'scim',
      tenant: 'default',
      time: '2026-12-03T10:00:00.000Z',
    });
    const renamed = { ...ada, name: { givenName: 'Ada', familyName: 'King' } };
    expect(change(state(ada), state(renamed))?.type).toBe('employee.changed');
    expect(change(state(ada), state({ ...ada, displayName: 'A. L.' }))).toBeUndefined();
  });

  it('terminates on active false, deletes on DELETE (also after a deactivation), rehires on active true', () => {
    const inactive = { ...ada, active: false };
    expect(change(state(ada), state(inactive))).toMatchObject({
      type: 'employee.terminated',
      data: { employeeId: 'u-1' },
    });
    expect(change(state(inactive), state({ ...inactive, displayName: 'x' }))).toBeUndefined();
    expect(change(state(inactive), state(ada))?.type).toBe('employee.hired');
    expect(change(state(ada), state(inactive))?.data).not.toHaveProperty('deleteUser');
    // A DELETE means the identity is gone: the VoIP user is deleted whatever the policy.
    expect(change(state(ada), state(ada, true))).toMatchObject({
      type: 'employee.terminated',
      data: { employeeId: 'u-1', deleteUser: true },
    });
    expect(change(state(inactive), state(inactive, true))).toMatchObject({
      type: 'employee.terminated',
      data: { employeeId: 'u-1', deleteUser: true },
    });
    expect(change(undefined, state(inactive), 1)).toBeUndefined();
  });

  it('refuses what the event schema refuses, naming the SCIM attribute', () => {
    expect(() => change(undefined, state({ ...ada, extension: '1' }), 1)).toThrow(
      /^urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2\.0:User:extension: must be 2 to 10 digits$/,
    );
    expect(() => change(undefined, state({ ...ada, timezone: 'Nowhere/Land' }), 1)).toThrow(/^timezone: /);
    expect(() => change(undefined, state({ ...ada, userName: 'not an email@' }), 1)).toThrow(/^emails/);
  });
});
