import {
  createLifecycleEvent,
  type EmployeeData,
  InvalidLifecycleEventError,
  type LifecycleEvent,
} from '../core/events/lifecycle-event.js';
import { SCIM_EVENT_SOURCE, scimEventId } from '../core/events/scim-event.js';
import { ScimBadRequestError } from './errors.js';
import { SCIM_URNS } from './schema-urns.js';
import type { ScimMultiValue, ScimUserAttributes } from './user-attributes.js';

/** Which SCIM attribute each event field comes from, so a 400 names what the identity provider sent. */
const ATTRIBUTE_OF_FIELD: Readonly<Record<string, string>> = {
  employeeId: 'id',
  workEmail: 'emails[type eq "work"].value',
  firstName: 'name.givenName',
  lastName: 'name.familyName',
  timezone: 'timezone',
  extension: `${SCIM_URNS.voipExtension}:extension`,
  externalCallerId: 'phoneNumbers[type eq "work"].value',
};

const EMAIL_SHAPE = /^[^@\s]+@[^@\s]+$/;
/** Separators people put in phone numbers; what is left must be E.164. */
const PHONE_SEPARATORS = /[\s().-]/g;

/** The `work` entry, else the primary one, of `emails` or `phoneNumbers`. */
function workValue(values: readonly ScimMultiValue[] | undefined): string | undefined {
  const work = values?.find((entry) => entry.type?.toLowerCase() === 'work');
  return (work ?? values?.find((entry) => entry.primary === true))?.value;
}

/**
 * The employee data of an active SCIM user: work email (the `work` or primary email, else the
 * `userName` when it is an email), names, work phone as the external caller id, time zone and the
 * extension. A user the VoIP platform cannot be given (no name, no email) is a 400 naming the
 * attribute, not an event the worker would dead-letter.
 */
export function employeeDataFor(id: string, user: ScimUserAttributes): EmployeeData {
  const workEmail = workValue(user.emails) ?? (EMAIL_SHAPE.test(user.userName) ? user.userName : undefined);
  const phone = workValue(user.phoneNumbers)?.replace(PHONE_SEPARATORS, '');
  const required = { workEmail, firstName: user.name?.givenName, lastName: user.name?.familyName };
  for (const [field, value] of Object.entries(required)) {
    if (value === undefined) {
      throw new ScimBadRequestError(
        'invalidValue',
        `${ATTRIBUTE_OF_FIELD[field]}: is required for a VoIP user`,
      );
    }
  }
  return {
    employeeId: id,
    workEmail: workEmail as string,
    firstName: user.name?.givenName as string,
    lastName: user.name?.familyName as string,
    ...(user.timezone === undefined ? {} : { timezone: user.timezone }),
    ...(user.extension === undefined ? {} : { extension: user.extension }),
    ...(phone === undefined ? {} : { externalCallerId: phone }),
  };
}

/** A user as one version saw it: its attributes, or deleted. */
export interface UserState {
  readonly attributes: ScimUserAttributes;
  readonly deleted: boolean;
}

export interface UserChange {
  readonly tenant: string;
  readonly id: string;
  /** The version the change creates: with the id, it makes the event id, so a retry repeats it. */
  readonly version: number;
  /** The version's `lastModified`, the event's `time`. */
  readonly time: string;
  readonly before: UserState | undefined;
  readonly after: UserState;
}

/** What the previous version meant, or undefined when it cannot be mapped (then anything differs). */
function dataOrUndefined(id: string, state: UserState | undefined): EmployeeData | undefined {
  try {
    return state === undefined ? undefined : employeeDataFor(id, state.attributes);
  } catch {
    return undefined;
  }
}

const isActive = (state: UserState | undefined) =>
  state !== undefined && !state.deleted && state.attributes.active;

/**
 * The one lifecycle event a new version of a SCIM user means, or none:
 * - becomes active (created active, or `active` true again): `employee.hired`, a rehire after a
 *   deactivation;
 * - stops being active (`active` false): `employee.terminated`, under the termination policy;
 * - DELETE (also of a user already deactivated, as Entra does about 30 days after): an
 *   `employee.terminated` with `data.deleteUser`, since the identity itself is gone: the VoIP user
 *   is deleted whatever the policy (the deletion brake still applies);
 * - stays active with different employee data: `employee.changed`;
 * - anything else (a change of an attribute the VoIP user does not have, a change while
 *   deactivated): none; a later rehire carries the data as it then is.
 */
export function lifecycleEventFor(change: UserChange): LifecycleEvent | undefined {
  const wasActive = isActive(change.before);
  const nowActive = isActive(change.after);
  const common = {
    id: scimEventId(change.id, change.version),
    source: SCIM_EVENT_SOURCE,
    time: change.time,
    tenant: change.tenant,
  };
  try {
    if (nowActive) {
      const data = employeeDataFor(change.id, change.after.attributes);
      if (!wasActive) return createLifecycleEvent({ ...common, type: 'employee.hired', data });
      if (JSON.stringify(dataOrUndefined(change.id, change.before)) === JSON.stringify(data))
        return undefined;
      return createLifecycleEvent({ ...common, type: 'employee.changed', data });
    }
    const deletedNow = change.after.deleted && change.before !== undefined && !change.before.deleted;
    if (wasActive || deletedNow) {
      return createLifecycleEvent({
        ...common,
        type: 'employee.terminated',
        data: { employeeId: change.id, ...(deletedNow ? { deleteUser: true } : {}) },
      });
    }
    return undefined;
  } catch (error) {
    if (!(error instanceof InvalidLifecycleEventError)) throw error;
    const issue = error.issues[0];
    const field = issue?.path.replace(/^data\./, '') ?? '';
    throw new ScimBadRequestError(
      'invalidValue',
      `${ATTRIBUTE_OF_FIELD[field] ?? field}: ${issue?.message ?? 'is not valid'}`,
    );
  }
}
