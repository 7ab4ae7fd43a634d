import type { ServerResponse } from 'node:http';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import type * as z from '../../lambdas/core/validation/zod.js';
import type { StoreResult } from './user-store.js';

/** What the sandbox answers: a status, the vendor's JSON envelope (without request id) and extra headers. */
export type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

/** The request body is not JSON; the API answers 400 with the vendor's validation code. */
export class BadBody extends Error {}

export function ok(fields: Record<string, unknown>): Reply {
  return { status: 200, body: { status_code: 200, ...fields } };
}

/** The vendor's error envelope: HTTP status echoed in `status_code`, an `error_code`, per-field `errors`. */
export function errorReply(status: number, errorCode: number, message: string, errors?: unknown[]): Reply {
  return {
    status,
    body: {
      status_code: status,
      error_code: errorCode,
      message,
      ...(errors === undefined ? {} : { errors }),
    },
  };
}

export function userNotFound(): Reply {
  return errorReply(404, CPAAS_ERROR_CODES.notFound, 'user not found');
}

export function invalidJson(): Reply {
  return errorReply(400, CPAAS_ERROR_CODES.validation, 'request body is not valid JSON');
}

/** A store write as the vendor answers it: the user, 404, or the duplicate-email 400. */
export function fromStore(result: StoreResult): Reply {
  if (result.ok) return ok({ data: result.user });
  return result.reason === 'notFound'
    ? userNotFound()
    : errorReply(400, CPAAS_ERROR_CODES.duplicateEmail, 'email already exists', [
        { field: 'email', message: 'email already exists' },
      ]);
}

/** The body checked against the vendor's schema: the value, or the 400 listing each bad field. */
export function parseBody<T extends z.ZodMiniType>(schema: T, raw: string): { value: z.infer<T> } | Reply {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new BadBody();
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { value: parsed.data };
  return errorReply(
    400,
    CPAAS_ERROR_CODES.validation,
    'validation failed',
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
  );
}

/** Writes a reply with the request id in the body and in `x-request-id`, as the vendor does. */
export function send(res: ServerResponse, requestId: string, reply: Reply): void {
  const body = JSON.stringify({ ...reply.body, request_id: requestId });
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    ...reply.headers,
  });
  res.end(body);
}
