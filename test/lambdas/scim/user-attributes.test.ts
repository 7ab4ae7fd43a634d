import { describe, expect, it } from 'vitest';
import { ScimBadRequestError } from '../../../lambdas/scim/errors.js';
import { normalizeUserAttributes } from '../../../lambdas/scim/user-attributes.js';

const VOIP = 'urn:cpaas-lifecycle:params:scim:schemas:extension:voip:2.0:User';

describe('normalizeUserAttributes', () => {
  it('keeps the published attributes, any case of their names, and drops everything else', () => {
    const user = normalizeUserAttributes(
      {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        id: 'client-chosen',
        UserName: 'ada@example.com',
        password: 'hunter2hunter2',
        locale: 'en-GB',
        name: { GivenName: 'Ada', familyName: 'Lovelace', honorificPrefix: 'Countess' },
        emails: [{ value: 'ada@example.com', type: 'work', primary: 'True', display: 'x' }],
        [VOIP]: { extension: '1234', provisioning: { status: 'applied' } },
        'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'R&D' },
        meta: { version: 'W/"9"' },
      },
      { active: true },
    );
    expect(user).toEqual({
      userName: 'ada@example.com',
      active: true,
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: 'ada@example.com', type: 'work', primary: true }],
      extension: '1234',
    });
  });

  it('reads Entra string booleans, treats null and "" as absent, and defaults active', () => {
    expect(
      normalizeUserAttributes({ userName: 'a', active: 'False', displayName: '' }, { active: true }),
    ).toEqual({
      userName: 'a',
      active: false,
    });
    expect(normalizeUserAttributes({ userName: 'a', active: null }, { active: false }).active).toBe(false);
  });

  it('refuses wrong types, missing userName and control characters, naming the attribute', () => {
    const refusal = (body: unknown) => {
      try {
        normalizeUserAttributes(body, { active: true });
      } catch (error) {
        expect(error).toBeInstanceOf(ScimBadRequestError);
        return `${(error as ScimBadRequestError).scimType} ${(error as Error).message}`;
      }
      throw new Error('expected a refusal');
    };
    expect(refusal([])).toBe('invalidSyntax a User must be a JSON object');
    expect(refusal({})).toBe('invalidValue userName: is required');
    expect(refusal({ userName: 7 })).toBe('invalidValue userName: must be a string');
    expect(refusal({ userName: 'a', emails: [{ type: 'work' }] })).toBe(
      'invalidValue emails[0].value: is required',
    );
    expect(refusal({ userName: 'a', name: { familyName: 'Love\u202Elace' } })).toMatch(
      /^invalidValue name\.familyName: must not contain control.*U\+202E at index 4/,
    );
    expect(refusal({ userName: 'a', [VOIP]: { extension: 12 } })).toBe(
      `invalidValue ${VOIP}:extension: must be a string`,
    );
    expect(refusal({ userName: 'x'.repeat(257) })).toBe(
      'invalidValue userName: must be at most 256 characters',
    );
  });
});
