import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';

/**
 * Worker Lambda entry point (SQS FIFO event source, partial batch responses). The signature is
 * final so the stack can bundle this file; the wiring lands in the next commits.
 */
export async function handler(_event: SQSEvent, _context: Context): Promise<SQSBatchResponse> {
  throw new Error('worker handler not wired yet');
}
