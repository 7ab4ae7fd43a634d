import type { QueuedEvent } from '../../core/events/details-pending-event.js';
import { InvalidLifecycleEventError } from '../../core/events/lifecycle-event.js';
import { fieldIssues } from '../../core/validation/field-issues.js';
import * as z from '../../core/validation/zod.js';
import { VERIFICATION_FAILURES as F, WebhookVerificationError } from '../errors.js';
import { hmacSha256, macMatches } from './hmac.js';
import { type HrNotificationKind, notificationEvent } from './hr-notification.js';
import type { SourceAdapter, SourceHandshake, WebhookHeaders } from './source-adapter.js';

/**
 * Gusto webhooks: thin events `{uuid, event_type, resource_type: "Company", resource_uuid,
 * entity_type, entity_uuid, timestamp}`, so each employee event is queued as a details-pending
 * event and the worker fetches the employee (`core/hris/gusto-api.ts`); the fetched record decides
 * whether it is a termination. Before any event, Gusto posts the subscription's verification
 * token, unsigned; that token is also the signing key. See docs/sources/gusto.md.
 */

export const GUSTO_SIGNATURE_HEADER = 'x-gusto-signature';

/**
 * Accepts the request when `X-Gusto-Signature` is the hex HMAC-SHA256 of the raw body keyed with
 * the subscription's verification token. Gusto signs no timestamp, so there is no replay window:
 * a replayed body carries the same `uuid` and is dropped as a duplicate. Every current token is
 * tried (a second subscription while rotating).
 */
export function verifyGustoWebhook(
  rawBody: Buffer,
  headers: WebhookHeaders,
  secrets: readonly string[],
): void {
  const signature = headers[GUSTO_SIGNATURE_HEADER]?.trim();
  if (!signature)
    throw new WebhookVerificationError(F.missingHeader, `missing ${GUSTO_SIGNATURE_HEADER} header`);
  if (!/^[0-9a-f]{64}$/i.test(signature))
    throw new WebhookVerificationError(F.malformedHeader, 'signature is not 64 hex digits');
  const received = Buffer.from(signature, 'hex');
  let matched = false;
  for (const token of secrets) matched = macMatches(received, hmacSha256(token, rawBody)) || matched;
  if (!matched)
    throw new WebhookVerificationError(F.noValidSignature, 'signature does not match a current token');
}

/** Signs as Gusto does; used by the Gusto fake, the tests and the local mode. */
export function signGustoWebhook(verificationToken: string, body: Buffer | string): string {
  return hmacSha256(verificationToken, body).toString('hex');
}

/** Printable, no spaces: what an id or token may hold before it goes anywhere near the state table. */
const token = (max: number) => z.string().check(z.regex(new RegExp(`^[\\x21-\\x7e]{1,${max}}$`)));

const VerificationSchema = z.looseObject({
  verification_token: token(256),
  webhook_subscription_uuid: z.optional(token(64)),
});

/**
 * The subscription's verification POST: a JSON object with `verification_token` (and, as seen in
 * practice, `webhook_subscription_uuid`) and no `event_type`. Anything else is an event and must
 * verify.
 */
function gustoHandshake(rawBody: Buffer): SourceHandshake | undefined {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || 'event_type' in body) return undefined;
  const parsed = VerificationSchema.safeParse(body);
  if (!parsed.success) return undefined;
  return {
    registrationId: parsed.data.webhook_subscription_uuid ?? '',
    secret: parsed.data.verification_token,
  };
}

/**
 * The company an event is about (`resource_uuid` of a `Company` resource): one subscription serves
 * every company that connected the application, so the shared `/webhooks/gusto` URL routes by it to
 * the tenant that company is mapped to (`tenants add --account-id gusto=<company uuid>`).
 */
function companyOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { resource_type: type, resource_uuid: uuid } = body as Record<string, unknown>;
  return type === 'Company' && typeof uuid === 'string' && uuid !== '' ? uuid : undefined;
}

const EventSchema = z.looseObject({
  uuid: token(128),
  event_type: z.string().check(z.minLength(1), z.maxLength(128)),
  entity_type: z.string().check(z.maxLength(128)),
  entity_uuid: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Gusto uuid')),
  /** Unix seconds, up to the year 9999 (a larger one has no ISO time). */
  timestamp: z.number().check(z.int(), z.nonnegative(), z.lte(253_402_300_799)),
});

/**
 * Gusto's employee events. Every termination or rehire event is a change whose fetched record
 * decides: `employee.terminated` fires when the termination is entered (its date may be ahead),
 * `employee.terminated_effective` (the changelog spells it `termination_effective`; both are
 * taken) once it has taken effect, and the fetched record is terminated only then.
 */
export const GUSTO_EMPLOYEE_EVENTS: Readonly<Record<string, HrNotificationKind>> = {
  'employee.created': 'hired',
  'employee.updated': 'changed',
  'employee.onboarded': 'changed',
  'employee.marked_for_self_onboarding': 'changed',
  'employee.self_onboarding_completed': 'changed',
  'employee.terminated': 'changed',
  'employee.terminated_effective': 'leaving',
  'employee.termination_effective': 'leaving',
  'employee.termination_cancelled': 'changed',
  'employee.rehired': 'changed',
  'employee.rehire_effective': 'changed',
  'employee.rehire_cancelled': 'changed',
  'employee.deleted': 'deleted',
};

function toEvents(body: unknown): QueuedEvent[] {
  const parsed = EventSchema.safeParse(body);
  if (!parsed.success)
    throw new InvalidLifecycleEventError('invalid Gusto webhook', fieldIssues(parsed.error));
  const event = parsed.data;
  const kind = event.entity_type === 'Employee' ? GUSTO_EMPLOYEE_EVENTS[event.event_type] : undefined;
  if (kind === undefined) return [];
  return [
    notificationEvent({
      kind,
      source: 'gusto',
      employeeId: event.entity_uuid,
      // Gusto's own event uuid is the same on every retry of a delivery: the dedup id.
      id: event.uuid,
      time: new Date(event.timestamp * 1000).toISOString(),
    }),
  ];
}

/** `POST /webhooks/gusto`: one webhook subscription per Gusto application, for every company that connected it. */
export const gustoSource: SourceAdapter = {
  name: 'gusto',
  verify: verifyGustoWebhook,
  handshake: gustoHandshake,
  accountIdOf: companyOf,
  toEvents,
};
