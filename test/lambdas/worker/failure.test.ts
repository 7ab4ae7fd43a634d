import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { LifecycleError } from '../../../lambdas/contract/errors.js';
import {
  CpaasAuthError,
  CpaasNetworkError,
  CpaasRateLimitError,
  CpaasRequestValidationError,
  CpaasServerError,
  CpaasTimeoutError,
  CpaasValidationError,
} from '../../../lambdas/core/cpaas/errors.js';
import {
  InvalidLifecycleEventError,
  parseLifecycleEvent,
} from '../../../lambdas/core/events/lifecycle-event.js';
import { DynamoStateStore } from '../../../lambdas/core/state/state-store.js';
import { UnsupportedEventVersionError } from '../../../lambdas/worker/errors.js';
import { classifyFailure } from '../../../lambdas/worker/failure.js';

describe('classifyFailure', () => {
  it.each([
    new InvalidLifecycleEventError('invalid lifecycle event: data.workEmail: Invalid email', []),
    new UnsupportedEventVersionError('unsupported event dataschema'),
    new CpaasValidationError('CPaaS API 400', { status: 400 }),
    new CpaasRequestValidationError('invalid CPaaS request, not sent'),
  ])('permanent: $name', (error) => {
    expect(classifyFailure(error).kind).toBe('permanent');
  });

  it.each([
    new CpaasRateLimitError('429', { status: 429 }),
    new CpaasServerError('503', { status: 503 }),
    new CpaasTimeoutError('deadline'),
    new CpaasNetworkError('reset'),
    new CpaasAuthError('401 after a refresh', { status: 401 }),
  ])('transient: $name', (error) => {
    expect(classifyFailure(error).kind).toBe('transient');
  });

  it('reads permanent from the error, so a new permanent error needs no change here', () => {
    class NewAreaRejection extends LifecycleError {
      override readonly name = 'NewAreaRejection';
      readonly permanent = true;
    }
    class NewAreaHiccup extends LifecycleError {
      override readonly name = 'NewAreaHiccup';
      readonly permanent = false;
    }
    expect(classifyFailure(new NewAreaRejection('rejected'))).toMatchObject({
      kind: 'permanent',
      errorClass: 'NewAreaRejection',
    });
    expect(classifyFailure(new NewAreaHiccup('hiccup')).kind).toBe('transient');
  });

  it('a body that is not JSON is permanent', () => {
    let thrown: unknown;
    try {
      parseLifecycleEvent('{not json');
    } catch (error) {
      thrown = error;
    }
    expect(classifyFailure(thrown)).toMatchObject({
      kind: 'permanent',
      errorClass: 'InvalidLifecycleEventError',
    });
  });

  it('redacts email addresses from the message it reports', () => {
    const failure = classifyFailure(
      new CpaasValidationError('CPaaS API 400: ada@example.com already exists'),
    );
    expect(failure.message).not.toContain('ada@example.com');
    expect(failure.message).toContain('<email>');
  });
});

describe('AWS throttling', () => {
  const dynamo = mockClient(DynamoDBDocumentClient);
  afterEach(() => dynamo.reset());

  it('a throttled state-table read is transient, so SQS redelivers the message', async () => {
    dynamo.on(GetCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const store = new DynamoStateStore({
      client: new DynamoDBClient({
        // Loopback, should the mock ever not intercept: tests never leave this machine.
        endpoint: 'http://127.0.0.1:9',
        region: 'us-east-1',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      }),
      tableName: 't',
    });
    const error = await store.getLink('default:E1').catch((caught: unknown) => caught);
    expect(classifyFailure(error)).toMatchObject({
      kind: 'transient',
      errorClass: 'ProvisionedThroughputExceededException',
    });
  });
});
