import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import { createControl, handleControl, type SandboxControl } from './control.js';
import { deliverFault } from './fault-delivery.js';
import { FaultTable } from './faults.js';
import { listen } from './listener.js';
import { generateId, seededRandom } from './random.js';
import { errorReply, send } from './replies.js';
import { RequestCounts } from './request-counts.js';
import { matchRoute, type SandboxRoute } from './routes.js';
import { operate } from './user-api.js';
import { UserStore } from './user-store.js';

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

export interface RunningSandbox {
  readonly url: string;
  readonly accountId: string;
  readonly apiKey: string;
  readonly control: SandboxControl;
  close(): Promise<void>;
}

/** What one request handler needs: the account, its users and faults, and the test's observer. */
interface Sandbox {
  readonly accountId: string;
  readonly apiKey: string;
  readonly store: UserStore;
  readonly faults: FaultTable;
  readonly counts: RequestCounts;
  readonly control: SandboxControl;
  readonly onRequest?: (request: ObservedRequest) => void;
}

/**
 * Starts an in-process HTTP stand-in for the CPaaS VoIP User API: the six endpoints, the vendor's
 * envelopes and errors, and scriptable faults (5xx, 429, resets, hangs, latency) so the client and
 * worker can be tested over real sockets without the vendor.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const store = new UserStore();
  const faults = new FaultTable(seededRandom(options.seed ?? Date.now()));
  const counts = new RequestCounts();
  const sandbox: Sandbox = {
    accountId: options.accountId ?? generateId(),
    apiKey: options.apiKey ?? randomBytes(24).toString('base64url'),
    store,
    faults,
    counts,
    control: createControl(store, faults, counts),
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
  };
  const server = createServer((req, res) => {
    handle(sandbox, req, res).catch(() => res.destroy());
  });
  const listening = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: listening.url,
    accountId: sandbox.accountId,
    apiKey: sandbox.apiKey,
    control: sandbox.control,
    close: listening.close,
  };
}

/** `/_sandbox/...` is the control; anything else is the vendor API. */
async function handle(sandbox: Sandbox, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  const url = new URL(req.url ?? '/', 'http://sandbox');
  const raw = await readBody(req);
  if (url.pathname.startsWith('/_sandbox/')) {
    send(res, requestId, handleControl(sandbox.control, req.method ?? 'GET', url.pathname, raw));
    return;
  }
  await handleApi(sandbox, req, res, { requestId, url, raw });
}

/**
 * One vendor API request: observed, counted, then the route's fault plan decides whether the
 * request fails before it takes effect, after it (the client sees a failure for a write that
 * happened), or not at all.
 */
async function handleApi(
  sandbox: Sandbox,
  req: IncomingMessage,
  res: ServerResponse,
  request: { requestId: string; url: URL; raw: string },
): Promise<void> {
  const { requestId, url, raw } = request;
  const method = req.method ?? 'GET';
  const matched = matchRoute(method, url.pathname);
  sandbox.onRequest?.({
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...req.headers },
    body: tryParse(raw),
    route: matched?.route,
  });
  if (matched === undefined) {
    send(res, requestId, errorReply(404, CPAAS_ERROR_CODES.notFound, 'route not found'));
    return;
  }
  sandbox.counts.add(matched.route);
  const plan = sandbox.faults.plan(matched.route);
  if (plan.delayMs > 0) await sleep(plan.delayMs);
  if (plan.decision.kind !== 'none' && !plan.afterHandling) {
    deliverFault(res, requestId, plan.decision);
    return;
  }
  const reply = authorized(req, sandbox.apiKey)
    ? operate(sandbox.store, sandbox.accountId, matched, url, raw)
    : errorReply(401, CPAAS_ERROR_CODES.unauthorized, 'unauthorized');
  if (plan.decision.kind !== 'none') {
    deliverFault(res, requestId, plan.decision);
    return;
  }
  send(res, requestId, reply);
}

/** The vendor takes the key as a bearer token or bare. */
function authorized(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers.authorization;
  if (header === undefined) return false;
  return header === `Bearer ${apiKey}` || header === apiKey;
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
