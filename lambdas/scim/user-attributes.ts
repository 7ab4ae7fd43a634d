import { unsafeTextReason } from '../core/events/clean-text.js';
import { ScimBadRequestError } from './errors.js';
import { isObject, type Json, member } from './json-members.js';
import { SCIM_URNS } from './schema-urns.js';

/**
 * What this service provider keeps of a SCIM User: the attributes it publishes in `/Schemas`
 * and maps to the lifecycle event, and nothing else. Everything else an identity provider sends
 * (`password`, `locale`, the enterprise extension, `groups`) is dropped here, before anything is
 * stored or logged, so a password can never reach the table, a log line or the queue.
 */
export interface ScimUserAttributes {
  readonly userName: string;
  readonly active: boolean;
  readonly externalId?: string;
  readonly displayName?: string;
  readonly name?: ScimName;
  readonly emails?: readonly ScimMultiValue[];
  readonly phoneNumbers?: readonly ScimMultiValue[];
  readonly timezone?: string;
  /** The VoIP extension number, `extension` of this project's extension schema. */
  readonly extension?: string;
}

export interface ScimName {
  readonly givenName?: string;
  readonly familyName?: string;
  readonly formatted?: string;
}

/** One entry of `emails` or `phoneNumbers`. */
export interface ScimMultiValue {
  readonly value: string;
  readonly type?: string;
  readonly primary?: boolean;
}

/** Longest `userName` accepted: it is part of a table key, which DynamoDB bounds. */
export const MAX_USER_NAME_LENGTH = 256;

const invalid = (attribute: string, problem: string) =>
  new ScimBadRequestError('invalidValue', `${attribute}: ${problem}`);

/** A string attribute; `null` and `""` mean absent (identity providers send both for "no value"). */
function text(value: unknown, attribute: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw invalid(attribute, 'must be a string');
  const reason = unsafeTextReason(value);
  if (reason !== undefined) throw invalid(attribute, reason);
  return value;
}

/** A boolean, or Entra's strings "True" and "False" (any case). */
function bool(value: unknown, attribute: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lower = value.toLowerCase();
    if (lower === 'true') return true;
    if (lower === 'false') return false;
  }
  throw invalid(attribute, 'must be true or false');
}

function multiValued(value: unknown, attribute: string): ScimMultiValue[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(attribute, 'must be an array');
  const entries = value.map((entry, index) => {
    const at = `${attribute}[${index}]`;
    if (!isObject(entry)) throw invalid(at, 'must be an object');
    const entryValue = text(member(entry, 'value'), `${at}.value`);
    if (entryValue === undefined) throw invalid(`${at}.value`, 'is required');
    return withoutUndefined({
      value: entryValue,
      type: text(member(entry, 'type'), `${at}.type`),
      primary: bool(member(entry, 'primary'), `${at}.primary`),
    }) as ScimMultiValue;
  });
  return entries.length === 0 ? undefined : entries;
}

function withoutUndefined<T extends Json>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as T;
}

export interface NormalizeOptions {
  /** `active` when the request leaves it out: true on create, the stored value on replace. */
  readonly active: boolean;
}

/**
 * A POST or PUT body (or a PATCHed resource) as the attributes this service provider keeps.
 * Read-only attributes (`id`, `meta`, the extension's `provisioning`) are ignored, as RFC 7643
 * asks of a service provider; a value of the wrong type, or text with control characters, is a
 * 400 `invalidValue` naming the attribute.
 */
export function normalizeUserAttributes(body: unknown, options: NormalizeOptions): ScimUserAttributes {
  if (!isObject(body)) throw new ScimBadRequestError('invalidSyntax', 'a User must be a JSON object');
  const userName = text(member(body, 'userName'), 'userName');
  if (userName === undefined) throw invalid('userName', 'is required');
  if (userName.length > MAX_USER_NAME_LENGTH) {
    throw invalid('userName', `must be at most ${MAX_USER_NAME_LENGTH} characters`);
  }
  const name = member(body, 'name');
  if (name !== undefined && name !== null && !isObject(name)) throw invalid('name', 'must be an object');
  const extension = member(body, SCIM_URNS.voipExtension);
  if (extension !== undefined && extension !== null && !isObject(extension)) {
    throw invalid(SCIM_URNS.voipExtension, 'must be an object');
  }
  const nameAttributes =
    name === undefined || name === null
      ? undefined
      : withoutUndefined({
          givenName: text(member(name, 'givenName'), 'name.givenName'),
          familyName: text(member(name, 'familyName'), 'name.familyName'),
          formatted: text(member(name, 'formatted'), 'name.formatted'),
        });
  return withoutUndefined({
    userName,
    active: bool(member(body, 'active'), 'active') ?? options.active,
    externalId: text(member(body, 'externalId'), 'externalId'),
    displayName: text(member(body, 'displayName'), 'displayName'),
    name:
      nameAttributes === undefined || Object.keys(nameAttributes).length === 0 ? undefined : nameAttributes,
    emails: multiValued(member(body, 'emails'), 'emails'),
    phoneNumbers: multiValued(member(body, 'phoneNumbers'), 'phoneNumbers'),
    timezone: text(member(body, 'timezone'), 'timezone'),
    extension: isObject(extension)
      ? text(member(extension, 'extension'), `${SCIM_URNS.voipExtension}:extension`)
      : undefined,
  }) as ScimUserAttributes;
}

/** The lower-case `userName`: unique per tenant and matched by filters case-insensitively (RFC 7643). */
export function userNameKey(userName: string): string {
  return userName.toLowerCase();
}

/** Whether two normalized users are the same: a request that changes nothing makes no new version. */
export function sameAttributes(a: ScimUserAttributes, b: ScimUserAttributes): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
