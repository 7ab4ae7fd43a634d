import type { SQSBatchResponse, SQSRecord } from 'aws-lambda';

export interface FifoBatchOptions {
  /** Message groups processed at the same time (a FIFO batch holds at most 10 records). */
  readonly concurrency: number;
  /** Asked before each record starts; false means "no time left": the rest come back later. */
  readonly mayStart: () => boolean;
}

/** Processes one record; throwing reports it (and the rest of its group) as a batch item failure. */
export type RecordProcessor = (record: SQSRecord) => Promise<void>;

function groupsOf(records: readonly SQSRecord[]): SQSRecord[][] {
  const groups = new Map<string, SQSRecord[]>();
  for (const record of records) {
    const id = record.attributes.MessageGroupId ?? record.messageId;
    const group = groups.get(id);
    if (group === undefined) groups.set(id, [record]);
    else group.push(record);
  }
  return [...groups.values()];
}

/**
 * FIFO partial batch processing: each message group in order, groups concurrently (bounded). When
 * a record fails, it and every later record of its group are reported as failures, so SQS
 * redelivers them in order; other groups go on. When time runs low no record starts, and every
 * record not started is reported, to come back in a later invocation.
 *
 * Written here rather than Powertools' `SqsFifoPartialProcessorAsync`: that processor runs records
 * one after the other even across groups (with `skipGroupOnError` it only skips failed groups), so
 * a batch of 10 employees costs 10 sequential API round trips; the worker must finish 10 groups in
 * about the time of one.
 */
export async function processFifoBatch(
  records: readonly SQSRecord[],
  process: RecordProcessor,
  options: FifoBatchOptions,
): Promise<SQSBatchResponse> {
  const failed = new Set<string>();
  const queue = groupsOf(records);

  async function runGroup(group: readonly SQSRecord[]): Promise<void> {
    for (const [index, record] of group.entries()) {
      let ok = options.mayStart();
      if (ok) {
        try {
          await process(record);
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        for (const rest of group.slice(index)) failed.add(rest.messageId);
        return;
      }
    }
  }

  async function worker(): Promise<void> {
    for (let group = queue.shift(); group !== undefined; group = queue.shift()) await runGroup(group);
  }

  const lanes = Math.max(1, Math.min(options.concurrency, queue.length));
  await Promise.all(Array.from({ length: lanes }, worker));
  // In batch order, as SQS and readers expect.
  return {
    batchItemFailures: records
      .filter((record) => failed.has(record.messageId))
      .map((record) => ({ itemIdentifier: record.messageId })),
  };
}
