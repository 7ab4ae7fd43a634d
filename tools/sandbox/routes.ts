/** The six vendor operations; fault specs and request counts are keyed by these names. */
export const SANDBOX_ROUTES = [
  'listUsers',
  'createUser',
  'getUser',
  'updateUser',
  'deleteUser',
  'impersonateUser',
] as const;

export type SandboxRoute = (typeof SANDBOX_ROUTES)[number];

export interface MatchedRoute {
  readonly route: SandboxRoute;
  readonly accountId: string;
  readonly userId?: string;
}

const USERS = /^\/v1\/account\/([^/]+)\/user\/?$/;
const USER = /^\/v1\/account\/([^/]+)\/user\/([^/]+)\/?$/;
const USER_AUTH = /^\/v1\/account\/([^/]+)\/user\/([^/]+)\/userauth\/?$/;

/** Maps method + path to a vendor operation, or undefined when the API has no such route. */
export function matchRoute(method: string, pathname: string): MatchedRoute | undefined {
  let m = USERS.exec(pathname);
  if (m?.[1] !== undefined) {
    if (method === 'GET') return { route: 'listUsers', accountId: m[1] };
    if (method === 'POST') return { route: 'createUser', accountId: m[1] };
    return undefined;
  }
  m = USER_AUTH.exec(pathname);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    return method === 'POST' ? { route: 'impersonateUser', accountId: m[1], userId: m[2] } : undefined;
  }
  m = USER.exec(pathname);
  if (m?.[1] !== undefined && m[2] !== undefined) {
    const routes: Record<string, SandboxRoute> = { GET: 'getUser', PUT: 'updateUser', DELETE: 'deleteUser' };
    const route = routes[method];
    return route === undefined ? undefined : { route, accountId: m[1], userId: m[2] };
  }
  return undefined;
}

/** Whether a name from a control request is one of the vendor operations. */
export function isSandboxRoute(name: unknown): name is SandboxRoute {
  return (SANDBOX_ROUTES as readonly unknown[]).includes(name);
}
