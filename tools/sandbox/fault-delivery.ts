import type { ServerResponse } from 'node:http';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import type { FaultDecision } from './faults.js';
import { errorReply, type Reply, send } from './replies.js';

/**
 * Fails one request the way the decision says: a hang sends nothing (the client's timeout must
 * fire), a reset drops the socket, a status answers with the vendor's 400, 429 or 5xx envelope.
 */
export function deliverFault(res: ServerResponse, requestId: string, decision: FaultDecision): void {
  if (decision.kind === 'hang' || decision.kind === 'none') return;
  if (decision.kind === 'reset') {
    res.socket?.resetAndDestroy();
    return;
  }
  const reply = errorReplyFor(decision.status);
  if (decision.retryAfterSeconds !== undefined) {
    reply.headers = { 'retry-after': String(decision.retryAfterSeconds) };
  }
  send(res, requestId, reply);
}

function errorReplyFor(status: number): Reply {
  if (status === 429) return errorReply(429, CPAAS_ERROR_CODES.rateLimited, 'too many requests');
  if (status === 400) return errorReply(400, CPAAS_ERROR_CODES.validation, 'rejected by an injected fault');
  return errorReply(status, CPAAS_ERROR_CODES.internal, 'internal error');
}
