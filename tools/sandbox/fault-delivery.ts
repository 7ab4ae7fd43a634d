import type { ServerResponse } from 'node:http';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import type { FaultDecision } from './faults.js';
import { errorReply, send } from './replies.js';

/**
 * Fails one request the way the decision says: a hang sends nothing (the client's timeout must
 * fire), a reset drops the socket, a status answers with the vendor's 429 or 5xx envelope.
 */
export function deliverFault(res: ServerResponse, requestId: string, decision: FaultDecision): void {
  if (decision.kind === 'hang' || decision.kind === 'none') return;
  if (decision.kind === 'reset') {
    res.socket?.resetAndDestroy();
    return;
  }
  const reply =
    decision.status === 429
      ? errorReply(429, CPAAS_ERROR_CODES.rateLimited, 'too many requests')
      : errorReply(decision.status, CPAAS_ERROR_CODES.internal, 'internal error');
  if (decision.retryAfterSeconds !== undefined) {
    reply.headers = { 'retry-after': String(decision.retryAfterSeconds) };
  }
  send(res, requestId, reply);
}
