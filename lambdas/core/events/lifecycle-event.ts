import { createHash, randomUUID } from 'node:crypto';
import { LifecycleError } from '../../contract/errors.js';
import { DEFAULT_TENANT_ID } from '../../contract/tenants.js';
import { type FieldIssue, fieldIssues } from '../validation/field-issues.js';
import * as z from '../validation/zod.js';
import { unsafeIdReason, unsafeTextReason } from './clean-text.js';
import { isIanaTimeZone } from './time-zone.js';

/**
 * The one canonical event that travels on the lifecycle queue. Every producer (ingest, CLI,
 * local mode, reconcile) builds it with `createLifecycleEvent` and every consumer reads it with
 * `parseLifecycleEvent`, so there is exactly one schema to version.
 *
 * Shape: CloudEvents 1.0, structured JSON mode. `subject` is the HRIS employee id; the optional
 * `tenant` extension attribute keeps employee ids from two HR tenants apart.
 */

export const LIFECYCLE_EVENT_TYPES = ['employee.hired', 'employee.changed', 'employee.terminated'] as const;
export type LifecycleEventType = (typeof LIFECYCLE_EVENT_TYPES)[number];

/** Version of `data`; a consumer rejects a version it does not know rather than guess. */
export const LIFECYCLE_DATA_SCHEMA = 'urn:cpaas-lifecycle:employee:v1';

/**
 * Every free-text string of the event passes one of these two rules (see clean-text.ts), so one
 * place decides what may reach the VoIP API, a log line or a terminal. Fields held to an anchored
 * pattern (extension, caller id, tenant, timestamps) cannot carry such characters anyway.
 */
const cleanText = () =>
  z.string().check(
    z.superRefine((value, context) => {
      const reason = unsafeTextReason(value);
      if (reason !== undefined) context.addIssue({ code: 'custom', message: reason });
    }),
  );
const cleanId = () =>
  z.string().check(
    z.superRefine((value, context) => {
      const reason = unsafeIdReason(value);
      if (reason !== undefined) context.addIssue({ code: 'custom', message: reason });
    }),
  );

const EmployeeIdSchema = cleanId().check(z.minLength(1), z.maxLength(128));
const NameSchema = cleanText().check(z.trim(), z.minLength(1), z.maxLength(128));
const WorkEmailSchema = z.pipe(cleanText(), z.email().check(z.maxLength(254)));

const OptionalEmployeeFields = {
  timezone: z.optional(
    cleanText().check(z.refine(isIanaTimeZone, 'must be an IANA time zone such as Europe/Paris')),
  ),
  /** Internal extension; becomes `presence_id` and `caller_id.internal.number` on the CPaaS user. */
  extension: z.optional(z.string().check(z.regex(/^[0-9]{2,10}$/, 'must be 2 to 10 digits'))),
  /** External caller-id number in E.164. */
  externalCallerId: z.optional(
    z.string().check(z.regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +14155550100')),
  ),
  /** When the change takes effect (ISO 8601 with offset); absent means now. */
  effectiveAt: z.optional(z.iso.datetime({ offset: true })),
};

/** What a hire or change says the employee's VoIP user must look like. */
export const EmployeeDataSchema = z.strictObject({
  employeeId: EmployeeIdSchema,
  workEmail: WorkEmailSchema,
  firstName: NameSchema,
  lastName: NameSchema,
  ...OptionalEmployeeFields,
});

/** A termination needs only the employee id; the rest is kept when the HRIS sends it. */
export const TerminationDataSchema = z.strictObject({
  employeeId: EmployeeIdSchema,
  workEmail: z.optional(WorkEmailSchema),
  firstName: z.optional(NameSchema),
  lastName: z.optional(NameSchema),
  ...OptionalEmployeeFields,
  /**
   * true: the identity itself is gone (a SCIM DELETE), not only the employment, so the VoIP user
   * is deleted whatever the termination policy says; the deletion brake still applies.
   */
  deleteUser: z.optional(z.boolean()),
});

/** The CloudEvents attributes every queued event has; `details-pending-event.ts` reuses them. */
export const envelope = {
  specversion: z.literal('1.0'),
  id: cleanId().check(z.minLength(1), z.maxLength(128)),
  source: cleanText().check(z.minLength(1), z.maxLength(512)),
  time: z.iso.datetime({ offset: true }),
  subject: EmployeeIdSchema,
  datacontenttype: z.optional(z.literal('application/json')),
  dataschema: z.literal(LIFECYCLE_DATA_SCHEMA),
  tenant: z.optional(
    z
      .string()
      .check(z.regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dot, dash or underscore')),
  ),
};

export const LifecycleEventSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ ...envelope, type: z.literal('employee.hired'), data: EmployeeDataSchema }),
    z.strictObject({ ...envelope, type: z.literal('employee.changed'), data: EmployeeDataSchema }),
    z.strictObject({ ...envelope, type: z.literal('employee.terminated'), data: TerminationDataSchema }),
  ])
  .check(
    z.refine((event) => event.subject === event.data.employeeId, {
      message: 'subject must equal data.employeeId',
      path: ['subject'],
    }),
  );

export type LifecycleEvent = z.infer<typeof LifecycleEventSchema>;
export type EmployeeData = z.infer<typeof EmployeeDataSchema>;
export type TerminationData = z.infer<typeof TerminationDataSchema>;

/**
 * An event that does not match the canonical schema; `issues` lists each field that is wrong.
 * Permanent: the same body fails the same way on every delivery.
 */
export class InvalidLifecycleEventError extends LifecycleError {
  override readonly name = 'InvalidLifecycleEventError';
  readonly permanent = true;
  constructor(
    message: string,
    readonly issues: readonly FieldIssue[],
  ) {
    super(message);
  }
}

/** Validates an already-parsed value as a canonical event. */
export function validateLifecycleEvent(value: unknown): LifecycleEvent {
  const result = LifecycleEventSchema.safeParse(value);
  if (!result.success) throw invalidLifecycleEvent(result.error);
  return result.data;
}

/** The error for a schema failure, every wrong field in its message and its `issues`. */
export function invalidLifecycleEvent(error: Parameters<typeof fieldIssues>[0]): InvalidLifecycleEventError {
  const issues = fieldIssues(error);
  const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
  return new InvalidLifecycleEventError(`invalid lifecycle event: ${summary}`, issues);
}

/** Parses a queue message body; a body that is not JSON is as invalid as a wrong field. */
export function parseLifecycleEvent(body: string): LifecycleEvent {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    throw new InvalidLifecycleEventError(
      `invalid lifecycle event: body is not JSON (${(error as Error).message})`,
      [{ path: '(root)', message: 'not JSON' }],
    );
  }
  return validateLifecycleEvent(value);
}

export type CreateLifecycleEventInput =
  | {
      type: 'employee.hired' | 'employee.changed';
      data: EmployeeData;
      source: string;
      id?: string;
      time?: string;
      tenant?: string;
    }
  | {
      type: 'employee.terminated';
      data: TerminationData;
      source: string;
      id?: string;
      time?: string;
      tenant?: string;
    };

/**
 * Builds (and validates) a canonical event. `id` defaults to a random UUID and `time` to now; a
 * producer that can derive a stable id (an HRIS event id, a body hash) should pass it, because
 * the id is what duplicate deliveries are recognised by.
 */
export function createLifecycleEvent(input: CreateLifecycleEventInput): LifecycleEvent {
  return validateLifecycleEvent({
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    source: input.source,
    type: input.type,
    time: input.time ?? new Date().toISOString(),
    subject: input.data.employeeId,
    datacontenttype: 'application/json',
    dataschema: LIFECYCLE_DATA_SCHEMA,
    ...(input.tenant === undefined ? {} : { tenant: input.tenant }),
    data: input.data,
  });
}

/** The tenant an event belongs to: the one its route set, else the deployment's own. */
export function tenantOf(event: Pick<LifecycleEvent, 'tenant'>): string {
  return event.tenant ?? DEFAULT_TENANT_ID;
}

/**
 * How every employee key of one tenant begins, so one tenant's state items (links, holds) are
 * found by a key prefix. A tenant id holds no `:`, so the first `:` of a key ends its tenant.
 */
export function tenantKeyPrefix(tenantId: string): string {
  return `${tenantId}:`;
}

/** The employee's identity across producers: tenant plus HRIS employee id. */
export function employeeKey(event: Pick<LifecycleEvent, 'tenant' | 'subject'>): string {
  return `${tenantKeyPrefix(tenantOf(event))}${event.subject}`;
}

/** The tenant of an employee key (`employeeKey`'s inverse half), for work found by key alone (the sweep). */
export function tenantOfEmployeeKey(key: string): string {
  const end = key.indexOf(':');
  return end < 0 ? DEFAULT_TENANT_ID : key.slice(0, end);
}

const MAX_GROUP_ID_LENGTH = 128;

/**
 * SQS FIFO message group: one per employee, whoever produced the event, so all of one person's
 * events are applied in order. Hashed when the key would exceed SQS's 128-character limit.
 */
export function messageGroupIdFor(event: Pick<LifecycleEvent, 'tenant' | 'subject'>): string {
  const key = employeeKey(event);
  if (key.length <= MAX_GROUP_ID_LENGTH && /^[\x21-\x7e]+$/.test(key)) return key;
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * The fields of an SQS SendMessage(Batch) entry for one event. A pipeline-made re-send of the same
 * event (a schedule falling due, a released hold) passes a `resend` tag: SQS FIFO would otherwise
 * drop it as a duplicate of the original for five minutes.
 */
export function toQueueMessage(
  event: Pick<LifecycleEvent, 'id' | 'tenant' | 'subject'>,
  resend?: string,
): {
  MessageBody: string;
  MessageGroupId: string;
  MessageDeduplicationId: string;
} {
  return {
    MessageBody: JSON.stringify(event),
    MessageGroupId: messageGroupIdFor(event),
    MessageDeduplicationId: createHash('sha256')
      .update(`${employeeKey(event)}:${event.id}${resend === undefined ? '' : `:${resend}`}`)
      .digest('hex'),
  };
}
