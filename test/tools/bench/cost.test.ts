import { describe, expect, it } from 'vitest';
import { AWS_PRICES } from '../../../tools/bench/aws-prices.js';
import { type CostInputs, costPerMillionEvents, writeUnitsOf } from '../../../tools/bench/cost.js';

const inputs: CostInputs = {
  workerMsPerEvent: 100,
  eventsPerWorkerInvocation: 1,
  ingestMsPerEvent: 10,
  memoryMb: 512,
  dynamoCallsPerEvent: { GetItem: 1.2, PutItem: 0.2, UpdateItem: 2 },
  secretsManagerCallsPerEvent: 0.01,
  logBytesPerEvent: 1024,
};

const dollars = (lines: ReturnType<typeof costPerMillionEvents>) =>
  Object.fromEntries(lines.map((line) => [line.item, Number(line.dollars.toFixed(4))]));

describe('costPerMillionEvents', () => {
  it('prices each event received, deleted and invoked on its own at list prices', () => {
    expect(dollars(costPerMillionEvents(inputs))).toEqual({
      'Lambda worker compute': Number((50_000 * AWS_PRICES.lambdaGbSecondArm).toFixed(4)),
      'Lambda ingest compute': Number((5_000 * AWS_PRICES.lambdaGbSecondArm).toFixed(4)),
      'Lambda requests': 0.4,
      'SQS FIFO': 1.5,
      'DynamoDB writes': 1.375,
      'DynamoDB reads': 0.15,
      'Secrets Manager calls': 0.05,
      'CloudWatch Logs': Number(((1_000_000 * 1024) / 1024 ** 3 / 2).toFixed(4)),
    });
  });

  it('shares the receive, the delete and the worker invocation among the events of a batch, not the send', () => {
    const batched = dollars(costPerMillionEvents({ ...inputs, eventsPerWorkerInvocation: 10 }));
    expect(batched['SQS FIFO']).toBe(0.6);
    expect(batched['Lambda requests']).toBe(0.22);
    expect(batched['DynamoDB writes']).toBe(1.375);
  });

  it('shows its arithmetic, ending in the line amount', () => {
    const sqs = costPerMillionEvents({ ...inputs, eventsPerWorkerInvocation: 10 }).find(
      (line) => line.item === 'SQS FIFO',
    );
    expect(sqs?.arithmetic).toBe('(1 send + 2 / 10 receive and delete) requests x 1M x $0.5 / 1M = $0.60');
  });
});

describe('writeUnitsOf', () => {
  it('counts a two-item transaction as four write units and a read as none', () => {
    expect(writeUnitsOf({ PutItem: 1, TransactWriteItems: 1, GetItem: 3 })).toBe(5);
  });
});
