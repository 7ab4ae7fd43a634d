import type { IncomingMessage, ServerResponse } from 'node:http';
import { signHiBobWebhook } from '../../../lambdas/ingest/sources/hibob.js';
import { FaultTable } from '../../sandbox/faults.js';
import { seededRandom } from '../../sandbox/random.js';
import {
  handleFakeControl,
  injectedFault,
  type RunningFakeApi,
  replyJson,
  serveFake,
} from '../fake-control.js';

/** A HiBob employee as the fake stores it: root fields at the top, the others under their category. */
export interface FakeHiBobEmployee {
  email?: string | null;
  firstName?: string | null;
  surname?: string | null;
  internal?: {
    status?: 'Active' | 'Inactive';
    /** Backend value, e.g. `employed`, `terminated`, `garden leave`, `leave`. */
    lifecycleStatus?: string;
    /** `YYYY-MM-DD`, or null for none. */
    terminationDate?: string | null;
  };
}

/** The one API route the adapter calls; fault specs are set on it (or '*'). */
export type HiBobRoute = 'readEmployee';

export interface HiBobFake extends RunningFakeApi<FakeHiBobEmployee, HiBobRoute> {
  /** Like `https://api.hibob.com`. */
  readonly apiBaseUrl: string;
  /** Field categories (`internal`, ...) the service user may not read: HiBob leaves them out silently. */
  readonly unreadableCategories: Set<string>;
}

export interface HiBobFakeOptions {
  readonly serviceUserId: string;
  readonly token: string;
  readonly seed?: number;
}

const ROUTE = /^\/v1\/people\/([^/?]+)$/;
const DEFAULT_INTERNAL = { status: 'Active', lifecycleStatus: 'employed', terminationDate: null };

async function jsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The requested fields only, nested as HiBob answers: `root.email` -> `email`, `internal.status` -> `internal.status`. */
function selectFields(
  stored: FakeHiBobEmployee,
  id: string,
  fields: readonly string[],
  unreadable: ReadonlySet<string>,
): Record<string, unknown> {
  const person: Record<string, unknown> = {
    ...stored,
    id,
    internal: { ...DEFAULT_INTERNAL, ...stored.internal },
  };
  const record: Record<string, unknown> = {};
  for (const field of fields) {
    const [category, name] = field.split('.');
    if (category === undefined || name === undefined || unreadable.has(category)) continue;
    if (category === 'root') {
      record[name] = person[name] ?? null;
      continue;
    }
    const section = (person[category] ?? {}) as Record<string, unknown>;
    const target = (record[category] ?? {}) as Record<string, unknown>;
    target[name] = section[name] ?? null;
    record[category] = target;
  }
  return record;
}

/**
 * The slice of HiBob's public API the fetcher uses, over a real socket: `POST /v1/people/{id}`
 * with `{"fields": ["root.email", ...]}` and the service user as Basic auth, answering the
 * requested fields only, nested by category (HiBob's response shape), silently without the
 * categories in `unreadableCategories` (as HiBob does for fields the service user may not read); 401 on wrong credentials,
 * 400 without a `fields` array, 404 on an unknown employee. Faults (latency, 5xx, 429 with
 * Retry-After, resets, hangs) are the CPaaS sandbox's.
 */
export async function startHiBobFake(options: HiBobFakeOptions): Promise<HiBobFake> {
  const employees = new Map<string, FakeHiBobEmployee>();
  const faults = new FaultTable<HiBobRoute>(seededRandom(options.seed ?? 1));
  const requests = new Map<string, number>();
  const unreadableCategories = new Set<string>();
  const expectedAuth = `Basic ${Buffer.from(`${options.serviceUserId}:${options.token}`).toString('base64')}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (await handleFakeControl(req, res, url.pathname, { employees, faults, requests })) return;
    const match = ROUTE.exec(url.pathname);
    if (req.method !== 'POST' || !match?.[1]) return replyJson(res, 404, { error: 'not found' });
    const id = decodeURIComponent(match[1]);
    requests.set(id, (requests.get(id) ?? 0) + 1);
    if (await injectedFault(res, faults, 'readEmployee')) return;
    if (req.headers.authorization !== expectedAuth) return replyJson(res, 401, { error: 'unauthorized' });
    const body = (await jsonBody(req)) as { fields?: unknown } | undefined;
    const fields = body?.fields;
    if (!Array.isArray(fields) || !fields.every((field) => typeof field === 'string'))
      return replyJson(res, 400, { error: 'body must be {"fields": ["root.id", ...]}' });
    const employee = employees.get(id);
    if (employee === undefined) return replyJson(res, 404, { error: 'employee not found' });
    replyJson(res, 200, selectFields(employee, id, fields, unreadableCategories));
  }

  const listening = await serveFake(handle);
  return {
    apiBaseUrl: listening.url,
    controlUrl: listening.controlUrl,
    employees,
    faults,
    requests,
    unreadableCategories,
    close: () => listening.close(),
  };
}

/** A HiBob v2 employee event body, as Bob sends it (`triggeredAt` without a zone, as in its examples). */
export function hiBobEventBody(
  type: string,
  employeeId: string,
  data: Record<string, unknown> = {},
  triggeredAt = new Date().toISOString().replace('Z', '000'),
): Record<string, unknown> {
  return {
    companyId: 636192,
    type,
    triggeredBy: 'system',
    triggeredAt,
    version: 'v2',
    data: { employeeId, ...data },
  };
}

/** Sends a webhook as HiBob does: the JSON body and `Bob-Signature`, base64 HMAC-SHA512 of it with the webhook's secret. */
export async function sendHiBobWebhook(webhookUrl: string, secret: string, body: unknown): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'bob-signature': signHiBobWebhook(secret, raw) },
    body: raw,
  });
}

/**
 * Sends HiBob's connection check as it does when a webhook is saved: `Ping test` as a plain
 * string (or, as its retry, `{"text": "Ping test"}`), unsigned: whether Bob signs it is not documented.
 */
export async function sendHiBobPing(webhookUrl: string, asJson = false): Promise<Response> {
  return fetch(webhookUrl, {
    method: 'POST',
    headers: { 'content-type': asJson ? 'application/json' : 'text/plain' },
    body: asJson ? JSON.stringify({ text: 'Ping test' }) : 'Ping test',
  });
}
