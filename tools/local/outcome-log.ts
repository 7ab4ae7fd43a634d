import type { SQSRecord } from 'aws-lambda';
import { escapeUnsafeText } from '../../lambdas/core/events/clean-text.js';
import type { BatchReport } from './event-source.js';

function eventOf(record: SQSRecord): { type: string; id: string; employee: string } {
  try {
    const event = JSON.parse(record.body) as { type?: unknown; id?: unknown; subject?: unknown };
    return {
      type: typeof event.type === 'string' ? event.type : 'unknown event',
      id: typeof event.id === 'string' ? event.id : record.messageId,
      employee: typeof event.subject === 'string' ? event.subject : '?',
    };
  } catch {
    return { type: 'unparsable message', id: record.messageId, employee: '?' };
  }
}

/**
 * One human-readable line per message of a batch: what the local user watches after `npm start`.
 * Only ids and types, never an email or a name; escaped, since a message body can say anything. A message the worker acknowledged is "handled",
 * which includes events it dead-lettered on purpose (the DLQ line says so).
 */
export function describeBatch(
  report: BatchReport,
  limits: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): string[] {
  return report.records.map((record) => escapeUnsafeText(describeRecord(report, record, limits)));
}

function describeRecord(
  report: BatchReport,
  record: SQSRecord,
  limits: { maxReceiveCount: number; visibilityTimeoutSeconds: number },
): string {
  const { type, id, employee } = eventOf(record);
  const subject = `${type} employee ${employee} (event ${id})`;
  if (!report.failedMessageIds.has(record.messageId)) return `handled  ${subject} in ${report.durationMs} ms`;
  const attempt = Number(record.attributes.ApproximateReceiveCount);
  const why = report.error ? `: ${report.error.name}: ${report.error.message}` : '';
  const next =
    attempt >= limits.maxReceiveCount
      ? 'SQS moves it to the DLQ on the next receive'
      : `retry in ${limits.visibilityTimeoutSeconds} s`;
  return `failed   ${subject} attempt ${attempt}/${limits.maxReceiveCount}${why}; ${next}`;
}
