import { describe, expect, it } from 'vitest';
import {
  createDetailsPendingEvent,
  isDetailsPending,
  validateQueuedEvent,
} from '../../../../lambdas/core/events/details-pending-event.js';
import { createLifecycleEvent } from '../../../../lambdas/core/events/lifecycle-event.js';
import { issuePathsOf } from '../../../support/issue-paths.js';

const pending = () =>
  createDetailsPendingEvent({
    type: 'employee.changed',
    detailsFrom: 'bamboohr',
    employeeId: '42',
    changedFields: ['Status'],
    source: 'bamboohr',
  });
const pathsOf = (value: unknown): string[] => issuePathsOf(() => validateQueuedEvent(value));

describe('details-pending events on the queue', () => {
  it('round-trip through JSON as details-pending; complete events stay complete', () => {
    const event = pending();
    const read = validateQueuedEvent(JSON.parse(JSON.stringify(event)));
    expect(isDetailsPending(read)).toBe(true);
    const complete = createLifecycleEvent({
      type: 'employee.terminated',
      source: 'test',
      data: { employeeId: '42' },
    });
    expect(isDetailsPending(validateQueuedEvent(JSON.parse(JSON.stringify(complete))))).toBe(false);
  });

  it('refuse an unknown source, a person in data, a termination kind and a subject that is not the id', () => {
    const event = pending();
    expect(pathsOf({ ...event, detailsfrom: 'workday' })).toEqual(['detailsfrom']);
    expect(pathsOf({ ...event, data: { ...event.data, workEmail: 'a@b.example' } })).toEqual(['data']);
    expect(pathsOf({ ...event, type: 'employee.terminated' })).toEqual(['type']);
    expect(pathsOf({ ...event, subject: '43' })).toEqual(['subject']);
  });

  it('a complete hire without its person is still refused (detailsfrom is what allows it)', () => {
    const { detailsfrom: _, ...withoutMarker } = pending();
    expect(pathsOf({ ...withoutMarker, type: 'employee.hired' })).toEqual([
      'data',
      'data.firstName',
      'data.lastName',
      'data.workEmail',
    ]);
  });
});
