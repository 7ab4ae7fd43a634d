import type { User, UserInput } from './schemas.js';

type Changes = { readonly [field: string]: unknown };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, changes: Changes): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [field, value] of Object.entries(changes)) {
    if (value === undefined) continue;
    const current = merged[field];
    merged[field] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/**
 * The body for a PUT that applies `changes` to the user as read. PUT replaces the whole user, so
 * every field the caller does not change (including ones this project does not know, and nested
 * ones such as `caller_id.external` next to a changed `caller_id.internal`) is written back as is.
 * `id` lives in the path, not the body. Undefined changes are ignored; arrays are replaced.
 */
export function mergeUserUpdate(current: User, changes: Changes): UserInput {
  const { id: _id, ...document } = current;
  return deepMerge(document, changes) as UserInput;
}
