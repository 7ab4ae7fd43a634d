import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CPAAS_ERROR_CODES } from '../../lambdas/cpaas/errors.js';
import type { User } from '../../lambdas/cpaas/schemas.js';

/**
 * Stand-in for the CPaaS sandbox (lambdas/sandbox/) until it lands: the same `startSandbox` shape
 * (the subset the worker tests use), speaking the vendor's HTTP contract over a real socket.
 */
export type SandboxRoute =
  | 'listUsers'
  | 'createUser'
  | 'getUser'
  | 'updateUser'
  | 'deleteUser'
  | 'impersonateUser';
type Fault = 500 | 502 | 503;
interface FaultSpec {
  latencyMs?: number;
  script?: Fault[];
  applyAfterHandling?: boolean;
}
export interface RunningSandbox {
  readonly url: string;
  readonly accountId: string;
  readonly apiKey: string;
  readonly control: {
    users(): User[];
    seedUsers(count: number): void;
    requestCounts(): Record<SandboxRoute, number>;
    resetRequestCounts(): void;
    setFaults(route: SandboxRoute | '*', spec: FaultSpec): void;
    clearFaults(): void;
  };
  close(): Promise<void>;
}

const id32 = () => randomBytes(16).toString('hex');
const zeroCounts = (): Record<SandboxRoute, number> => ({
  listUsers: 0,
  createUser: 0,
  getUser: 0,
  updateUser: 0,
  deleteUser: 0,
  impersonateUser: 0,
});

export async function startSandbox(): Promise<RunningSandbox> {
  const accountId = id32();
  const apiKey = id32();
  const users = new Map<string, User>();
  let counts = zeroCounts();
  const faults = new Map<SandboxRoute | '*', FaultSpec>();

  function send(res: ServerResponse, status: number, body: Record<string, unknown>): void {
    const requestId = id32();
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': requestId });
    res.end(JSON.stringify({ status_code: status, request_id: requestId, ...body }));
  }
  const fail = (res: ServerResponse, status: number, code: number, message: string) =>
    send(res, status, { error_code: code, message });

  function route(method: string, path: string): { name: SandboxRoute; userId?: string } | undefined {
    const base = `/v1/account/${accountId}/user`;
    if (path === base)
      return method === 'GET'
        ? { name: 'listUsers' }
        : method === 'POST'
          ? { name: 'createUser' }
          : undefined;
    if (!path.startsWith(`${base}/`)) return undefined;
    const userId = path.slice(base.length + 1);
    const name = ({ GET: 'getUser', PUT: 'updateUser', DELETE: 'deleteUser' } as const)[method as 'GET'];
    return name === undefined ? undefined : { name, userId };
  }

  function handle(
    name: SandboxRoute,
    userId: string | undefined,
    url: URL,
    body: Record<string, unknown>,
    res: ServerResponse,
  ) {
    const emailTaken = (email: unknown, except?: string) =>
      [...users.values()].some(
        (u) => u.id !== except && u.email?.toLowerCase() === String(email).toLowerCase(),
      );
    switch (name) {
      case 'listUsers': {
        const all = [...users.values()];
        const size = Number(url.searchParams.get('page_size') ?? 50);
        const start = Number(url.searchParams.get('start_key') ?? 0);
        const page = all.slice(start, start + size);
        const next = start + size < all.length ? String(start + size) : undefined;
        return send(res, 200, { data: page, page_size: size, ...(next ? { next_start_key: next } : {}) });
      }
      case 'createUser': {
        if (emailTaken(body.email))
          return fail(res, 400, CPAAS_ERROR_CODES.duplicateEmail, 'email already exists');
        const user = { enabled: true, verified: false, ...body, id: id32() } as User;
        users.set(user.id, user);
        return send(res, 200, { data: user });
      }
      default: {
        const user = userId === undefined ? undefined : users.get(userId);
        if (user === undefined) return fail(res, 404, CPAAS_ERROR_CODES.notFound, 'user not found');
        if (name === 'getUser') return send(res, 200, { data: user });
        if (name === 'deleteUser') {
          users.delete(user.id);
          return send(res, 200, { data: user });
        }
        if (emailTaken(body.email, user.id))
          return fail(res, 400, CPAAS_ERROR_CODES.duplicateEmail, 'email already exists');
        const updated = { ...body, id: user.id } as User;
        users.set(user.id, updated);
        return send(res, 200, { data: updated });
      }
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const latencyMs = faults.get('*')?.latencyMs ?? 0;
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs));
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const match = route(req.method ?? 'GET', url.pathname);
      if (match === undefined) return fail(res, 404, CPAAS_ERROR_CODES.notFound, 'no such route');
      counts[match.name] += 1;
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${apiKey}` && auth !== apiKey)
        return fail(res, 401, CPAAS_ERROR_CODES.unauthorized, 'unauthorized');
      const body =
        chunks.length === 0 ? {} : (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>);
      const fault = faults.get(match.name)?.script?.shift();
      if (fault === undefined) return handle(match.name, match.userId, url, body, res);
      if (faults.get(match.name)?.applyAfterHandling)
        handle(match.name, match.userId, url, body, {
          writeHead() {},
          end() {},
        } as unknown as ServerResponse);
      return fail(res, fault, CPAAS_ERROR_CODES.internal, 'internal error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  let seeded = 0;
  return {
    url: `http://127.0.0.1:${port}`,
    accountId,
    apiKey,
    control: {
      users: () => [...users.values()].map((user) => structuredClone(user)),
      seedUsers(count) {
        for (let i = 0; i < count; i += 1) {
          seeded += 1;
          const user = {
            id: id32(),
            email: `seed${seeded}@seed.example`,
            first_name: 'Seed',
            last_name: String(seeded),
            enabled: true,
          };
          users.set(user.id, user);
        }
      },
      requestCounts: () => ({ ...counts }),
      resetRequestCounts() {
        counts = zeroCounts();
      },
      setFaults: (name, spec) => faults.set(name, { ...spec, script: [...(spec.script ?? [])] }),
      clearFaults: () => faults.clear(),
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
