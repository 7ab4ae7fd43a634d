import { createHash } from 'node:crypto';
import type { QueuedEvent } from '../../core/events/details-pending-event.js';
import { InvalidLifecycleEventError } from '../../core/events/lifecycle-event.js';
import { fieldIssues } from '../../core/validation/field-issues.js';
import * as z from '../../core/validation/zod.js';
import { VERIFICATION_FAILURES as F, WebhookVerificationError } from '../errors.js';
import { hmacDigest, macMatches } from './hmac.js';
import { type HrNotificationKind, notificationEvent } from './hr-notification.js';
import type { SourceAdapter, WebhookHeaders } from './source-adapter.js';

/**
 * HiBob ("Bob") webhooks v2, the only kind a new webhook can be since April 2025: slim, ordered
 * payloads `{companyId, type, triggeredBy, triggeredAt, version, data: {employeeId, ...}}` that
 * name the person but carry none of their fields, so each is queued as a details-pending event
 * and the worker fetches the person (`core/hris/hibob-api.ts`). Lifecycle events (`employee.left`
 * for a termination) fire at midnight of their effective date; the fetched record, not the event,
 * decides that it is a termination. See docs/sources/hibob.md.
 */

export const HIBOB_SIGNATURE_HEADER = 'bob-signature';

/**
 * Accepts the request when `Bob-Signature` is the base64 HMAC-SHA512, keyed with the webhook's
 * secret from Bob's webhook settings, of the raw body. Every current secret is tried (rotation).
 * HiBob signs no timestamp, so there is no replay window: a replayed body keeps its event id and
 * the worker drops it as a duplicate.
 */
export function verifyHiBobWebhook(
  rawBody: Buffer,
  headers: WebhookHeaders,
  secrets: readonly string[],
): void {
  const signature = headers[HIBOB_SIGNATURE_HEADER]?.trim();
  if (!signature)
    throw new WebhookVerificationError(F.missingHeader, `missing ${HIBOB_SIGNATURE_HEADER} header`);
  // 64 bytes of HMAC-SHA512: 86 base64 characters and the `==` padding (accepted without it).
  if (!/^[A-Za-z0-9+/]{86}(?:==)?$/.test(signature))
    throw new WebhookVerificationError(F.malformedHeader, 'signature is not a base64 HMAC-SHA512');
  const received = Buffer.from(signature, 'base64');
  let matched = false;
  for (const secret of secrets)
    matched = macMatches(received, hmacDigest('sha512', secret, rawBody)) || matched;
  if (!matched)
    throw new WebhookVerificationError(F.noValidSignature, 'signature does not match a current secret');
}

/** Signs as HiBob does; used by the HiBob fake, the tests and the local mode. */
export function signHiBobWebhook(secret: string, body: Buffer | string): string {
  return hmacDigest('sha512', secret, body).toString('base64');
}

const PING_TEXT = 'Ping test';

/**
 * HiBob's connection check when a webhook is saved: `Ping test` as a plain string, then, if that
 * failed, `{"text": "Ping test"}`. It must be answered 2xx or the webhook is not established; it
 * may come before the secret is in our webhook secrets and says nothing, so it is answered
 * without a signature check. Only these exact bodies match: anything else is verified as an event.
 */
export function isHiBobPing(rawBody: Buffer): boolean {
  if (rawBody.length > 64) return false;
  const text = rawBody.toString('utf8').trim();
  if (text === PING_TEXT || text === JSON.stringify(PING_TEXT)) return true;
  try {
    const value: unknown = JSON.parse(text);
    return (
      typeof value === 'object' &&
      value !== null &&
      Object.keys(value).length === 1 &&
      (value as { text?: unknown }).text === PING_TEXT
    );
  } catch {
    return false;
  }
}

/**
 * The employee events acted on. `employee.left` (terminated or garden leave, on the effective
 * date) and `employee.inactivated` are changes whose fetched record says terminated; `joined`
 * (access granted on the start date) is a hire like `created`; converge makes repeats harmless.
 */
const EVENT_KINDS: Readonly<Record<string, HrNotificationKind>> = {
  'employee.created': 'hired',
  'employee.joined': 'hired',
  'employee.updated': 'changed',
  'employee.left': 'leaving',
  'employee.inactivated': 'leaving',
  'employee.activated': 'changed',
  'employee.deleted': 'deleted',
};

const EnvelopeSchema = z.looseObject({
  type: z.string().check(z.minLength(1), z.maxLength(128)),
});
const EmployeeEventSchema = z.looseObject({
  companyId: z.union([z.number(), z.string().check(z.minLength(1), z.maxLength(64))]),
  triggeredAt: z.string().check(z.minLength(1), z.maxLength(64)),
  data: z.looseObject({
    // Backend ids are 19-digit numbers, sent as strings (a JSON number would lose digits).
    employeeId: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a HiBob employee id')),
  }),
});

/**
 * The field ids of an `employee.updated`, for the logs only (the worker fetches what it needs),
 * so their exact shape (ids, or objects with `fieldId`) never makes a valid event fail.
 */
function changedFieldIds(data: Record<string, unknown>): string[] | undefined {
  const updates = data.fieldUpdates ?? data.fieldIds;
  if (!Array.isArray(updates)) return undefined;
  const ids = updates.map((update: unknown) =>
    typeof update === 'object' && update !== null ? (update as { fieldId?: unknown }).fieldId : update,
  );
  return ids.filter((id): id is string => typeof id === 'string' && id.length <= 128).slice(0, 200);
}

/**
 * The event id. HiBob v2 carries no delivery id, so it is a hash of what every retry of one event
 * repeats and two events do not share: the company, type, employee, the event's own
 * `triggeredAt` (microseconds) and the changed fields. The worker's processed-event records (7
 * days) then drop a retry that comes days later.
 */
export function hiBobEventId(
  companyId: string,
  type: string,
  employeeId: string,
  triggeredAt: string,
  fields: readonly string[] = [],
): string {
  return createHash('sha256')
    .update(`hibob\n${companyId}\n${type}\n${employeeId}\n${triggeredAt}\n${fields.join(',')}`)
    .digest('hex');
}

function toEvents(body: unknown, now: Date): QueuedEvent[] {
  const envelope = EnvelopeSchema.safeParse(body);
  if (!envelope.success)
    throw new InvalidLifecycleEventError('invalid HiBob webhook', fieldIssues(envelope.error));
  const { type } = envelope.data;
  const kind = EVENT_KINDS[type];
  // Table, time-off, task and document events, and unknown types: acknowledged, nothing to do.
  if (kind === undefined) return [];
  const parsed = EmployeeEventSchema.safeParse(body);
  if (!parsed.success)
    throw new InvalidLifecycleEventError('invalid HiBob webhook', fieldIssues(parsed.error));
  const { companyId, triggeredAt, data } = parsed.data;
  const { employeeId } = data;
  const changedFields = changedFieldIds(data);
  return [
    notificationEvent({
      kind,
      source: 'hibob',
      employeeId,
      id: hiBobEventId(String(companyId), type, employeeId, triggeredAt, changedFields),
      time: now.toISOString(),
      ...(changedFields === undefined ? {} : { changedFields }),
    }),
  ];
}

/** `POST /webhooks/hibob`: one webhook (and secret) per HiBob company. */
export const hiBobSource: SourceAdapter = {
  name: 'hibob',
  verify: verifyHiBobWebhook,
  toEvents,
  handshake: (rawBody) => (isHiBobPing(rawBody) ? { registrationId: '' } : undefined),
};
