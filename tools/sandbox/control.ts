import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import type { User } from '../../lambdas/core/cpaas/schemas.js';
import type { FaultSpec, FaultTable } from './faults.js';
import { errorReply, invalidJson, ok, type Reply } from './replies.js';
import type { RequestCounts } from './request-counts.js';
import { isSandboxRoute, type SandboxRoute } from './routes.js';
import type { UserStore } from './user-store.js';

/** What a test or another process may do to the sandbox besides calling the API. */
export interface SandboxControl {
  reset(): void;
  seedUsers(count: number, options?: { emailDomain?: string }): void;
  users(): User[];
  requestCounts(): Record<SandboxRoute, number>;
  resetRequestCounts(): void;
  setFaults(route: SandboxRoute | '*', spec: FaultSpec): void;
  clearFaults(): void;
}

/** The control over the sandbox's state: its users, fault specs and request counts. */
export function createControl(store: UserStore, faults: FaultTable, counts: RequestCounts): SandboxControl {
  return {
    reset() {
      store.clear();
      faults.clear();
      counts.reset();
    },
    seedUsers(count, seedOptions) {
      store.seed(count, seedOptions?.emailDomain ?? 'example.com');
    },
    users: () => store.all(),
    requestCounts: () => counts.snapshot(),
    resetRequestCounts: () => counts.reset(),
    setFaults: (route, spec) => faults.set(route, spec),
    clearFaults: () => faults.clear(),
  };
}

function seed(control: SandboxControl, body: Record<string, unknown>): Reply {
  const count = body.count;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    return errorReply(400, CPAAS_ERROR_CODES.validation, 'count must be a non-negative integer');
  }
  control.seedUsers(
    count,
    typeof body.emailDomain === 'string' ? { emailDomain: body.emailDomain } : undefined,
  );
  return ok({ count: control.users().length });
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
  switch (`${method} ${pathname.replace(/\/+$/, '')}`) {
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
    default:
      return errorReply(404, CPAAS_ERROR_CODES.notFound, 'control not found');
  }
}
