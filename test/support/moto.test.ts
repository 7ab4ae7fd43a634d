import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { motoClientConfig, uniqueName } from './aws.js';

describe('moto_server test endpoint', () => {
  it('answers real SQS FIFO calls', async () => {
    const sqs = new SQSClient(motoClientConfig());
    const name = `${uniqueName('smoke')}.fifo`;
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: name, Attributes: { FifoQueue: 'true' } }),
    );
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['FifoQueue'] }),
    );
    expect(Attributes?.FifoQueue).toBe('true');
  });
});
