import { describe, expect, it } from 'vitest';
import { laneFor, queueUrlFor } from '../../../../lambdas/core/events/lane.js';
import { LIFECYCLE_EVENT_TYPES } from '../../../../lambdas/core/events/lifecycle-event.js';

describe('laneFor', () => {
  it('puts what removes access on the priority lane and everything else on the standard one', () => {
    expect(Object.fromEntries(LIFECYCLE_EVENT_TYPES.map((type) => [type, laneFor({ type })]))).toEqual({
      'employee.hired': 'standard',
      'employee.changed': 'standard',
      'employee.terminated': 'priority',
    });
  });

  it('puts a details-pending change on the priority lane when its webhook says it may end access', () => {
    const pending = (data: object) => laneFor({ type: 'employee.changed', data });
    expect(pending({ employeeId: '1', mayRevokeAccess: true })).toBe('priority');
    expect(pending({ employeeId: '1', changedFields: ['firstName'] })).toBe('standard');
    expect(laneFor({ type: 'employee.hired', data: { employeeId: '1' } })).toBe('standard');
  });

  it("gives the event's lane's queue URL", () => {
    const urls = { standard: 'standard-url', priority: 'priority-url' };
    expect(queueUrlFor(urls, { type: 'employee.terminated' })).toBe('priority-url');
    expect(queueUrlFor(urls, { type: 'employee.changed' })).toBe('standard-url');
  });
});
