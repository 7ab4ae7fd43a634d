import { describe, expect, it } from 'vitest';
import type { User } from '../../../../lambdas/core/cpaas/schemas.js';
import { mergeUserFields, mergeUserUpdate } from '../../../../lambdas/core/cpaas/user-merge.js';

const current: User = {
  id: 'u'.repeat(32),
  email: 'someone@example.test',
  first_name: 'A',
  last_name: 'B',
  enabled: true,
  caller_id: { internal: { number: '1001' }, external: { number: '+15550100' } },
  call_recording: { inbound: { any: { enabled: true, format: 'mp3' } } },
  vendor_only_setting: { kept: true },
};

describe('mergeUserUpdate', () => {
  it('keeps every field it was not asked to change, unknown ones included, and drops the id', () => {
    const body = mergeUserUpdate(current, { enabled: false });
    const { id: _id, ...rest } = current;
    expect(body).toEqual({ ...rest, enabled: false });
  });

  it('merges nested settings field by field', () => {
    const body = mergeUserUpdate(current, { caller_id: { internal: { number: '2002' } } });
    expect(body.caller_id).toEqual({ internal: { number: '2002' }, external: { number: '+15550100' } });
    expect(body.call_recording).toEqual(current.call_recording);
  });

  it('ignores undefined changes and does not touch the user it read', () => {
    const before = structuredClone(current);
    const body = mergeUserUpdate(current, { first_name: undefined, caller_id: { internal: undefined } });
    expect(body.first_name).toBe('A');
    expect(body.caller_id).toEqual(current.caller_id);
    expect(current).toEqual(before);
  });
});

describe('mergeUserFields', () => {
  it('replaces arrays and scalars, builds objects that did not exist, leaves out undefined', () => {
    expect(
      mergeUserFields(
        { flags: ['a', 'b'], timezone: 'UTC' },
        {
          flags: ['c'],
          timezone: 'Europe/Paris',
          do_not_disturb: { enabled: true, note: undefined },
        },
      ),
    ).toEqual({ flags: ['c'], timezone: 'Europe/Paris', do_not_disturb: { enabled: true } });
  });
});
