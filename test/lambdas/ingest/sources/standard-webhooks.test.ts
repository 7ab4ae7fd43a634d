import { describe, expect, it } from 'vitest';
import {
  InvalidLifecycleEventError,
  LIFECYCLE_DATA_SCHEMA,
} from '../../../../lambdas/core/events/lifecycle-event.js';
import { WebhookVerificationError } from '../../../../lambdas/ingest/errors.js';
import {
  decodeStandardWebhookSecret,
  signStandardWebhook,
  standardWebhooksSource,
  verifyStandardWebhook,
} from '../../../../lambdas/ingest/sources/standard-webhooks.js';
import { hireEvent } from '../../../support/ingest-fixture.js';
import { issuePathsOf } from '../../../support/issue-paths.js';

// From the Standard Webhooks specification's reference libraries.
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  payload: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const AT_VECTOR_TIME = new Date(VECTOR.timestamp * 1000);

describe('signStandardWebhook', () => {
  it('produces the specification test vector', () => {
    expect(signStandardWebhook({ ...VECTOR, body: VECTOR.payload })).toEqual({
      'webhook-id': VECTOR.msgId,
      'webhook-timestamp': String(VECTOR.timestamp),
      'webhook-signature': VECTOR.signature,
    });
  });

  it('refuses a secret that is not whsec_ + base64 instead of signing with a guessable key', () => {
    expect(() => decodeStandardWebhookSecret('whsec_')).toThrow(TypeError);
    expect(() => decodeStandardWebhookSecret('whsec_not base64!')).toThrow(TypeError);
  });
});

describe('verifyStandardWebhook', () => {
  const headers = {
    'webhook-id': VECTOR.msgId,
    'webhook-timestamp': String(VECTOR.timestamp),
    'webhook-signature': VECTOR.signature,
  };
  const verify = (body: string, extra: Record<string, string> = {}, secrets = [VECTOR.secret]) =>
    verifyStandardWebhook(Buffer.from(body), { ...headers, ...extra }, secrets, AT_VECTOR_TIME);

  it('verifies the vector on its raw bytes', () => {
    expect(() => verify(VECTOR.payload)).not.toThrow();
    expect(() => verify(VECTOR.payload.replace(' ', ''))).toThrow(WebhookVerificationError);
  });

  it('ignores signature versions it does not know and malformed entries', () => {
    expect(() =>
      verify(VECTOR.payload, { 'webhook-signature': `v1a,abc v2,xyz junk ${VECTOR.signature}` }),
    ).not.toThrow();
    expect(() =>
      verify(VECTOR.payload, { 'webhook-signature': VECTOR.signature.replace('v1,', 'v2,') }),
    ).toThrow(WebhookVerificationError);
  });

  it('binds the id and the timestamp into the signature', () => {
    expect(() => verify(VECTOR.payload, { 'webhook-id': 'msg_other' })).toThrow(
      'no webhook-signature matches',
    );
  });

  it('never puts the secret or the expected signature into its error', () => {
    const error = (() => {
      try {
        verify('{}');
      } catch (caught) {
        return caught as Error;
      }
      throw new Error('expected a failure');
    })();
    expect(error.message).not.toContain('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw');
    expect(error.message).not.toContain('g0hM9SsE');
  });
});

describe('standardWebhooksSource.toEvents', () => {
  it('takes one canonical event or an array, keeping each event id and tenant', () => {
    const one = hireEvent('acme');
    const many = [hireEvent('globex'), hireEvent()];
    expect(standardWebhooksSource.toEvents(one, new Date())).toEqual([one]);
    expect(standardWebhooksSource.toEvents(many, new Date())).toEqual(many);
  });

  it('reads an event without dataschema as v1 (CloudEvents makes it optional) and still refuses another version', () => {
    const event = hireEvent('acme');
    const { dataschema, ...withoutSchema } = event;
    expect(dataschema).toBe(LIFECYCLE_DATA_SCHEMA);
    expect(standardWebhooksSource.toEvents(withoutSchema, new Date())).toEqual([event]);
    expect(() =>
      standardWebhooksSource.toEvents(
        { ...event, dataschema: 'urn:cpaas-lifecycle:employee:v2' },
        new Date(),
      ),
    ).toThrow(InvalidLifecycleEventError);
    expect(
      issuePathsOf(() =>
        standardWebhooksSource.toEvents([event, { ...event, dataschema: 'v2' }], new Date()),
      ),
    ).toEqual(['1.dataschema']);
  });
});
