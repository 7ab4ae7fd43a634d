import { type Filter, filter as matcherOf, parse } from 'scim2-parse-filter';
import { ScimBadRequestError } from './errors.js';
import { isObject, type Json, member } from './json-members.js';
import { SCIM_URNS } from './schema-urns.js';

/**
 * SCIM filters (RFC 7644 section 3.4.2.2), parsed by `scim2-parse-filter`, whose matcher compares
 * each attribute. This file adds what the library leaves to the service provider or gets wrong:
 * - case: `userName` and `emails.value` are case-insensitive (RFC 7643 `caseExact: false`); the
 *   library compares exactly, so the filter's value and the resource's are lower-cased for them;
 * - value filters: the library tests `emails[type eq "work" and value eq "x"]` against the whole
 *   array, so two different entries could satisfy the two halves; here the bracket is evaluated
 *   per entry, and `emails[type eq "work"].value eq "x"` (which the parser splits into a bracket
 *   and-ed with `emails.value eq "x"`) is joined back into one bracket, as Entra means it.
 */

/** Attribute paths compared case-insensitively, lower-case, without the core schema URN. */
const CASE_INSENSITIVE = new Set(['username', 'emails.value']);

const CORE_PREFIX = `${SCIM_URNS.user.toLowerCase()}:`;

/** `urn:...:core:2.0:User:userName` and `userName` are the same attribute (RFC 7644 3.10). */
function withoutCoreUrn(path: string): string {
  return path.toLowerCase().startsWith(CORE_PREFIX) ? path.slice(CORE_PREFIX.length) : path;
}

function foldCase(node: Filter, parent?: string): Filter {
  switch (node.op) {
    case 'and':
    case 'or':
      return { ...node, filters: node.filters.map((child) => foldCase(child, parent)) };
    case 'not':
      return { ...node, filter: foldCase(node.filter, parent) };
    case '[]': {
      const attrPath = withoutCoreUrn(node.attrPath);
      return { ...node, attrPath, valFilter: foldCase(node.valFilter, attrPath) };
    }
    case 'pr':
      return { ...node, attrPath: withoutCoreUrn(node.attrPath) };
    default: {
      const attrPath = withoutCoreUrn(node.attrPath);
      const full = (parent === undefined ? attrPath : `${parent}.${attrPath}`).toLowerCase();
      const compValue =
        CASE_INSENSITIVE.has(full) && typeof node.compValue === 'string'
          ? node.compValue.toLowerCase()
          : node.compValue;
      return { ...node, attrPath, compValue };
    }
  }
}

/** A parsed filter: the predicate over rendered users and the key lookups it allows. */
export interface UserFilter {
  /** Matches a rendered User resource. */
  matches(resource: Record<string, unknown>): boolean;
  /** The `userName` every match must have (`userName eq "x"`, alone or and-ed), if any. */
  readonly userName?: string;
  /** The `id` every match must have, if any. */
  readonly id?: string;
}

/** The `eq` values on `attribute` that an `and` chain (or the filter itself) requires. */
function requiredEquality(node: Filter, attribute: string): string | undefined {
  if (node.op === 'and') {
    for (const child of node.filters) {
      const value = requiredEquality(child, attribute);
      if (value !== undefined) return value;
    }
    return undefined;
  }
  if (node.op === 'eq' && node.attrPath.toLowerCase() === attribute && typeof node.compValue === 'string') {
    return node.compValue;
  }
  return undefined;
}

/** A copy of the resource with the case-insensitive attributes lower-cased, for the matcher only. */
function foldedResource(resource: Record<string, unknown>): Record<string, unknown> {
  const emails = resource.emails;
  return {
    ...resource,
    ...(typeof resource.userName === 'string' ? { userName: resource.userName.toLowerCase() } : {}),
    ...(Array.isArray(emails)
      ? {
          emails: emails.map((email: Record<string, unknown>) =>
            typeof email.value === 'string' ? { ...email, value: email.value.toLowerCase() } : email,
          ),
        }
      : {}),
  };
}

/** `a[f] and a.sub op v` (how the parser reads `a[f].sub op v`) as `a[f and sub op v]`. */
function joinValuePath(node: Filter): Filter {
  if (node.op !== 'and' || node.filters.length !== 2) return node;
  const [bracket, compare] = node.filters;
  if (bracket?.op !== '[]' || compare === undefined || !('compValue' in compare)) return node;
  const prefix = `${bracket.attrPath.toLowerCase()}.`;
  if (!compare.attrPath.toLowerCase().startsWith(prefix)) return node;
  const sub = { ...compare, attrPath: compare.attrPath.slice(prefix.length) };
  return { ...bracket, valFilter: { op: 'and', filters: [bracket.valFilter, sub] } };
}

/** The library's matcher for comparisons; brackets evaluated entry by entry. */
function predicateOf(node: Filter): (resource: Json) => boolean {
  const joined = joinValuePath(node);
  switch (joined.op) {
    case 'and': {
      const parts = joined.filters.map(predicateOf);
      return (resource) => parts.every((part) => part(resource));
    }
    case 'or': {
      const parts = joined.filters.map(predicateOf);
      return (resource) => parts.some((part) => part(resource));
    }
    case 'not': {
      const part = predicateOf(joined.filter);
      return (resource) => !part(resource);
    }
    case '[]': {
      const entry = predicateOf(joined.valFilter);
      return (resource) => {
        const values = member(resource, joined.attrPath);
        const entries = Array.isArray(values) ? values : [values];
        return entries.some((value) => isObject(value) && entry(value));
      };
    }
    default:
      return matcherOf(joined);
  }
}

/** Parses `text`; a filter the library cannot parse is a 400 `invalidFilter`. */
export function parseUserFilter(text: string): UserFilter {
  let parsed: Filter;
  try {
    parsed = foldCase(parse(text));
  } catch (error) {
    throw new ScimBadRequestError('invalidFilter', `filter is not valid: ${(error as Error).message}`);
  }
  const predicate = predicateOf(parsed);
  const userName = requiredEquality(parsed, 'username');
  const id = requiredEquality(parsed, 'id');
  return {
    matches: (resource) => predicate(foldedResource(resource)),
    ...(userName === undefined ? {} : { userName }),
    ...(id === undefined ? {} : { id }),
  };
}
