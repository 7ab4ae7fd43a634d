import { describe, expect, it } from 'vitest';
import { createLifecycleEvent } from '../../../../lambdas/core/events/lifecycle-event.js';
import {
  SCIM_EVENT_SOURCE,
  scimEventId,
  scimUserVersionOf,
} from '../../../../lambdas/core/events/scim-event.js';

const userId = '7702b89a-7142-44ec-bebd-9b4b0ee98551';
const termination = (id: string, source = SCIM_EVENT_SOURCE, tenant?: string) =>
  createLifecycleEvent({
    type: 'employee.terminated',
    data: { employeeId: userId },
    source,
    id,
    ...(tenant === undefined ? {} : { tenant }),
  });

describe('scimUserVersionOf', () => {
  it('reads the user and version back from the id, against a subject that holds dashes', () => {
    expect(scimUserVersionOf(termination(scimEventId(userId, 12)))).toEqual({
      tenant: 'default',
      userId,
      version: 12,
    });
    expect(scimUserVersionOf(termination(scimEventId(userId, 3), SCIM_EVENT_SOURCE, 'acme'))).toMatchObject({
      tenant: 'acme',
      version: 3,
    });
  });

  it('is undefined for another source, or an id that is not this subject version', () => {
    expect(scimUserVersionOf(termination(scimEventId(userId, 1), 'hris/merge'))).toBeUndefined();
    expect(scimUserVersionOf(termination(`scim-${userId}-x`))).toBeUndefined();
    expect(scimUserVersionOf(termination(`scim-${userId}-0`))).toBeUndefined();
    expect(scimUserVersionOf(termination(`scim-other-${userId}-2`))).toBeUndefined();
    expect(scimUserVersionOf(termination('merge-3f2a9c'))).toBeUndefined();
  });
});
