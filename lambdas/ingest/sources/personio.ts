import { createHash } from 'node:crypto';
import type { QueuedEvent } from '../../core/events/details-pending-event.js';
import { InvalidLifecycleEventError } from '../../core/events/lifecycle-event.js';
import { fieldIssues } from '../../core/validation/field-issues.js';
import * as z from '../../core/validation/zod.js';
import { VERIFICATION_FAILURES as F, WebhookVerificationError } from '../errors.js';
import { macMatches } from './hmac.js';
import { type HrNotificationKind, notificationEvent } from './hr-notification.js';
import type { SourceAdapter, WebhookHeaders } from './source-adapter.js';

/**
 * Personio API v2 webhooks: "dataless notifications" `{company_id, event_name, occurred_at,
 * payload, meta}` whose payload names the person (and, for `employment.*`, the employment) by id
 * only. Each is queued as a details-pending event and the worker fetches the person and their
 * latest employment (`core/hris/personio-api.ts`); the fetched record decides whether the person
 * has left. See docs/sources/personio.md.
 */

/**
 * Personio does not sign deliveries: with the webhook's default `auth_type: TOKEN` it sends the
 * configured token, verbatim and without a prefix of its own, as the `Authorization` header.
 */
export const PERSONIO_AUTHORIZATION_HEADER = 'authorization';

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Accepts the request when its `Authorization` header is exactly one of the current tokens (two
 * during rotation). Compared as SHA-256 digests, so the comparison is constant-time whatever the
 * lengths. Nothing covers the body or a time: the token proves the sender (over HTTPS), and a
 * replay is the same notification again, deduplicated by its id and harmless since the worker
 * applies the record it fetches then.
 */
export function verifyPersonioWebhook(
  _rawBody: Buffer,
  headers: WebhookHeaders,
  secrets: readonly string[],
): void {
  const received = headers[PERSONIO_AUTHORIZATION_HEADER];
  if (!received)
    throw new WebhookVerificationError(F.missingHeader, `missing ${PERSONIO_AUTHORIZATION_HEADER} header`);
  const receivedDigest = digest(received);
  let matched = false;
  for (const token of secrets) matched = macMatches(receivedDigest, digest(token)) || matched;
  if (!matched)
    throw new WebhookVerificationError(F.noValidSignature, 'authorization does not match a current token');
}

const IdSchema = z.union([
  z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be a Personio id')),
  z.number().check(z.int(), z.nonnegative()),
]);

const PersonioWebhookSchema = z.looseObject({
  company_id: z.union([z.string().check(z.minLength(1), z.maxLength(64)), z.number()]),
  event_name: z.string().check(z.minLength(1), z.maxLength(128)),
  occurred_at: z.iso.datetime({ offset: true }),
  payload: z.looseObject({
    id: z.optional(IdSchema),
    person_id: z.optional(IdSchema),
    person: z.optional(z.looseObject({ id: IdSchema })),
  }),
});
type PersonioWebhook = z.infer<typeof PersonioWebhookSchema>;

/**
 * What each person and employment event means here; any other event (absences, attendances,
 * documents) is acknowledged and ignored. `employment.terminated` fires on the termination's
 * effective date: it is a change whose fetched record (status INACTIVE, or a termination date
 * today or past) makes it a termination.
 */
export const PERSONIO_EVENT_KINDS: Readonly<Record<string, HrNotificationKind>> = {
  'person.created': 'hired',
  'person.updated': 'changed',
  'person.deleted': 'deleted',
  'employment.created': 'changed',
  'employment.started': 'hired',
  'employment.updated': 'changed',
  'employment.terminated': 'leaving',
  'employment.deleted': 'changed',
};

/** The person a notification is about: a person event's own id, an employment event's person. */
function personIdOf(webhook: PersonioWebhook): string | undefined {
  const { payload } = webhook;
  const id = webhook.event_name.startsWith('person.')
    ? (payload.id ?? payload.person_id ?? payload.person?.id)
    : (payload.person?.id ?? payload.person_id);
  return id === undefined ? undefined : String(id);
}

/**
 * The event id. Personio documents no delivery or event id, so it is a hash of what every retry
 * of one notification repeats and two notifications do not share: the company, the event, its
 * `occurred_at` and the ids in its payload. Retries (up to 3 days) re-send the notification, so
 * they get the same id; see docs/sources/personio.md for why a late one is not applied twice.
 */
export function personioEventId(webhook: PersonioWebhook, personId: string): string {
  const payloadId = webhook.payload.id === undefined ? '' : String(webhook.payload.id);
  return createHash('sha256')
    .update(
      `personio\n${webhook.company_id}\n${webhook.event_name}\n${webhook.occurred_at}\n${personId}\n${payloadId}`,
    )
    .digest('hex');
}

function toEvents(body: unknown): QueuedEvent[] {
  const parsed = PersonioWebhookSchema.safeParse(body);
  if (!parsed.success)
    throw new InvalidLifecycleEventError('invalid Personio webhook', fieldIssues(parsed.error));
  const webhook = parsed.data;
  const kind = PERSONIO_EVENT_KINDS[webhook.event_name];
  if (kind === undefined) return [];
  const employeeId = personIdOf(webhook);
  if (employeeId === undefined)
    throw new InvalidLifecycleEventError('invalid Personio webhook', [
      { path: 'payload.person.id', message: `a ${webhook.event_name} notification must name the person` },
    ]);
  return [
    notificationEvent({
      kind,
      source: 'personio',
      employeeId,
      id: personioEventId(webhook, employeeId),
      // When it happened at Personio, not when it arrived: a retry days later keeps its place in
      // the employee's order, so the worker's event-time guard finds it stale once newer ones landed.
      time: new Date(webhook.occurred_at).toISOString(),
    }),
  ];
}

/** `POST /webhooks/personio`: one webhook (and token) per Personio company. */
export const personioSource: SourceAdapter = {
  name: 'personio',
  verify: verifyPersonioWebhook,
  toEvents,
};
