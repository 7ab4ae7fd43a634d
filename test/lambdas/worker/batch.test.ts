import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { processFifoBatch } from '../../../lambdas/worker/batch.js';
import { sqsRecord } from '../../support/records.js';

const records = (spec: string[]): SQSRecord[] => spec.map((name) => sqsRecord(name, name.slice(0, 1)));
const failuresOf = (all: SQSRecord[], response: { batchItemFailures: { itemIdentifier: string }[] }) =>
  response.batchItemFailures.map((failure) => all.find((r) => r.messageId === failure.itemIdentifier)?.body);

describe('processFifoBatch', () => {
  it('reports the failed record and every later record of its group; other groups finish', async () => {
    const batch = records(['A1', 'B1', 'A2', 'B2', 'A3', 'B3']);
    const done: string[] = [];
    const response = await processFifoBatch(
      batch,
      async (record) => {
        if (record.body === 'A2') throw new Error('boom');
        done.push(record.body);
      },
      { concurrency: 4, mayStart: () => true },
    );
    expect(failuresOf(batch, response)).toEqual(['A2', 'A3']);
    expect(done.sort()).toEqual(['A1', 'B1', 'B2', 'B3']);
  });

  it('keeps order within a group while groups run concurrently', async () => {
    const batch = records(['A1', 'B1', 'A2', 'B2', 'A3']);
    const order: string[] = [];
    let running = 0;
    let maxRunning = 0;
    await processFifoBatch(
      batch,
      async (record) => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        order.push(record.body);
        running -= 1;
      },
      { concurrency: 10, mayStart: () => true },
    );
    expect(order.filter((body) => body.startsWith('A'))).toEqual(['A1', 'A2', 'A3']);
    expect(order.filter((body) => body.startsWith('B'))).toEqual(['B1', 'B2']);
    expect(maxRunning).toBe(2);
  });

  it('never runs more groups at once than the bound', async () => {
    const batch = records(['A1', 'B1', 'C1', 'D1', 'E1']);
    let running = 0;
    let maxRunning = 0;
    await processFifoBatch(
      batch,
      async () => {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
      },
      { concurrency: 2, mayStart: () => true },
    );
    expect(maxRunning).toBe(2);
  });

  it('starts nothing once time runs low and reports every record not started', async () => {
    const batch = records(['A1', 'A2', 'B1', 'B2']);
    let budget = 2;
    const done: string[] = [];
    const response = await processFifoBatch(
      batch,
      async (record) => {
        done.push(record.body);
      },
      { concurrency: 1, mayStart: () => budget-- > 0 },
    );
    expect(done).toEqual(['A1', 'A2']);
    expect(failuresOf(batch, response)).toEqual(['B1', 'B2']);
  });
});
