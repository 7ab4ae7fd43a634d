import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { CPAAS_ERROR_CODES } from '../../lambdas/core/cpaas/errors.js';
import { type SandboxAccount, type SandboxAccountOptions, SandboxAccounts } from './accounts.js';
import { createControl, handleControl, type SandboxControl } from './control.js';
import { deliverFault } from './fault-delivery.js';
import { FaultTable } from './faults.js';
import { listen } from './listener.js';
import { seededRandom } from './random.js';
import { errorReply, type Reply, send } from './replies.js';
import { RequestCounts } from './request-counts.js';
import { type MatchedRoute, matchRoute, type SandboxRoute } from './routes.js';
import { operate } from './user-api.js';

/** One request as the sandbox received it, for tests that check what a client sends. */
export interface ObservedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body, or undefined when there was none or it was not JSON. */
  readonly body: unknown;
  readonly route?: SandboxRoute;
  /** The account the request's key belongs to; undefined for a missing or unknown key. */
  readonly keyAccountId?: string;
}

export interface SandboxOptions {
  port?: number;
  host?: string;
  /** The first account's id and key (generated when absent): what a single-account caller uses. */
  accountId?: string;
  apiKey?: string;
  /** More accounts served from the start, each with its own key and users. */
  moreAccounts?: readonly SandboxAccountOptions[];
  seed?: number;
  /** Called for every /v1 request after its body is read, before auth or faults. */
  onRequest?: (request: ObservedRequest) => void;
}

export interface RunningSandbox {
  readonly url: string;
  /** The first account's id and key; `control.accounts()` lists them all. */
  readonly accountId: string;
  readonly apiKey: string;
  readonly control: SandboxControl;
  close(): Promise<void>;
}

/** What one request handler needs: the accounts and their users, the faults, and the test's observer. */
interface Sandbox {
  readonly accounts: SandboxAccounts;
  readonly faults: FaultTable;
  readonly counts: RequestCounts;
  readonly control: SandboxControl;
  readonly onRequest?: (request: ObservedRequest) => void;
}

/**
 * Starts an in-process HTTP stand-in for the CPaaS VoIP User API: the six endpoints, the vendor's
 * envelopes and errors, and scriptable faults (5xx, 429, resets, hangs, latency) so the client and
 * worker can be tested over real sockets without the vendor. It serves one account, or several
 * (`moreAccounts`, `control.addAccount`), each with its own key and users, as an MSP's are.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<RunningSandbox> {
  const accounts = new SandboxAccounts();
  const first = accounts.add({
    ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
    ...(options.apiKey === undefined ? {} : { apiKey: options.apiKey }),
  });
  for (const more of options.moreAccounts ?? []) accounts.add(more);
  const faults = new FaultTable(seededRandom(options.seed ?? Date.now()));
  const counts = new RequestCounts();
  const sandbox: Sandbox = {
    accounts,
    faults,
    counts,
    control: createControl(accounts, faults, counts),
    ...(options.onRequest === undefined ? {} : { onRequest: options.onRequest }),
  };
  const server = createServer((req, res) => {
    handle(sandbox, req, res).catch(() => res.destroy());
  });
  const listening = await listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
  return {
    url: listening.url,
    accountId: first.accountId,
    apiKey: first.apiKey,
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
 * One vendor API request: observed, counted (in the total and on its path's account), then the
 * route's fault plan decides whether the request fails before it takes effect, after it (the
 * client sees a failure for a write that happened), or not at all.
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
  const caller = sandbox.accounts.authenticated(req.headers.authorization);
  sandbox.onRequest?.({
    method,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...req.headers },
    body: tryParse(raw),
    route: matched?.route,
    ...(caller === undefined ? {} : { keyAccountId: caller.accountId }),
  });
  if (matched === undefined) {
    send(res, requestId, errorReply(404, CPAAS_ERROR_CODES.notFound, 'route not found'));
    return;
  }
  const account = sandbox.accounts.get(matched.accountId);
  sandbox.counts.add(matched.route);
  account?.counts.add(matched.route);
  const plan = sandbox.faults.plan(matched.route);
  if (plan.delayMs > 0) await sleep(plan.delayMs);
  if (plan.decision.kind !== 'none' && !plan.afterHandling) {
    deliverFault(res, requestId, plan.decision);
    return;
  }
  const reply = answer(caller, account !== undefined, matched, url, raw);
  if (plan.decision.kind !== 'none') {
    deliverFault(res, requestId, plan.decision);
    return;
  }
  send(res, requestId, reply);
}

/**
 * What the vendor answers the caller. No key, or a key of no account: 401. A valid key on another
 * served account's path: 403 (the key is known but has no right there) and nothing of that account
 * is read. A path of an account not served at all keeps the single-account sandbox's 404.
 */
function answer(
  caller: SandboxAccount | undefined,
  pathAccountServed: boolean,
  matched: MatchedRoute,
  url: URL,
  raw: string,
): Reply {
  if (caller === undefined) return errorReply(401, CPAAS_ERROR_CODES.unauthorized, 'unauthorized');
  if (caller.accountId !== matched.accountId && pathAccountServed) {
    return errorReply(403, CPAAS_ERROR_CODES.forbidden, 'this API key has no access to that account');
  }
  return operate(caller, matched, url, raw);
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
