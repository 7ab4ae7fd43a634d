import { isObject, type Json, memberKey } from './json-members.js';
import { SCIM_URNS } from './schema-urns.js';

/**
 * `attributes` and `excludedAttributes` (RFC 7644 section 3.9) over a rendered resource. Names
 * are case-insensitive, may be `parent.sub` and may carry a schema URN (`urn:...:User:userName`,
 * `urn:...:voip:2.0:User:extension`). `id` and `schemas` are returned always.
 */
export interface AttributeSelection {
  readonly attributes?: readonly string[];
  readonly excludedAttributes?: readonly string[];
}

const ALWAYS = new Set(['id', 'schemas']);
const CORE_PREFIX = `${SCIM_URNS.user.toLowerCase()}:`;

const EXTENSION_URN = SCIM_URNS.voipExtension.toLowerCase();

/** `urn:...:voip:2.0:User:extension` -> [voip urn, extension]; `name.givenName` -> [name, givenName]. */
function pathOf(attribute: string): string[] {
  const lower = attribute.trim().toLowerCase();
  const core = lower.startsWith(CORE_PREFIX) ? lower.slice(CORE_PREFIX.length) : lower;
  if (core === EXTENSION_URN) return [EXTENSION_URN];
  if (core.startsWith(`${EXTENSION_URN}:`)) {
    return [EXTENSION_URN, ...core.slice(EXTENSION_URN.length + 1).split('.')];
  }
  return core.split('.');
}

/** A comma-separated query parameter as a list; absent or empty means no selection. */
export function attributeList(text: string | undefined): string[] | undefined {
  const list = text
    ?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  return list === undefined || list.length === 0 ? undefined : list;
}

function pick(source: Json, target: Json, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined) return;
  const key = memberKey(source, head);
  if (key === undefined) return;
  const value = source[key];
  if (rest.length === 0 || !isObject(value)) {
    target[key] = value;
    return;
  }
  const child = isObject(target[key]) ? (target[key] as Json) : {};
  pick(value, child, rest);
  target[key] = child;
}

function drop(object: Json, path: readonly string[]): void {
  const [head, ...rest] = path;
  if (head === undefined || (rest.length === 0 && ALWAYS.has(head))) return;
  const key = memberKey(object, head);
  if (key === undefined) return;
  if (rest.length === 0) delete object[key];
  else if (isObject(object[key])) drop(object[key] as Json, rest);
}

/** The resource with only the selected attributes (or without the excluded ones). */
export function selectAttributes(resource: Json, selection: AttributeSelection): Json {
  if (selection.attributes !== undefined) {
    const selected: Json = {};
    for (const always of ALWAYS) pick(resource, selected, [always]);
    for (const attribute of selection.attributes) pick(resource, selected, pathOf(attribute));
    return selected;
  }
  if (selection.excludedAttributes !== undefined) {
    const copy = structuredClone(resource);
    for (const attribute of selection.excludedAttributes) drop(copy, pathOf(attribute));
    return copy;
  }
  return resource;
}
