import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  ScimBadRequestError,
  type ScimError,
  ScimMethodNotAllowedError,
  ScimPayloadTooLargeError,
  ScimUnauthorizedError,
  ScimUnsupportedMediaTypeError,
} from './errors.js';
import { SCIM_URNS } from './schema-urns.js';

/** The media type of every answer (RFC 7644 section 3.1); requests may also be `application/json`. */
export const SCIM_MEDIA_TYPE = 'application/scim+json';

/**
 * Largest request body read (64 KiB): a User or a PatchOp is a few KiB, and the stored user and
 * its outbox must stay far below DynamoDB's 400 KB item limit. Larger answers 413 before any work.
 */
export const MAX_SCIM_BODY_BYTES = 64 * 1024;

export type ScimResult = APIGatewayProxyStructuredResultV2;

export function scimReply(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): ScimResult {
  return {
    statusCode,
    headers: { 'content-type': SCIM_MEDIA_TYPE, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  };
}

/** The RFC 7644 Error response (section 3.12): `status` is a string, `scimType` where one applies. */
export function scimErrorReply(error: ScimError): ScimResult {
  const headers: Record<string, string> = {};
  if (error instanceof ScimMethodNotAllowedError) headers.allow = error.allow.join(', ');
  if (error instanceof ScimUnauthorizedError) headers['www-authenticate'] = 'Bearer realm="scim"';
  if (error.status === 503) headers['retry-after'] = '5';
  return scimReply(
    error.status,
    {
      schemas: [SCIM_URNS.error],
      status: String(error.status),
      ...(error.scimType === undefined ? {} : { scimType: error.scimType }),
      detail: error.message,
    },
    headers,
  );
}

/** The 500 for a failure that is not a `ScimError`: no detail, the log has the error class. */
export function internalErrorReply(): ScimResult {
  return scimReply(500, { schemas: [SCIM_URNS.error], status: '500', detail: 'internal error' });
}

export function lowerCaseHeaders(
  headers: APIGatewayProxyEventV2['headers'],
): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value;
  return result;
}

/** `application/json`, `application/scim+json` or any `+json` type, with parameters or without. */
const JSON_MEDIA_TYPE = /^\s*application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * The request body as JSON: 413 past `MAX_SCIM_BODY_BYTES`, 415 for a media type that is not
 * JSON (none at all is read as JSON: some clients leave it out), 400 `invalidSyntax` for bytes
 * that are not UTF-8 JSON.
 */
export function jsonBody(event: APIGatewayProxyEventV2): unknown {
  const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
  if (raw.length > MAX_SCIM_BODY_BYTES) {
    throw new ScimPayloadTooLargeError(`body exceeds ${MAX_SCIM_BODY_BYTES} bytes`);
  }
  const contentType = lowerCaseHeaders(event.headers)['content-type'];
  if (contentType !== undefined && !JSON_MEDIA_TYPE.test(contentType)) {
    throw new ScimUnsupportedMediaTypeError(`content-type must be ${SCIM_MEDIA_TYPE} or application/json`);
  }
  try {
    return JSON.parse(STRICT_UTF8.decode(raw));
  } catch {
    throw new ScimBadRequestError('invalidSyntax', 'body is not UTF-8 JSON');
  }
}

/** The bearer token of the `Authorization` header (RFC 6750), if there is one. */
export function bearerToken(event: APIGatewayProxyEventV2): string | undefined {
  const header = lowerCaseHeaders(event.headers).authorization;
  const match = /^\s*bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
