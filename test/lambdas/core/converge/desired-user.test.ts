import { describe, expect, it } from 'vitest';
import {
  changedFields,
  desiredFields,
  mergedUserInput,
  newUserInput,
} from '../../../../lambdas/core/converge/desired-user.js';
import type { User } from '../../../../lambdas/core/cpaas/schemas.js';

const data = {
  employeeId: 'E1',
  workEmail: 'ada@example.com',
  firstName: 'Ada',
  lastName: 'Lovelace',
  timezone: 'Europe/London',
  extension: '1234',
  externalCallerId: '+442071234567',
};

describe('desiredFields', () => {
  it('maps HRIS fields to the CPaaS fields, the extension to presence_id and the internal caller id', () => {
    expect(desiredFields(data, true)).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      enabled: true,
      timezone: 'Europe/London',
      presence_id: '1234',
      caller_id: { internal: { number: '1234' }, external: { number: '+442071234567' } },
    });
  });

  it('leaves out optional fields the HRIS did not send, so they stay unmanaged', () => {
    const fields = desiredFields(
      { employeeId: 'E1', workEmail: 'a@b.co', firstName: 'A', lastName: 'B' },
      false,
    );
    expect(fields).toEqual({ email: 'a@b.co', first_name: 'A', last_name: 'B', enabled: false });
    expect(newUserInput(fields)).toEqual(fields);
  });
});

describe('mergedUserInput and changedFields', () => {
  const current: User = {
    id: 'u'.repeat(32),
    email: 'ADA@example.com',
    first_name: 'Ada',
    last_name: 'Byron',
    enabled: true,
    timezone: 'Europe/London',
    presence_id: '1234',
    caller_id: {
      internal: { number: '1234' },
      external: { number: '+15550000000' },
      emergency: { number: '911' },
    },
    call_forward: { enabled: true, number: '+15551112222' },
    call_recording: { any: { any: { enabled: true } } },
    vendor_field: 'kept',
  };

  it('names only the managed fields that differ; email case does not count', () => {
    expect(changedFields(current, desiredFields(data, true))).toEqual([
      'last_name',
      'caller_id.external.number',
    ]);
    expect(
      changedFields(
        { ...current, last_name: 'Lovelace' },
        desiredFields({ ...data, externalCallerId: undefined }, true),
      ),
    ).toEqual([]);
  });

  it('keeps every field we do not manage and never sends the id in the body', () => {
    const body = mergedUserInput(current, desiredFields(data, true));
    expect(body).toEqual({
      email: 'ada@example.com',
      first_name: 'Ada',
      last_name: 'Lovelace',
      enabled: true,
      timezone: 'Europe/London',
      presence_id: '1234',
      caller_id: {
        internal: { number: '1234' },
        external: { number: '+442071234567' },
        emergency: { number: '911' },
      },
      call_forward: { enabled: true, number: '+15551112222' },
      call_recording: { any: { any: { enabled: true } } },
      vendor_field: 'kept',
    });
  });
});
