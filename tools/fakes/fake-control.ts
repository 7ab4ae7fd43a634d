import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { deliverFault } from '../sandbox/fault-delivery.js';
import type { FaultSpec, FaultTable } from '../sandbox/faults.js';
import { type Listening, listen } from '../sandbox/listener.js';

/** The control routes every HR fake serves under `<controlUrl>`, i.e. `/_fake/...`. */
export const FAKE_CONTROL_PREFIX = '/_fake';

/** What a fake keeps that its control routes expose: who exists, its faults and the API requests it received. */
export interface FakeControlState<Person, Route extends string> {
  readonly employees: Map<string, Person>;
  readonly faults: FaultTable<Route>;
  /** API requests received (faulted ones included), per employee id. */
  readonly requests: Map<string, number>;
}

/** What every HR fake gives its starter: its API root, its control routes and what they expose. */
export interface RunningFakeApi<Person, Route extends string> extends FakeControlState<Person, Route> {
  /** The fetcher's `apiBaseUrl` for this fake. */
  readonly apiBaseUrl: string;
  /** The control routes (`handleFakeControl`): who exists, faults, requests, from another process. */
  readonly controlUrl: string;
  close(): Promise<void>;
}

/** A fake listening on a free loopback port, with its control routes under `controlUrl`. */
export interface ServedFake extends Listening {
  readonly controlUrl: string;
}

/**
 * Serves a fake's `handle` on a free loopback port. A request the fake fails on is answered 500,
 * so a client under test sees a server error, as from the real provider, and the process lives on.
 */
export async function serveFake(
  handle: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
): Promise<ServedFake> {
  const server = createServer((req, res) => {
    handle(req, res).catch(() => replyJson(res, 500, { error: 'fake failed' }));
  });
  const listening = await listen(server, 0, '127.0.0.1');
  return { ...listening, controlUrl: `${listening.url}${FAKE_CONTROL_PREFIX}` };
}

/**
 * The fault `faults` plans for this request of `route`: waits its latency, then fails the request
 * as planned (a hang, a reset, an error status). True when it failed it, so the fake answers
 * nothing more; false when the request is to be served, late or not.
 */
export async function injectedFault<Route extends string>(
  res: ServerResponse,
  faults: FaultTable<Route>,
  route: Route,
): Promise<boolean> {
  const plan = faults.plan(route);
  if (plan.delayMs > 0) await sleep(plan.delayMs);
  if (plan.decision.kind === 'none') return false;
  deliverFault(res, randomUUID(), plan.decision);
  return true;
}

export function replyJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The request body as a JSON object; undefined when it is not one. */
export async function jsonObjectBody(req: IncomingMessage): Promise<Record<string, unknown> | undefined> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

const EMPLOYEE_ROUTE = /^\/_fake\/employees\/([^/]+)$/;

/**
 * Serves `<controlUrl>/...` for another process (a person with the ready line, a test, the bench),
 * the same for every HR fake so one driver works for all:
 * - `PUT|DELETE /employees/{id}`: who exists, in the provider's own field names;
 * - `PUT /faults` with `{"route": "<route or *>", "spec": FaultSpec}`, `DELETE /faults`: the
 *   API's fault injection (the CPaaS sandbox's fault specs);
 * - `GET /requests`: `{"total": n, "byEmployee": {...}}`, the API requests received.
 * Answers false when the path is not a control route, so the fake serves its API.
 */
export async function handleFakeControl<Person, Route extends string>(
  req: IncomingMessage,
  res: ServerResponse,
  pathname: string,
  state: FakeControlState<Person, Route>,
): Promise<boolean> {
  if (!pathname.startsWith(`${FAKE_CONTROL_PREFIX}/`)) return false;
  const route = `${req.method} ${pathname.slice(FAKE_CONTROL_PREFIX.length)}`;
  if (route === 'GET /requests') {
    const byEmployee = Object.fromEntries(state.requests);
    const total = [...state.requests.values()].reduce((sum, count) => sum + count, 0);
    replyJson(res, 200, { total, byEmployee });
    return true;
  }
  if (route === 'DELETE /faults') {
    state.faults.clear();
    replyJson(res, 200, { cleared: true });
    return true;
  }
  if (route === 'PUT /faults') {
    const body = await jsonObjectBody(req);
    if (typeof body?.route !== 'string' || typeof body.spec !== 'object' || body.spec === null) {
      replyJson(res, 400, { error: 'body must be {"route": "<route or *>", "spec": {...}}' });
      return true;
    }
    state.faults.set(body.route as Route | '*', body.spec as FaultSpec);
    replyJson(res, 200, { route: body.route, spec: body.spec });
    return true;
  }
  const employee = EMPLOYEE_ROUTE.exec(pathname);
  if (employee?.[1] === undefined) {
    replyJson(res, 404, { error: 'unknown control route' });
    return true;
  }
  const id = decodeURIComponent(employee[1]);
  if (req.method === 'DELETE') {
    replyJson(res, 200, { id, deleted: state.employees.delete(id) });
    return true;
  }
  if (req.method !== 'PUT') {
    replyJson(res, 405, { error: 'PUT or DELETE' });
    return true;
  }
  const person = await jsonObjectBody(req);
  if (person === undefined) {
    replyJson(res, 400, { error: 'body must be a JSON object of employee fields' });
    return true;
  }
  state.employees.set(id, person as Person);
  replyJson(res, 200, { id, ...person });
  return true;
}
