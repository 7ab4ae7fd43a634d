import { createHash } from 'node:crypto';
import {
  createLifecycleEvent,
  InvalidLifecycleEventError,
  type LifecycleEvent,
} from '../../core/events/lifecycle-event.js';
import { fieldIssues } from '../../core/validation/field-issues.js';
import * as z from '../../core/validation/zod.js';
import { VERIFICATION_FAILURES as F, WebhookVerificationError } from '../errors.js';
import { hmacSha256, macMatches } from './hmac.js';
import type { SourceAdapter, WebhookHeaders } from './source-adapter.js';

/**
 * Merge.dev unified HRIS webhooks: one adapter reaches Workday, Rippling, BambooHR and the other
 * HR systems Merge links, because Merge sends the full, normalized Employee object.
 */

export const MERGE_SIGNATURE_HEADER = 'x-merge-webhook-signature';

/** The Employee events this project acts on; others (Employment.*, LinkedAccount.*) are acknowledged and ignored. */
export const MERGE_EMPLOYEE_EVENTS = ['Employee.added', 'Employee.changed', 'Employee.removed'] as const;

/**
 * Merge signs base64url(HMAC-SHA256(key, raw body)). Python's urlsafe_b64encode keeps `=` padding
 * and Node's base64url drops it, so both spellings are accepted.
 */
export function verifyMergeWebhook(
  rawBody: Buffer,
  headers: WebhookHeaders,
  secrets: readonly string[],
): void {
  const header = headers[MERGE_SIGNATURE_HEADER];
  if (!header)
    throw new WebhookVerificationError(F.missingHeader, `missing ${MERGE_SIGNATURE_HEADER} header`);
  const unpadded = header.trim().replace(/=+$/, '');
  if (!/^[A-Za-z0-9_-]+$/.test(unpadded))
    throw new WebhookVerificationError(F.malformedHeader, 'signature is not base64url');
  const received = Buffer.from(unpadded, 'base64url');
  let matched = false;
  for (const key of secrets) matched = macMatches(received, hmacSha256(key, rawBody)) || matched;
  if (!matched)
    throw new WebhookVerificationError(F.noValidSignature, 'signature does not match a current key');
}

/** Signs a body as Merge does (padding-free base64url); used by tests and the local mode. */
export function signMergeWebhook(key: string, body: Buffer | string): string {
  return hmacSha256(key, body).toString('base64url');
}

const nullableString = z.nullish(z.string());

const MergeEmployeeSchema = z.looseObject({
  id: z.string().check(z.minLength(1), z.maxLength(128)),
  first_name: nullableString,
  last_name: nullableString,
  work_email: nullableString,
  employment_status: z.nullish(z.enum(['ACTIVE', 'PENDING', 'INACTIVE'])),
  termination_date: z.nullish(z.union([z.iso.datetime({ offset: true }), z.iso.date()])),
  remote_was_deleted: z.nullish(z.boolean()),
  modified_at: z.iso.datetime({ offset: true }),
});

const MergeWebhookSchema = z.looseObject({
  hook: z.looseObject({ event: z.string().check(z.minLength(1)) }),
  linked_account: z.looseObject({
    id: z
      .string()
      .check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore')),
    integration_slug: z.optional(z.string()),
  }),
  data: z.unknown(),
});

/** A hire or change must say who the VoIP user is; a termination needs only the id. */
const requiredForActive = z
  .string({ error: 'required for an active employee' })
  .check(z.minLength(1, 'required for an active employee'));
const ActiveEmployeeSchema = z.looseObject({
  work_email: requiredForActive,
  first_name: requiredForActive,
  last_name: requiredForActive,
});

type MergeEmployee = z.infer<typeof MergeEmployeeSchema>;

/** Canonical field -> Merge field, so a 422 names the field the sender actually sent. */
const MERGE_FIELD_OF: Readonly<Record<string, string>> = {
  'data.employeeId': 'data.id',
  subject: 'data.id',
  'data.workEmail': 'data.work_email',
  'data.firstName': 'data.first_name',
  'data.lastName': 'data.last_name',
  time: 'data.modified_at',
};

/**
 * When a `termination_date` takes effect, as an instant: a date-time as given (with its offset),
 * a bare date at 00:00 UTC of that date, the zone Merge normalises dates to. Explicit, so an
 * employee leaving "on the 1st" loses access at one documented instant wherever the worker runs.
 */
export function terminationInstant(terminationDate: string): Date {
  return new Date(
    /^\d{4}-\d{2}-\d{2}$/.test(terminationDate) ? `${terminationDate}T00:00:00Z` : terminationDate,
  );
}

/**
 * Whether the employee has left (now), or the instant a future termination takes effect. Until
 * then the employee still works there: the adapter sends the hire or change as usual, followed by
 * the termination effective at that instant, which the worker schedules. So it happens on time
 * even if Merge sends nothing more, each later change (which carries the date again) re-schedules
 * it, and a change that clears the date cancels it.
 */
function leaving(employee: MergeEmployee, event: string, now: Date): 'now' | Date | undefined {
  if (event === 'Employee.removed' || employee.remote_was_deleted === true) return 'now';
  if (employee.employment_status === 'INACTIVE') return 'now';
  if (!employee.termination_date) return undefined;
  const at = terminationInstant(employee.termination_date);
  return at <= now ? 'now' : at;
}

/** SHA-256 of fields that are identical on every retry of one change (Merge sends no event id). */
export function mergeDedupId(event: string, employeeId: string, modifiedAt: string): string {
  return createHash('sha256').update(`${event}\n${employeeId}\n${modifiedAt}`).digest('hex');
}

function toEvents(body: unknown, now: Date): LifecycleEvent[] {
  const envelope = MergeWebhookSchema.safeParse(body);
  if (!envelope.success)
    throw new InvalidLifecycleEventError('invalid Merge webhook', fieldIssues(envelope.error));
  const { hook, linked_account: account } = envelope.data;
  if (!(MERGE_EMPLOYEE_EVENTS as readonly string[]).includes(hook.event)) return [];

  const parsed = MergeEmployeeSchema.safeParse(envelope.data.data);
  if (!parsed.success)
    throw new InvalidLifecycleEventError('invalid Merge employee', fieldIssues(parsed.error, ['data']));
  const employee = parsed.data;

  const common = {
    id: mergeDedupId(hook.event, employee.id, employee.modified_at),
    source: `merge/${account.integration_slug ?? 'hris'}`,
    time: employee.modified_at,
  };
  const person = {
    employeeId: employee.id,
    ...(employee.work_email ? { workEmail: employee.work_email } : {}),
    ...(employee.first_name ? { firstName: employee.first_name } : {}),
    ...(employee.last_name ? { lastName: employee.last_name } : {}),
  };
  try {
    const leaves = leaving(employee, hook.event, now);
    if (leaves === 'now') {
      return [createLifecycleEvent({ ...common, type: 'employee.terminated', data: person })];
    }
    const active = ActiveEmployeeSchema.safeParse(employee);
    if (!active.success) {
      throw new InvalidLifecycleEventError('incomplete Merge employee', fieldIssues(active.error, ['data']));
    }
    const current = createLifecycleEvent({
      ...common,
      type: hook.event === 'Employee.added' ? 'employee.hired' : 'employee.changed',
      data: {
        employeeId: employee.id,
        workEmail: active.data.work_email,
        firstName: active.data.first_name,
        lastName: active.data.last_name,
      },
    });
    if (leaves === undefined) return [current];
    // Same time as the change, queued after it: the change cancels the older pending termination
    // and this one takes its place. Its own dedup id, as both come from one delivery.
    const scheduled = createLifecycleEvent({
      ...common,
      id: mergeDedupId(`${hook.event}:termination`, employee.id, employee.modified_at),
      type: 'employee.terminated',
      data: { ...person, effectiveAt: leaves.toISOString() },
    });
    return [current, scheduled];
  } catch (error) {
    if (!(error instanceof InvalidLifecycleEventError)) throw error;
    throw new InvalidLifecycleEventError(
      error.message,
      error.issues.map((issue) => ({ ...issue, path: MERGE_FIELD_OF[issue.path] ?? issue.path })),
    );
  }
}

/** The linked account (one customer's HR system connection) a webhook body is about. */
function linkedAccountId(body: unknown): string | undefined {
  const account = (body as { linked_account?: { id?: unknown } } | null)?.linked_account;
  return typeof account?.id === 'string' ? account.id : undefined;
}

/**
 * `POST /webhooks/merge` and `/t/{tenant}/webhooks/merge`. Merge signs with one key per Merge
 * organisation and sends every linked account to the organisation's one URL, so on the shared URL
 * the linked account id picks the tenant; the key is Merge's (no `newSecret`).
 */
export const mergeSource: SourceAdapter<LifecycleEvent> = {
  name: 'merge',
  verify: (rawBody, headers, secrets) => verifyMergeWebhook(rawBody, headers, secrets),
  toEvents,
  accountIdOf: linkedAccountId,
};
