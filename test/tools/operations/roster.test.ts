import { describe, expect, it } from 'vitest';
import { InvalidRosterError } from '../../../tools/operations/errors.js';
import { parseRoster, rosterFormatOf } from '../../../tools/operations/roster.js';

describe('parseRoster', () => {
  it('reads CSV with a header, quoted fields and empty optional cells', () => {
    const csv =
      'employeeId,workEmail,firstName,lastName,timezone,extension\r\n' +
      'e1,ada@example.com,Ada,"Lovelace, Countess",Europe/London,101\r\n' +
      'e2,alan@example.com,Alan,"Turing ""AT""",,\r\n';
    expect(parseRoster(csv, 'csv')).toEqual([
      {
        employeeId: 'e1',
        workEmail: 'ada@example.com',
        firstName: 'Ada',
        lastName: 'Lovelace, Countess',
        timezone: 'Europe/London',
        extension: '101',
      },
      { employeeId: 'e2', workEmail: 'alan@example.com', firstName: 'Alan', lastName: 'Turing "AT"' },
    ]);
  });

  it('reads a JSON array', () => {
    const json = JSON.stringify([
      { employeeId: 'e1', workEmail: 'a@example.com', firstName: 'A', lastName: 'B' },
    ]);
    expect(parseRoster(json, 'json')).toHaveLength(1);
  });

  it('names each bad row and field without echoing the values', () => {
    const csv =
      'employeeId,workEmail,firstName,lastName\ne1,not-an-email,Ada,Lovelace\ne1,b@example.com,B,C\n';
    let error: unknown;
    try {
      parseRoster(`${csv}e1,c@example.com,C,D\n`, 'csv');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidRosterError);
    const problems = (error as InvalidRosterError).problems;
    expect(problems[0]).toMatch(/^line 2: workEmail: /);
    expect(problems).toContain('line 4: employeeId appears twice');
    expect((error as Error).message).not.toContain('not-an-email');
  });

  it('picks the format from the file name', () => {
    expect(rosterFormatOf('people.JSON')).toBe('json');
    expect(rosterFormatOf('people.csv')).toBe('csv');
  });
});
