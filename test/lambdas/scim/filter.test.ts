import { describe, expect, it } from 'vitest';
import { parseUserFilter } from '../../../lambdas/scim/filter.js';

const user = {
  id: 'u-1',
  userName: 'Ada.Lovelace@Example.com',
  externalId: 'Ext-1',
  emails: [
    { type: 'home', value: 'ada@home.example' },
    { type: 'work', value: 'Ada.Lovelace@Example.com' },
  ],
};

describe('parseUserFilter', () => {
  it.each([
    ['userName eq "ada.lovelace@example.com"', true],
    ['USERNAME EQ "ADA.LOVELACE@EXAMPLE.COM"', true],
    ['urn:ietf:params:scim:schemas:core:2.0:User:userName eq "ada.lovelace@example.com"', true],
    ['externalId eq "Ext-1"', true],
    ['externalId eq "ext-1"', false],
    ['emails[type eq "work"].value eq "ADA.LOVELACE@example.com"', true],
    ['emails[type eq "home"].value eq "ada.lovelace@example.com"', false],
    ['emails[type eq "work"].value eq "ada@home.example"', false],
    ['not (externalId eq "Ext-1") or id eq "u-1"', true],
    ['emails[type eq "work" and value eq "ada.lovelace@example.com"]', true],
    ['emails[type eq "home" and value eq "ada.lovelace@example.com"]', false],
    ['userName eq "ada.lovelace@example.com" and id eq "u-1"', true],
    ['userName eq "ada.lovelace@example.com" and id eq "u-2"', false],
  ])('%s matches: %s', (filter, expected) => {
    expect(parseUserFilter(filter).matches(user)).toBe(expected);
  });

  it('names the userName and id every match must have, for a read by key', () => {
    expect(parseUserFilter('userName eq "Ada@X.com" and externalId eq "e"')).toMatchObject({
      userName: 'ada@x.com',
    });
    expect(parseUserFilter('id eq "u-1"')).toMatchObject({ id: 'u-1' });
    expect(parseUserFilter('userName eq "a" or userName eq "b"').userName).toBeUndefined();
  });

  it.each(['userName eq', 'userName eq "x', '(userName eq "x"', 'userName xx "x" yy'])(
    'refuses %s as invalidFilter',
    (filter) => {
      expect(() => parseUserFilter(filter)).toThrow(
        expect.objectContaining({ status: 400, scimType: 'invalidFilter' }),
      );
    },
  );
});
