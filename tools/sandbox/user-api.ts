import { randomBytes } from 'node:crypto';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import { ImpersonateRequestSchema, type User, UserInputSchema } from '../../lambdas/core/cpaas/schemas.js';
import {
  BadBody,
  errorReply,
  fromStore,
  invalidJson,
  ok,
  parseBody,
  type Reply,
  userNotFound,
} from './replies.js';
import type { MatchedRoute } from './routes.js';
import type { UserStore } from './user-store.js';

/** Page size when the caller sends no `page_size` (the vendor's maximum). */
export const DEFAULT_PAGE_SIZE = 50;

const SUMMARY_FIELDS = [
  'id',
  'email',
  'first_name',
  'last_name',
  'enabled',
  'presence_id',
  'features',
  'flags',
  'call_recording',
  'do_not_disturb',
] as const;

/** List rows carry only `service.UserOutputShort` fields, as the vendor's list does. */
function toSummary(user: User): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const field of SUMMARY_FIELDS) if (user[field] !== undefined) row[field] = user[field];
  return row;
}

/** One page of users with the vendor's `page_size` / `start_key` rules and errors. */
function listUsers(store: UserStore, url: URL): Reply {
  const rawSize = url.searchParams.get('page_size');
  let pageSize = DEFAULT_PAGE_SIZE;
  if (rawSize !== null) {
    pageSize = /^-?\d+$/.test(rawSize) ? Number(rawSize) : Number.NaN;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50) {
      return errorReply(400, CPAAS_ERROR_CODES.validation, 'page_size must be an integer from 1 to 50', [
        { field: 'page_size', message: 'must be an integer from 1 to 50' },
      ]);
    }
  }
  const startKey = url.searchParams.get('start_key') ?? undefined;
  const page = store.page(startKey || undefined, pageSize);
  if (page === undefined) {
    return errorReply(400, CPAAS_ERROR_CODES.validation, 'start_key is not valid', [
      { field: 'start_key', message: 'unknown key' },
    ]);
  }
  return ok({
    data: page.users.map(toSummary),
    page_size: pageSize,
    ...(startKey ? { start_key: startKey } : {}),
    ...(page.nextStartKey === undefined ? {} : { next_start_key: page.nextStartKey }),
  });
}

function impersonate(store: UserStore, userId: string, raw: string): Reply {
  const input = parseBody(ImpersonateRequestSchema, raw);
  if ('status' in input) return input;
  if (store.get(userId) === undefined) return userNotFound();
  return ok({ data: { auth_token: randomBytes(32).toString('base64url') } });
}

/**
 * Runs one authorized vendor operation against the caller's own account: the path must name the
 * account the key belongs to (a path of an account not served is a 404), so no request ever
 * reads or writes another account's users.
 */
export function operate(
  caller: { readonly accountId: string; readonly store: UserStore },
  matched: MatchedRoute,
  url: URL,
  raw: string,
): Reply {
  if (matched.accountId !== caller.accountId) {
    return errorReply(404, CPAAS_ERROR_CODES.notFound, 'account not found');
  }
  const { store } = caller;
  const userId = matched.userId ?? '';
  try {
    switch (matched.route) {
      case 'listUsers':
        return listUsers(store, url);
      case 'createUser': {
        const input = parseBody(UserInputSchema, raw);
        return 'status' in input ? input : fromStore(store.create(input.value));
      }
      case 'getUser': {
        const user = store.get(userId);
        return user === undefined ? userNotFound() : ok({ data: user });
      }
      case 'updateUser': {
        const input = parseBody(UserInputSchema, raw);
        return 'status' in input ? input : fromStore(store.replace(userId, input.value));
      }
      case 'deleteUser':
        return fromStore(store.delete(userId));
      case 'impersonateUser':
        return impersonate(store, userId, raw);
    }
  } catch (cause) {
    if (cause instanceof BadBody) return invalidJson();
    throw cause;
  }
}
