import { createHash } from 'node:crypto';
import type { QueuedEvent } from '../../core/events/details-pending-event.js';
import { InvalidLifecycleEventError } from '../../core/events/lifecycle-event.js';
import { fieldIssues } from '../../core/validation/field-issues.js';
import * as z from '../../core/validation/zod.js';
import { VERIFICATION_FAILURES as F, WebhookVerificationError } from '../errors.js';
import { hmacSha256, macMatches } from './hmac.js';
import { type HrNotificationKind, notificationEvent } from './hr-notification.js';
import type { SourceAdapter, WebhookHeaders } from './source-adapter.js';

/**
 * BambooHR, both webhook kinds: global webhooks (set up in the admin UI; `{employees: [{id,
 * action, changedFields, fields}]}`) and permissioned webhooks (created through the API;
 * `{type, timestamp, data: {companyId, employeeId, changedFields}}`). Neither carries the person
 * reliably, so each is queued as a details-pending event and the worker fetches the employee
 * (`core/hris/bamboohr-api.ts`). A termination arrives as an update of the status fields; the
 * fetched record, not the webhook, decides that it is one. See docs/sources/bamboohr.md.
 */

export const BAMBOOHR_SIGNATURE_HEADER = 'x-bamboohr-signature';
export const BAMBOOHR_TIMESTAMP_HEADER = 'x-bamboohr-timestamp';
/** BambooHR's documented replay window: a timestamp older than 5 minutes is refused. */
export const BAMBOOHR_TOLERANCE_SECONDS = 5 * 60;

/**
 * Accepts the request when `X-BambooHR-Timestamp` (unix seconds) is at most 5 minutes old (or
 * ahead) and `X-BambooHR-Signature` is the hex HMAC-SHA256, keyed with the webhook's private key,
 * of the raw body followed by the timestamp. Every current key is tried (rotation).
 */
export function verifyBambooHrWebhook(
  rawBody: Buffer,
  headers: WebhookHeaders,
  secrets: readonly string[],
  now: Date,
): void {
  const signature = headers[BAMBOOHR_SIGNATURE_HEADER]?.trim();
  const timestamp = headers[BAMBOOHR_TIMESTAMP_HEADER]?.trim();
  if (!signature || !timestamp)
    throw new WebhookVerificationError(
      F.missingHeader,
      `missing ${BAMBOOHR_SIGNATURE_HEADER} or ${BAMBOOHR_TIMESTAMP_HEADER} header`,
    );
  if (!/^[0-9a-f]{64}$/i.test(signature))
    throw new WebhookVerificationError(F.malformedHeader, 'signature is not 64 hex digits');
  if (!/^\d{1,12}$/.test(timestamp))
    throw new WebhookVerificationError(F.malformedHeader, 'timestamp is not unix seconds');
  if (Math.abs(now.getTime() / 1000 - Number(timestamp)) > BAMBOOHR_TOLERANCE_SECONDS)
    throw new WebhookVerificationError(F.timestampOutsideTolerance, 'timestamp older than 5 minutes');
  const received = Buffer.from(signature, 'hex');
  let matched = false;
  for (const key of secrets) matched = macMatches(received, hmacSha256(key, rawBody, timestamp)) || matched;
  if (!matched)
    throw new WebhookVerificationError(F.noValidSignature, 'signature does not match a current key');
}

/** Signs as BambooHR does; used by the BambooHR fake, the tests and the local mode. */
export function signBambooHrWebhook(key: string, body: Buffer | string, timestamp: string): string {
  return hmacSha256(key, body, timestamp).toString('hex');
}

const EmployeeIdSchema = z.union([
  z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a BambooHR employee id')),
  z.number().check(z.int(), z.nonnegative()),
]);
const ChangedFieldsSchema = z.optional(z.array(z.string()));

const GlobalWebhookSchema = z.looseObject({
  employees: z
    .array(
      z.looseObject({
        id: EmployeeIdSchema,
        action: z.enum(['Created', 'Updated', 'Deleted']),
        changedFields: ChangedFieldsSchema,
      }),
    )
    .check(z.maxLength(1000)),
});

const EventWebhookSchema = z.looseObject({
  type: z.string().check(z.minLength(1)),
  timestamp: z.string().check(z.minLength(1), z.maxLength(64)),
  data: z.looseObject({ employeeId: EmployeeIdSchema, changedFields: ChangedFieldsSchema }),
});

/** BambooHR's own word for what happened, part of the event id (so kept apart from the notification's kind). */
type BambooHrAction = 'created' | 'updated' | 'deleted';
const EVENT_ACTIONS: Readonly<Record<string, BambooHrAction>> = {
  'employee.created': 'created',
  'employee.updated': 'updated',
  'employee.deleted': 'deleted',
};
const GLOBAL_ACTIONS: Readonly<Record<string, BambooHrAction>> = {
  Created: 'created',
  Updated: 'updated',
  Deleted: 'deleted',
};

/**
 * The event id: a hash of what is the same on every retry of one delivery and differs between
 * two changes, so the worker's processed-event records (kept 7 days) drop a retry days later. The
 * permissioned format carries the change's own `timestamp`; the global format carries none, so its
 * request's `X-BambooHR-Timestamp` stands in (see docs/sources/bamboohr.md: if BambooHR stamps
 * each retry anew, a retry is applied again, which is harmless because each application converges
 * to the record fetched then).
 */
export function bambooHrEventId(
  action: BambooHrAction,
  employeeId: string,
  changedAt: string,
  fields: readonly string[] = [],
): string {
  return createHash('sha256')
    .update(`bamboohr\n${action}\n${employeeId}\n${changedAt}\n${fields.join(',')}`)
    .digest('hex');
}

/**
 * BambooHR fields whose change may end access (compared case-insensitively): such an update goes
 * on the priority lane. BambooHR reports a termination as an update of these.
 */
export const BAMBOOHR_LEAVING_FIELDS = [
  'status',
  'terminationdate',
  'employmenthistorystatus',
  'employmentstatus',
];

/** BambooHR names no leaving event: an update of a leaving field is one. */
function notificationKind(
  action: BambooHrAction,
  changedFields: readonly string[] | undefined,
): HrNotificationKind {
  if (action === 'created') return 'hired';
  if (action === 'deleted') return 'deleted';
  const leaving = changedFields?.some((field) => BAMBOOHR_LEAVING_FIELDS.includes(field.toLowerCase()));
  return leaving === true ? 'leaving' : 'changed';
}

function toEvent(
  action: BambooHrAction,
  employeeId: string,
  changedAt: string,
  changedFields: readonly string[] | undefined,
  now: Date,
): QueuedEvent {
  return notificationEvent({
    kind: notificationKind(action, changedFields),
    source: 'bamboohr',
    employeeId,
    id: bambooHrEventId(action, employeeId, changedAt, changedFields),
    time: now.toISOString(),
    ...(changedFields === undefined ? {} : { changedFields: changedFields.slice(0, 200) }),
  });
}

function toEvents(body: unknown, now: Date, headers: WebhookHeaders = {}): QueuedEvent[] {
  if (typeof body === 'object' && body !== null && 'employees' in body) {
    const parsed = GlobalWebhookSchema.safeParse(body);
    if (!parsed.success)
      throw new InvalidLifecycleEventError('invalid BambooHR webhook', fieldIssues(parsed.error));
    const sentAt = headers[BAMBOOHR_TIMESTAMP_HEADER] ?? '';
    return parsed.data.employees.map((employee) =>
      toEvent(
        GLOBAL_ACTIONS[employee.action] ?? 'updated',
        String(employee.id),
        sentAt,
        employee.changedFields,
        now,
      ),
    );
  }
  const parsed = EventWebhookSchema.safeParse(body);
  if (!parsed.success)
    throw new InvalidLifecycleEventError('invalid BambooHR webhook', fieldIssues(parsed.error));
  const action = EVENT_ACTIONS[parsed.data.type];
  if (action === undefined) return [];
  return [
    toEvent(
      action,
      String(parsed.data.data.employeeId),
      parsed.data.timestamp,
      parsed.data.data.changedFields,
      now,
    ),
  ];
}

/** `POST /webhooks/bamboohr`: one webhook (and private key) per BambooHR company. */
export const bambooHrSource: SourceAdapter = {
  name: 'bamboohr',
  verify: verifyBambooHrWebhook,
  toEvents,
};
