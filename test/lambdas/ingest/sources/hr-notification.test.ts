import { describe, expect, it } from 'vitest';
import { isDetailsPending } from '../../../../lambdas/core/events/details-pending-event.js';
import { laneFor } from '../../../../lambdas/core/events/lane.js';
import { InvalidLifecycleEventError } from '../../../../lambdas/core/events/lifecycle-event.js';
import {
  type HrNotification,
  notificationEvent,
} from '../../../../lambdas/ingest/sources/hr-notification.js';

const notification = (overrides: Partial<HrNotification>): HrNotification => ({
  kind: 'changed',
  source: 'hibob',
  employeeId: 'E-17',
  id: 'delivery-1',
  time: '2026-12-06T10:00:00.000Z',
  ...overrides,
});

describe('notificationEvent', () => {
  it('queues a hire or a change for the worker to fetch from the source that sent it', () => {
    const hired = notificationEvent(notification({ kind: 'hired', source: 'personio' }));
    const changed = notificationEvent(notification({ kind: 'changed', changedFields: ['root.firstName'] }));

    expect(hired).toMatchObject({
      id: 'delivery-1',
      source: 'personio',
      type: 'employee.hired',
      time: '2026-12-06T10:00:00.000Z',
      subject: 'E-17',
      detailsfrom: 'personio',
      data: { employeeId: 'E-17' },
    });
    expect(changed).toMatchObject({ type: 'employee.changed', detailsfrom: 'hibob' });
    expect(changed.data).toEqual({ employeeId: 'E-17', changedFields: ['root.firstName'] });
    expect([hired, changed].map(laneFor)).toEqual(['standard', 'standard']);
  });

  it('sends a leaver on the priority lane, still as a change its fetched record decides', () => {
    const leaving = notificationEvent(notification({ kind: 'leaving', source: 'gusto' }));

    expect(isDetailsPending(leaving)).toBe(true);
    expect(leaving).toMatchObject({ type: 'employee.changed', data: { mayRevokeAccess: true } });
    expect(laneFor(leaving)).toBe('priority');
  });

  it('makes a deletion a termination at once: there is no record left to fetch', () => {
    const deleted = notificationEvent(notification({ kind: 'deleted', changedFields: ['status'] }));

    expect(isDetailsPending(deleted)).toBe(false);
    expect(deleted).toMatchObject({
      id: 'delivery-1',
      source: 'hibob',
      type: 'employee.terminated',
      data: { employeeId: 'E-17' },
    });
    expect(laneFor(deleted)).toBe('priority');
  });

  it('refuses an employee id no event may carry', () => {
    expect(() => notificationEvent(notification({ employeeId: '' }))).toThrow(InvalidLifecycleEventError);
    expect(() => notificationEvent(notification({ kind: 'deleted', employeeId: 'a\u0000b' }))).toThrow(
      InvalidLifecycleEventError,
    );
  });
});
