import type { User, UserInput } from '../cpaas/schemas.js';
import { mergeUserFields, mergeUserUpdate } from '../cpaas/user-merge.js';
import type { EmployeeData } from '../events/lifecycle-event.js';

/**
 * The CPaaS fields this project manages for one employee. Optional HRIS fields the event does not
 * carry are left out, so a value an administrator set (say an external caller id) is not ours to
 * overwrite or clear.
 */
export interface ManagedFields {
  readonly email: string;
  readonly first_name: string;
  readonly last_name: string;
  readonly enabled: boolean;
  readonly timezone?: string;
  readonly presence_id?: string;
  readonly caller_id?: {
    readonly internal?: { readonly number: string };
    readonly external?: { readonly number: string };
  };
}

/** HRIS data -> managed CPaaS fields (docs/worker.md "Field mapping" is this function). */
export function desiredFields(data: EmployeeData, enabled: boolean): ManagedFields {
  const callerId = {
    ...(data.extension === undefined ? {} : { internal: { number: data.extension } }),
    ...(data.externalCallerId === undefined ? {} : { external: { number: data.externalCallerId } }),
  };
  return {
    email: data.workEmail,
    first_name: data.firstName,
    last_name: data.lastName,
    enabled,
    ...(data.timezone === undefined ? {} : { timezone: data.timezone }),
    ...(data.extension === undefined ? {} : { presence_id: data.extension }),
    ...(Object.keys(callerId).length === 0 ? {} : { caller_id: callerId }),
  };
}

/** The body of a create: only what we manage; the platform's defaults fill the rest. */
export function newUserInput(desired: Partial<ManagedFields>): UserInput {
  return mergeUserFields({}, desired) as UserInput;
}

/** The body of a PUT: the user as read with our fields laid over it, every other field kept. */
export function mergedUserInput(current: User, desired: Partial<ManagedFields>): UserInput {
  return mergeUserUpdate(current, desired);
}

function leafPaths(value: unknown, prefix = ''): [string, unknown][] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [[prefix, value]];
  return Object.entries(value).flatMap(([key, inner]) =>
    inner === undefined ? [] : leafPaths(inner, prefix === '' ? key : `${prefix}.${key}`),
  );
}

function valueAt(document: unknown, path: string): unknown {
  let current = document;
  for (const key of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * Names (never values: they are personal data) of the managed fields where `current` differs from
 * `desired`. Emails compare case-insensitively: mailbox providers and the API treat them so, and a
 * case-only difference must not cost a write on every event.
 */
export function changedFields(current: User, desired: Partial<ManagedFields>): string[] {
  return leafPaths(desired)
    .filter(([path, wanted]) => {
      const actual = valueAt(current, path);
      if (path === 'email' && typeof actual === 'string' && typeof wanted === 'string') {
        return actual.toLowerCase() !== wanted.toLowerCase();
      }
      return actual !== wanted;
    })
    .map(([path]) => path);
}
