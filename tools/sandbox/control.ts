import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import type { User } from '../../lambdas/core/cpaas/schemas.js';
import {
  type SandboxAccount,
  SandboxAccountError,
  type SandboxAccountOptions,
  type SandboxAccounts,
} from './accounts.js';
import type { FaultSpec, FaultTable } from './faults.js';
import { errorReply, invalidJson, ok, type Reply } from './replies.js';
import type { RequestCounts } from './request-counts.js';
import { isSandboxRoute, type SandboxRoute } from './routes.js';

/** The state of one account: its users and the requests made on its path. */
export interface SandboxAccountControl {
  readonly accountId: string;
  readonly apiKey: string;
  seedUsers(count: number, options?: { emailDomain?: string }): void;
  users(): User[];
  requestCounts(): Record<SandboxRoute, number>;
  resetRequestCounts(): void;
}

/**
 * What a test or another process may do to the sandbox besides calling the API. `users` and
 * `seedUsers` are the first account's (the one a single-account sandbox has); `requestCounts`
 * counts every request, whatever its account; `account(id)` is one account's own view.
 */
export interface SandboxControl {
  reset(): void;
  seedUsers(count: number, options?: { emailDomain?: string }): void;
  users(): User[];
  requestCounts(): Record<SandboxRoute, number>;
  resetRequestCounts(): void;
  setFaults(route: SandboxRoute | '*', spec: FaultSpec): void;
  clearFaults(): void;
  /** Serves one more account, with its own key and users; throws `SandboxAccountError` for a taken id or key. */
  addAccount(options?: SandboxAccountOptions): { accountId: string; apiKey: string };
  /** Every account served, the first one first. */
  accounts(): Array<{ accountId: string; apiKey: string }>;
  /** One account's own users and counts; undefined for an account the sandbox does not serve. */
  account(accountId: string): SandboxAccountControl | undefined;
}

function accountControl(account: SandboxAccount): SandboxAccountControl {
  return {
    accountId: account.accountId,
    apiKey: account.apiKey,
    seedUsers: (count, options) => account.store.seed(count, options?.emailDomain ?? 'example.com'),
    users: () => account.store.all(),
    requestCounts: () => account.counts.snapshot(),
    resetRequestCounts: () => account.counts.reset(),
  };
}

/** The control over the sandbox's state: its accounts and their users, fault specs and request counts. */
export function createControl(
  accounts: SandboxAccounts,
  faults: FaultTable,
  counts: RequestCounts,
): SandboxControl {
  const first = () => accountControl(accounts.all()[0] as SandboxAccount);
  return {
    reset() {
      for (const account of accounts.all()) {
        account.store.clear();
        account.counts.reset();
      }
      faults.clear();
      counts.reset();
    },
    seedUsers: (count, options) => first().seedUsers(count, options),
    users: () => first().users(),
    requestCounts: () => counts.snapshot(),
    resetRequestCounts() {
      counts.reset();
      for (const account of accounts.all()) account.counts.reset();
    },
    setFaults: (route, spec) => faults.set(route, spec),
    clearFaults: () => faults.clear(),
    addAccount(options) {
      const { accountId, apiKey } = accounts.add(options);
      return { accountId, apiKey };
    },
    accounts: () => accounts.all().map(({ accountId, apiKey }) => ({ accountId, apiKey })),
    account(accountId) {
      const account = accounts.get(accountId);
      return account === undefined ? undefined : accountControl(account);
    },
  };
}

type Seedable = Pick<SandboxAccountControl, 'seedUsers' | 'users'>;

function seed(target: Seedable, body: Record<string, unknown>): Reply {
  const count = body.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    return errorReply(400, CPAAS_ERROR_CODES.validation, 'count must be a non-negative integer');
  }
  target.seedUsers(
    count,
    typeof body.emailDomain === 'string' ? { emailDomain: body.emailDomain } : undefined,
  );
  return ok({ count: target.users().length });
}

function setFaults(control: SandboxControl, body: Record<string, unknown>): Reply {
  const { route, ...spec } = body;
  const target = route ?? '*';
  if (target !== '*' && !isSandboxRoute(target)) {
    return errorReply(400, CPAAS_ERROR_CODES.validation, 'unknown route');
  }
  control.setFaults(target, spec as FaultSpec);
  return ok({});
}

function addAccount(control: SandboxControl, body: Record<string, unknown>): Reply {
  const text = (name: string) => (typeof body[name] === 'string' ? { [name]: body[name] as string } : {});
  try {
    return ok(control.addAccount({ ...text('accountId'), ...text('apiKey') }));
  } catch (error) {
    if (error instanceof SandboxAccountError) {
      return errorReply(400, CPAAS_ERROR_CODES.validation, error.message);
    }
    throw error;
  }
}

const ACCOUNT_PATH = /^\/_sandbox\/accounts\/([^/]+)\/(state|requests|seed)$/;

/** `/_sandbox/accounts/{id}/...`: one account's state, counts and seeding. */
function handleAccount(control: SandboxControl, method: string, path: string, body: Record<string, unknown>) {
  const match = ACCOUNT_PATH.exec(path);
  const account = match?.[1] === undefined ? undefined : control.account(match[1]);
  if (match === null || account === undefined) {
    return errorReply(404, CPAAS_ERROR_CODES.notFound, 'control not found');
  }
  switch (`${method} ${match[2]}`) {
    case 'GET state':
      return ok({ users: account.users() });
    case 'GET requests':
      return ok({ requests: account.requestCounts() });
    case 'DELETE requests':
      account.resetRequestCounts();
      return ok({});
    case 'POST seed':
      return seed(account, body);
    default:
      return errorReply(404, CPAAS_ERROR_CODES.notFound, 'control not found');
  }
}

/**
 * The same control over HTTP (`/_sandbox/...`), for a sandbox in another process: the CLI's
 * `sandbox` command, the bench, a `curl` session.
 */
export function handleControl(control: SandboxControl, method: string, pathname: string, raw: string): Reply {
  let body: Record<string, unknown>;
  try {
    body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
  } catch {
    return invalidJson();
  }
  const path = pathname.replace(/\/+$/, '');
  switch (`${method} ${path}`) {
    case 'POST /_sandbox/reset':
      control.reset();
      return ok({});
    case 'POST /_sandbox/seed':
      return seed(control, body);
    case 'GET /_sandbox/state':
      return ok({ users: control.users() });
    case 'GET /_sandbox/requests':
      return ok({ requests: control.requestCounts() });
    case 'DELETE /_sandbox/requests':
      control.resetRequestCounts();
      return ok({});
    case 'PUT /_sandbox/faults':
      return setFaults(control, body);
    case 'DELETE /_sandbox/faults':
      control.clearFaults();
      return ok({});
    case 'GET /_sandbox/accounts':
      return ok({ accounts: control.accounts() });
    case 'POST /_sandbox/accounts':
      return addAccount(control, body);
    default:
      return handleAccount(control, method, path, body);
  }
}
