import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { z } from 'zod';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import { ImpersonateRequestSchema, type User, UserInputSchema } from '../../lambdas/core/cpaas/schemas.js';
import { type FaultDecision, type FaultSpec, FaultTable } from './faults.js';
import { generateId, seededRandom } from './random.js';
import { emptyRequestCounts, type MatchedRoute, matchRoute, type SandboxRoute } from './routes.js';
import { UserStore } from './user-store.js';

export type { FaultSpec, ScriptedFault } from './faults.js';
export type { SandboxRoute } from './routes.js';

/** Page size when the caller sends no `page_size` (the vendor's maximum). */
export const DEFAULT_PAGE_SIZE = 50;

/** One request as the sandbox received it, for tests that check what a client sends. */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  readonly body: unknown;
  readonly route?: SandboxRoute;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  accountId?: string;
  apiKey?: string;
  seed?: number;
  /** Called for every /v1 request after its body is read, before auth or faults. */
  onRequest?: (request: ObservedRequest) => void;
}

export interface SandboxControl {
  reset(): void;
  seedUsers(count: number, options?: { emailDomain?: string }): void;
  users(): User[];
  requestCounts(): Record<SandboxRoute, number>;
  resetRequestCounts(): void;
  setFaults(route: SandboxRoute | '*', spec: FaultSpec): void;
  clearFaults(): void;
}

export interface RunningSandbox {
  readonly url: string;
  readonly accountId: string;
  readonly apiKey: string;
  readonly control: SandboxControl;
  close(): Promise<void>;
}

type Reply = { status: number; body: Record<string, unknown>; headers?: Record<string, string> };

class BadBody extends Error {}

/**
 * Starts an in-process HTTP stand-in for the CPaaS VoIP User API: the six endpoints, the vendor's
 * envelopes and errors, and scriptable faults (5xx, 429, resets, hangs, latency) so the client and
 * worker can be tested over real sockets without the vendor.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const accountId = options.accountId ?? generateId();
  const apiKey = options.apiKey ?? randomBytes(24).toString('base64url');
  const store = new UserStore();
  const faults = new FaultTable(seededRandom(options.seed ?? Date.now()));
  let counts = emptyRequestCounts();
  const sockets = new Set<Socket>();

  const control: SandboxControl = {
    reset() {
      store.clear();
      faults.clear();
      counts = emptyRequestCounts();
    },
    seedUsers(count, seedOptions) {
      store.seed(count, seedOptions?.emailDomain ?? 'example.com');
    },
    users: () => store.all(),
    requestCounts: () => ({ ...counts }),
    resetRequestCounts() {
      counts = emptyRequestCounts();
    },
    setFaults: (route, spec) => faults.set(route, spec),
    clearFaults: () => faults.clear(),
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const raw = await readBody(req);
    if (url.pathname.startsWith('/_sandbox/')) {
      send(res, requestId, handleControl(req.method ?? 'GET', url.pathname, raw));
      return;
    }
    const matched = matchRoute(req.method ?? 'GET', url.pathname);
    options.onRequest?.({
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { ...req.headers },
      body: tryParse(raw),
      route: matched?.route,
    });
    if (matched === undefined) {
      send(res, requestId, error(404, CPAAS_ERROR_CODES.notFound, 'route not found'));
      return;
    }
    counts[matched.route] += 1;
    const plan = faults.plan(matched.route);
    if (plan.delayMs > 0) await sleep(plan.delayMs);
    if (plan.decision.kind !== 'none' && !plan.afterHandling) {
      deliverFault(res, requestId, plan.decision);
      return;
    }
    const reply = authorized(req)
      ? operate(matched, url, raw)
      : error(401, CPAAS_ERROR_CODES.unauthorized, 'unauthorized');
    if (plan.decision.kind !== 'none') {
      deliverFault(res, requestId, plan.decision);
      return;
    }
    send(res, requestId, reply);
  }

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (header === undefined) return false;
    return header === `Bearer ${apiKey}` || header === apiKey;
  }

  function operate(matched: MatchedRoute, url: URL, raw: string): Reply {
    if (matched.accountId !== accountId) return error(404, CPAAS_ERROR_CODES.notFound, 'account not found');
    try {
      switch (matched.route) {
        case 'listUsers':
          return listUsers(url);
        case 'createUser': {
          const input = parseBody(UserInputSchema, raw);
          if ('status' in input) return input;
          return fromStore(store.create(input.value));
        }
        case 'getUser': {
          const user = store.get(matched.userId ?? '');
          return user === undefined ? userNotFound() : ok({ data: user });
        }
        case 'updateUser': {
          const input = parseBody(UserInputSchema, raw);
          if ('status' in input) return input;
          return fromStore(store.replace(matched.userId ?? '', input.value));
        }
        case 'deleteUser':
          return fromStore(store.delete(matched.userId ?? ''));
        case 'impersonateUser': {
          const input = parseBody(ImpersonateRequestSchema, raw);
          if ('status' in input) return input;
          if (store.get(matched.userId ?? '') === undefined) return userNotFound();
          return ok({ data: { auth_token: randomBytes(32).toString('base64url') } });
        }
      }
    } catch (cause) {
      if (cause instanceof BadBody)
        return error(400, CPAAS_ERROR_CODES.validation, 'request body is not valid JSON');
      throw cause;
    }
  }

  function listUsers(url: URL): Reply {
    const rawSize = url.searchParams.get('page_size');
    let pageSize = DEFAULT_PAGE_SIZE;
    if (rawSize !== null) {
      pageSize = /^-?\d+$/.test(rawSize) ? Number(rawSize) : Number.NaN;
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 50) {
        return error(400, CPAAS_ERROR_CODES.validation, 'page_size must be an integer from 1 to 50', [
          { field: 'page_size', message: 'must be an integer from 1 to 50' },
        ]);
      }
    }
    const startKey = url.searchParams.get('start_key') ?? undefined;
    const page = store.page(startKey || undefined, pageSize);
    if (page === undefined) {
      return error(400, CPAAS_ERROR_CODES.validation, 'start_key is not valid', [
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

  function handleControl(method: string, pathname: string, raw: string): Reply {
    let body: Record<string, unknown>;
    try {
      body = raw === '' ? {} : (JSON.parse(raw) as Record<string, unknown>);
    } catch {
      return error(400, CPAAS_ERROR_CODES.validation, 'request body is not valid JSON');
    }
    const key = `${method} ${pathname.replace(/\/+$/, '')}`;
    switch (key) {
      case 'POST /_sandbox/reset':
        control.reset();
        return ok({});
      case 'POST /_sandbox/seed': {
        const count = body.count;
        if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
          return error(400, CPAAS_ERROR_CODES.validation, 'count must be a non-negative integer');
        }
        control.seedUsers(
          count,
          typeof body.emailDomain === 'string' ? { emailDomain: body.emailDomain } : undefined,
        );
        return ok({ count: store.all().length });
      }
      case 'GET /_sandbox/state':
        return ok({ users: control.users() });
      case 'GET /_sandbox/requests':
        return ok({ requests: control.requestCounts() });
      case 'DELETE /_sandbox/requests':
        control.resetRequestCounts();
        return ok({});
      case 'PUT /_sandbox/faults': {
        const { route, ...spec } = body;
        const routeName = (route ?? '*') as SandboxRoute | '*';
        if (routeName !== '*' && !(routeName in counts)) {
          return error(400, CPAAS_ERROR_CODES.validation, 'unknown route');
        }
        control.setFaults(routeName, spec as FaultSpec);
        return ok({});
      }
      case 'DELETE /_sandbox/faults':
        control.clearFaults();
        return ok({});
      default:
        return error(404, CPAAS_ERROR_CODES.notFound, 'control not found');
    }
  }

  function deliverFault(res: ServerResponse, requestId: string, decision: FaultDecision): void {
    if (decision.kind === 'hang') return;
    if (decision.kind === 'reset') {
      res.socket?.resetAndDestroy();
      return;
    }
    if (decision.kind === 'status') {
      const reply =
        decision.status === 429
          ? error(429, CPAAS_ERROR_CODES.rateLimited, 'too many requests')
          : error(decision.status, CPAAS_ERROR_CODES.internal, 'internal error');
      if (decision.retryAfterSeconds !== undefined) {
        reply.headers = { 'retry-after': String(decision.retryAfterSeconds) };
      }
      send(res, requestId, reply);
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    accountId,
    apiKey,
    control,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function ok(fields: Record<string, unknown>): Reply {
  return { status: 200, body: { status_code: 200, ...fields } };
}

function error(status: number, errorCode: number, message: string, errors?: unknown[]): Reply {
  return {
    status,
    body: {
      status_code: status,
      error_code: errorCode,
      message,
      ...(errors === undefined ? {} : { errors }),
    },
  };
}

function userNotFound(): Reply {
  return error(404, CPAAS_ERROR_CODES.notFound, 'user not found');
}

function fromStore(result: ReturnType<UserStore['create']>): Reply {
  if (result.ok) return ok({ data: result.user });
  return result.reason === 'notFound'
    ? userNotFound()
    : error(400, CPAAS_ERROR_CODES.duplicateEmail, 'email already exists', [
        { field: 'email', message: 'email already exists' },
      ]);
}

function parseBody<T extends z.ZodType>(schema: T, raw: string): { value: z.infer<T> } | Reply {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new BadBody();
  }
  const parsed = schema.safeParse(json);
  if (parsed.success) return { value: parsed.data };
  return error(
    400,
    CPAAS_ERROR_CODES.validation,
    'validation failed',
    parsed.error.issues.map((issue) => ({ field: issue.path.join('.'), message: issue.message })),
  );
}

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

function tryParse(raw: string): unknown {
  try {
    return raw === '' ? undefined : JSON.parse(raw);
  } catch {
    return undefined;
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, requestId: string, reply: Reply): void {
  const body = JSON.stringify({ ...reply.body, request_id: requestId });
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    ...reply.headers,
  });
  res.end(body);
}
