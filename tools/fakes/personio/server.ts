import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultTable } from '../../sandbox/faults.js';
import { seededRandom } from '../../sandbox/random.js';
import {
  handleFakeControl,
  injectedFault,
  type RunningFakeApi,
  replyJson,
  serveFake,
} from '../fake-control.js';

/**
 * A Personio person as the fake stores it, in Personio's field names: the person's own fields and
 * its one (latest) employment's `status` and `termination_date`.
 */
export interface FakePersonioPerson {
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  status?: 'ACTIVE' | 'INACTIVE' | 'ONBOARDING' | 'LEAVE';
  /** `YYYY-MM-DD`, or null for none. */
  termination_date?: string | null;
}

/** The API routes the adapter calls; fault specs are set on them (or '*'). */
export type PersonioRoute = 'token' | 'getPerson' | 'listEmployments';

export interface PersonioFake extends RunningFakeApi<FakePersonioPerson, PersonioRoute> {
  /** The root, like `https://api.personio.de`. */
  readonly apiBaseUrl: string;
  /** `POST /v2/auth/token` requests received, faulted and refused ones included. */
  tokenRequests(): number;
  /** Makes every token issued so far invalid (as if expired or revoked): the next GET answers 401. */
  revokeTokens(): void;
}

export interface PersonioFakeOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  /** `expires_in` of issued tokens; Personio's are stable for 24 hours. */
  readonly tokenLifetimeSeconds?: number;
  readonly seed?: number;
}

async function formBody(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const PERSON_ROUTE = /^\/v2\/persons\/([^/]+)(\/employments)?$/;

/**
 * The slice of Personio's API v2 the adapter uses, over a real socket: `POST /v2/auth/token`
 * (form-encoded client credentials -> `{access_token, token_type, expires_in}`, 401
 * `invalid_client` otherwise), `GET /v2/persons/{id}` and `GET /v2/persons/{id}/employments`
 * (`{_data: [...], _meta}`) with the bearer token, answering 401 for an unknown or revoked token
 * and 404 for an unknown person. Faults (latency, 5xx, 429 with Retry-After, resets, hangs) are
 * the CPaaS sandbox's, per route.
 */
export async function startPersonioFake(options: PersonioFakeOptions): Promise<PersonioFake> {
  const employees = new Map<string, FakePersonioPerson>();
  const faults = new FaultTable<PersonioRoute>(seededRandom(options.seed ?? 1));
  const requests = new Map<string, number>();
  const tokens = new Set<string>();
  let tokenRequests = 0;

  async function issueToken(req: IncomingMessage, res: ServerResponse): Promise<void> {
    tokenRequests += 1;
    if (await injectedFault(res, faults, 'token')) return;
    const form = await formBody(req);
    if (!req.headers['content-type']?.startsWith('application/x-www-form-urlencoded'))
      return replyJson(res, 400, { error: 'invalid_request' });
    if (form.get('grant_type') !== 'client_credentials')
      return replyJson(res, 400, { error: 'unsupported_grant_type' });
    if (form.get('client_id') !== options.clientId || form.get('client_secret') !== options.clientSecret)
      return replyJson(res, 401, { error: 'invalid_client' });
    const token = `papi-${randomBytes(24).toString('base64url')}`;
    tokens.add(token);
    replyJson(res, 200, {
      access_token: token,
      token_type: 'Bearer',
      expires_in: options.tokenLifetimeSeconds ?? 86_400,
      scope: 'personio:persons:read',
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (await handleFakeControl(req, res, url.pathname, { employees, faults, requests })) return;
    if (req.method === 'POST' && url.pathname === '/v2/auth/token') return issueToken(req, res);
    const match = PERSON_ROUTE.exec(url.pathname);
    if (req.method !== 'GET' || !match?.[1]) return replyJson(res, 404, { error: 'not found' });
    const id = decodeURIComponent(match[1]);
    requests.set(id, (requests.get(id) ?? 0) + 1);
    const employments = match[2] !== undefined;
    if (await injectedFault(res, faults, employments ? 'listEmployments' : 'getPerson')) return;
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (bearer === undefined || !tokens.has(bearer)) return replyJson(res, 401, { title: 'Unauthorized' });
    const person = employees.get(id);
    if (person === undefined) return replyJson(res, 404, { title: 'Resource not found' });
    if (!employments)
      return replyJson(res, 200, {
        id,
        email: person.email ?? null,
        first_name: person.first_name ?? null,
        last_name: person.last_name ?? null,
        preferred_name: null,
        created_at: '2026-01-05T09:00:00Z',
        updated_at: new Date().toISOString(),
      });
    const termination = person.termination_date ?? null;
    replyJson(res, 200, {
      _data: [
        {
          id: `employment-${id}`,
          person: { id },
          status: person.status ?? 'ACTIVE',
          start_date: '2026-01-05',
          termination: {
            termination_date: termination,
            last_working_date: termination,
            terminated_at: null,
            type: termination === null ? null : 'QUIT',
            reason: null,
          },
        },
      ],
      _meta: { links: {} },
    });
  }

  const listening = await serveFake(handle);
  return {
    apiBaseUrl: listening.url,
    controlUrl: listening.controlUrl,
    employees,
    faults,
    requests,
    tokenRequests: () => tokenRequests,
    revokeTokens: () => tokens.clear(),
    close: () => listening.close(),
  };
}

/** The body of a Personio v2 notification: ids only ("dataless"), as Personio posts it. */
export function personioNotification(
  eventName: string,
  personId: string,
  options: { readonly companyId?: string; readonly occurredAt?: Date } = {},
): Record<string, unknown> {
  const employment = eventName.startsWith('employment.');
  return {
    company_id: options.companyId ?? '12345',
    event_name: eventName,
    occurred_at: (options.occurredAt ?? new Date()).toISOString(),
    payload: employment ? { id: `employment-${personId}`, person: { id: personId } } : { id: personId },
    meta: {},
  };
}

/**
 * Sends a notification as Personio does with `auth_type: TOKEN`: the JSON body and the webhook's
 * token, verbatim, as the `Authorization` header (no signature over the body).
 */
export async function sendPersonioWebhook(
  webhookUrl: string,
  token: string,
  body: unknown,
): Promise<Response> {
  return fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: token },
    body: JSON.stringify(body),
  });
}
