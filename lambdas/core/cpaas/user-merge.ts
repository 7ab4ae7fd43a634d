import type { User, UserInput } from './schemas.js';

type Fields = { readonly [field: string]: unknown };

function isPlainObject(value: unknown): value is Fields {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * `changes` laid over `base`, nested objects merged field by field (a new `caller_id.internal`
 * keeps `caller_id.external`); undefined changes are ignored, arrays and scalars replace.
 */
export function mergeUserFields(base: Fields, changes: Fields): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const current = merged[field];
    merged[field] = isPlainObject(value)
      ? mergeUserFields(isPlainObject(current) ? current : {}, value)
      : value;
  }
  return merged;
}

/**
 * The body for a PUT that applies `changes` to the user as read. PUT replaces the whole user, so
 * every field the caller does not change, including ones this project does not know, is written
 * back as it was. `id` lives in the path, not the body.
 */
export function mergeUserUpdate(current: User, changes: Fields): UserInput {
  const { id: _id, ...document } = current;
  return mergeUserFields(document, changes) as UserInput;
}
