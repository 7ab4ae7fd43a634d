import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { describeBatch } from '../../../tools/local/outcome-log.js';

const record = (messageId: string, body: string, receiveCount: number) =>
  ({
    messageId,
    body,
    attributes: { ApproximateReceiveCount: String(receiveCount) },
  }) as unknown as SQSRecord;
const limits = { maxReceiveCount: 5, visibilityTimeoutSeconds: 10 };
const event = (id: string) =>
  JSON.stringify({ id, type: 'employee.hired', subject: 'E1', data: { workEmail: 'e1@example.com' } });

describe('describeBatch', () => {
  it('says which events were handled and when failures come back, without personal data', () => {
    const lines = describeBatch(
      {
        records: [record('m1', event('evt-1'), 1), record('m2', event('evt-2'), 2)],
        failedMessageIds: new Set(['m2']),
        durationMs: 12,
      },
      limits,
    );
    expect(lines).toEqual([
      'handled  employee.hired employee E1 (event evt-1) in 12 ms',
      'failed   employee.hired employee E1 (event evt-2) attempt 2/5; retry in 10 s',
    ]);
    expect(lines.join('\n')).not.toContain('@');
  });

  it('names the error of a failed batch and the last attempt', () => {
    const [line] = describeBatch(
      {
        records: [record('m1', 'not json', 5)],
        failedMessageIds: new Set(['m1']),
        error: new TypeError('boom'),
        durationMs: 1,
      },
      limits,
    );
    expect(line).toBe(
      'failed   unparsable message employee ? (event m1) attempt 5/5: TypeError: boom; SQS moves it to the DLQ on the next receive',
    );
  });

  it('escapes control characters, so a message cannot forge a line or clear the screen', () => {
    const forged = JSON.stringify({
      id: 'x\nhandled  employee.terminated employee CEO (event y)',
      type: 'employee.terminated\u001b[2J',
      subject: 'E1\u0007',
    });
    const lines = describeBatch(
      { records: [record('m1', forged, 1)], failedMessageIds: new Set(), durationMs: 3 },
      limits,
    );
    expect(lines).toEqual([
      'handled  employee.terminated\\u001B[2J employee E1\\u0007 (event x\\u000Ahandled  employee.terminated employee CEO (event y)) in 3 ms',
    ]);
  });
});
