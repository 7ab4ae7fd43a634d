import type { IncomingMessage, ServerResponse } from 'node:http';
import { signBambooHrWebhook } from '../../../lambdas/ingest/sources/bamboohr.js';
import { FaultTable } from '../../sandbox/faults.js';
import { seededRandom } from '../../sandbox/random.js';
import {
  handleFakeControl,
  injectedFault,
  type RunningFakeApi,
  replyJson,
  serveFake,
} from '../fake-control.js';

/** A BambooHR employee as the fake stores it, in BambooHR's field names. */
export interface FakeBambooHrEmployee {
  workEmail?: string | null;
  firstName?: string | null;
  lastName?: string | null;
  status?: 'Active' | 'Inactive';
  /** `YYYY-MM-DD`, or `0000-00-00` for none (as BambooHR writes it). */
  terminationDate?: string;
}

/** The one API route the adapter calls; fault specs are set on it (or '*'). */
export type BambooHrRoute = 'getEmployee';

export interface BambooHrFake extends RunningFakeApi<FakeBambooHrEmployee, BambooHrRoute> {
  /** Up to and including the company, like BambooHR's gateway URL. */
  readonly apiBaseUrl: string;
}

export interface BambooHrFakeOptions {
  readonly company?: string;
  readonly apiKey: string;
  readonly seed?: number;
}

/**
 * The slice of BambooHR's API the adapter uses, over a real socket: `GET
 * /api/gateway.php/{company}/v1/employees/{id}?fields=a,b` with the API key as Basic-auth user,
 * answering JSON with only the fields asked for (BambooHR answers XML unless asked for JSON, so
 * the fake answers 406 without `Accept: application/json`), 401 on a wrong key, 404 on an unknown
 * employee. Faults (latency, 5xx, 429 with Retry-After, resets, hangs) are the CPaaS sandbox's.
 */
export async function startBambooHrFake(options: BambooHrFakeOptions): Promise<BambooHrFake> {
  const company = options.company ?? 'acme';
  const employees = new Map<string, FakeBambooHrEmployee>();
  const faults = new FaultTable<BambooHrRoute>(seededRandom(options.seed ?? 1));
  const requests = new Map<string, number>();
  const expectedAuth = `Basic ${Buffer.from(`${options.apiKey}:x`).toString('base64')}`;
  const route = new RegExp(`^/api/gateway\\.php/${company}/v1/employees/([^/?]+)$`);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (await handleFakeControl(req, res, url.pathname, { employees, faults, requests })) return;
    const match = route.exec(url.pathname);
    if (req.method !== 'GET' || !match?.[1]) return replyJson(res, 404, { error: 'not found' });
    const id = decodeURIComponent(match[1]);
    requests.set(id, (requests.get(id) ?? 0) + 1);
    if (await injectedFault(res, faults, 'getEmployee')) return;
    if (req.headers.authorization !== expectedAuth) return replyJson(res, 401, { error: 'unauthorized' });
    if (!req.headers.accept?.includes('application/json')) return replyJson(res, 406, { error: 'xml only' });
    const employee = employees.get(id);
    if (employee === undefined) return replyJson(res, 404, { error: 'employee not found' });
    const fields = (url.searchParams.get('fields') ?? '').split(',').filter(Boolean);
    const record: Record<string, unknown> = { id };
    const stored: Record<string, unknown> = { status: 'Active', terminationDate: '0000-00-00', ...employee };
    for (const field of fields) record[field] = stored[field] ?? null;
    replyJson(res, 200, record);
  }

  const listening = await serveFake(handle);
  return {
    apiBaseUrl: `${listening.url}/api/gateway.php/${company}`,
    controlUrl: listening.controlUrl,
    employees,
    faults,
    requests,
    close: () => listening.close(),
  };
}

/**
 * Sends a webhook as BambooHR does: the JSON body, `X-BambooHR-Timestamp` (unix seconds) and
 * `X-BambooHR-Signature`, hex HMAC-SHA256 with the webhook's private key over body + timestamp.
 */
export async function sendBambooHrWebhook(
  webhookUrl: string,
  privateKey: string,
  body: unknown,
  sentAt: Date = new Date(),
): Promise<Response> {
  const raw = JSON.stringify(body);
  const timestamp = String(Math.floor(sentAt.getTime() / 1000));
  return fetch(webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-bamboohr-timestamp': timestamp,
      'x-bamboohr-signature': signBambooHrWebhook(privateKey, raw, timestamp),
    },
    body: raw,
  });
}
