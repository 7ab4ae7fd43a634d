import { describe, expect, it } from 'vitest';
import {
  createLifecycleEvent,
  InvalidLifecycleEventError,
  validateLifecycleEvent,
} from '../../../../lambdas/core/events/lifecycle-event.js';
import { SAFE_NAMES, UNSAFE_SAMPLES } from '../../../support/unsafe-text.js';

const hire = () =>
  createLifecycleEvent({
    type: 'employee.hired',
    source: 'test',
    id: 'evt-1',
    data: {
      employeeId: 'E-1',
      workEmail: 'ada@example.com',
      firstName: 'Ada',
      lastName: 'Lovelace',
      timezone: 'Europe/London',
    },
  });

function issuesOf(value: unknown): readonly { path: string; message: string }[] {
  try {
    validateLifecycleEvent(value);
  } catch (error) {
    if (error instanceof InvalidLifecycleEventError) return error.issues;
    throw error;
  }
  return [];
}

function issuePaths(value: unknown): string[] {
  return issuesOf(value).map((issue) => issue.path);
}

describe('the canonical schema keeps unsafe text out', () => {
  const stringFields: [string, (event: ReturnType<typeof hire>, text: string) => unknown][] = [
    ['id', (event, text) => ({ ...event, id: text })],
    ['source', (event, text) => ({ ...event, source: text })],
    ['data.firstName', (event, text) => ({ ...event, data: { ...event.data, firstName: text } })],
    ['data.lastName', (event, text) => ({ ...event, data: { ...event.data, lastName: text } })],
    [
      'data.workEmail',
      (event, text) => ({ ...event, data: { ...event.data, workEmail: `a${text}@example.com` } }),
    ],
    ['data.timezone', (event, text) => ({ ...event, data: { ...event.data, timezone: `Europe/${text}` } })],
  ];

  it('rejects every unsafe character in every string field, naming the field', () => {
    for (const [path, withText] of stringFields) {
      for (const [label, text] of Object.entries(UNSAFE_SAMPLES)) {
        expect(issuePaths(withText(hire(), text)), `${label} in ${path}`).toContain(path);
      }
    }
  });

  it('rejects unsafe characters and whitespace in the employee id (subject and data alike)', () => {
    for (const text of [...Object.values(UNSAFE_SAMPLES), 'E 1']) {
      const event = { ...hire(), subject: `E${text}`, data: { ...hire().data, employeeId: `E${text}` } };
      expect(issuePaths(event)).toEqual(expect.arrayContaining(['subject', 'data.employeeId']));
    }
  });

  it('applies the same rule to a termination', () => {
    const termination = createLifecycleEvent({
      type: 'employee.terminated',
      source: 'test',
      data: { employeeId: 'E-1' },
    });
    expect(issuePaths({ ...termination, data: { employeeId: 'E-1', lastName: 'Bell\u0007' } })).toEqual([
      'data.lastName',
    ]);
  });

  it('still accepts real names in every script', () => {
    for (const name of SAFE_NAMES) {
      expect(
        issuePaths({ ...hire(), data: { ...hire().data, firstName: name, lastName: name } }),
        name,
      ).toEqual([]);
    }
  });
});

describe('issue messages', () => {
  // zod/mini has no messages of its own; these are what a 422 and a dead-letter reason show.
  it('say in English what is wrong, zod defaults and the schema own messages alike', () => {
    const { lastName: _, ...withoutLastName } = hire().data;
    const event = {
      ...hire(),
      time: 'yesterday',
      data: { ...withoutLastName, firstName: 'A'.repeat(129), timezone: 'Mars/Base', extension: '1' },
    };
    expect(issuesOf(event)).toEqual([
      { path: 'time', message: 'Invalid ISO datetime' },
      { path: 'data.firstName', message: 'Too big: expected string to have <=128 characters' },
      { path: 'data.lastName', message: 'Invalid input: expected string, received undefined' },
      { path: 'data.timezone', message: 'must be an IANA time zone such as Europe/Paris' },
      { path: 'data.extension', message: 'must be 2 to 10 digits' },
    ]);
  });
});
