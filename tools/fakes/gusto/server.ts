import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signGustoWebhook } from '../../../lambdas/ingest/sources/gusto.js';
import { FaultTable } from '../../sandbox/faults.js';
import { seededRandom } from '../../sandbox/random.js';
import {
  handleFakeControl,
  injectedFault,
  jsonObjectBody,
  type RunningFakeApi,
  replyJson,
  serveFake,
} from '../fake-control.js';

/** A Gusto employee as the fake stores it, in Gusto's field names. */
export interface FakeGustoEmployee {
  work_email?: string | null;
  email?: string | null;
  first_name?: string | null;
  last_name?: string | null;
  terminated?: boolean;
  /** `effective_date` is the last day of work, `YYYY-MM-DD`. */
  terminations?: { effective_date: string }[];
}

/** The API routes the adapter and the operator's command call; fault specs are set on them (or '*'). */
export type GustoRoute = 'getEmployee' | 'token' | 'verifySubscription';

/** A webhook subscription the fake created, with the token it posted to the subscriber. */
export interface FakeGustoSubscription {
  readonly uuid: string;
  readonly url: string;
  readonly verificationToken: string;
  verified: boolean;
}

export interface GustoFake extends RunningFakeApi<FakeGustoEmployee, GustoRoute> {
  /** The token endpoint, API and webhook subscriptions, all under it. */
  readonly apiBaseUrl: string;
  /** Token endpoint outcomes: refreshes granted, and refresh tokens refused (`invalid_grant`). */
  readonly tokenCounts: { refreshed: number; invalidGrant: number };
  readonly subscriptions: Map<string, FakeGustoSubscription>;
  /** The credentials secret's JSON the fake accepts: the app's client id and secret and a valid refresh token. */
  readonly credentials: string;
  /** Makes every access token issued so far lapse now, as two hours passing would. */
  expireAccessTokens(): void;
  /**
   * Creates a webhook subscription as `POST /v1/webhook_subscriptions` does and posts its
   * verification token to `url`, unsigned, as Gusto does. Resolves to the subscription and the
   * subscriber's HTTP status (0 when it could not be reached).
   */
  subscribe(url: string): Promise<{ subscription: FakeGustoSubscription; status: number }>;
}

export interface GustoFakeOptions {
  readonly clientId?: string;
  readonly clientSecret?: string;
  /** How long an access token lives (Gusto: 7200 s). */
  readonly accessTokenSeconds?: number;
  readonly seed?: number;
}

interface IssuedToken {
  readonly kind: 'company' | 'system';
  expiresAtMs: number;
  /** The refresh token this access token replaces: revoked on the token's first use, as Gusto does. */
  readonly replaces?: string;
  used: boolean;
}

const secret = () => randomBytes(24).toString('base64url');

/**
 * The slice of Gusto's API the project uses, over a real socket: `POST /oauth/token`
 * (`refresh_token` grant with rotating refresh tokens: each refresh returns a new refresh token,
 * and the old one is revoked on the first use of the new access token; `system_access` grant for
 * the webhook subscription calls), `GET /v1/employees/{uuid}` with a Bearer access token (401 when
 * unknown or expired, 404 for an unknown employee), `PUT /v1/webhook_subscriptions/{uuid}/verify`
 * with a system access token. Faults (5xx, 429 with Retry-After, resets, hangs) are the sandbox's.
 */
export async function startGustoFake(options: GustoFakeOptions = {}): Promise<GustoFake> {
  const clientId = options.clientId ?? randomUUID();
  const clientSecret = options.clientSecret ?? secret();
  const lifetimeMs = (options.accessTokenSeconds ?? 7200) * 1000;
  const employees = new Map<string, FakeGustoEmployee>();
  const faults = new FaultTable<GustoRoute>(seededRandom(options.seed ?? 1));
  const requests = new Map<string, number>();
  const tokenCounts = { refreshed: 0, invalidGrant: 0 };
  const subscriptions = new Map<string, FakeGustoSubscription>();
  const refreshTokens = new Set<string>();
  const accessTokens = new Map<string, IssuedToken>();
  const initialRefreshToken = secret();
  refreshTokens.add(initialRefreshToken);

  const issue = (kind: IssuedToken['kind'], replaces?: string) => {
    const token = secret();
    accessTokens.set(token, {
      kind,
      expiresAtMs: Date.now() + lifetimeMs,
      used: false,
      ...(replaces === undefined ? {} : { replaces }),
    });
    return token;
  };

  /** The Bearer token's record when it is live and of `kind`; its first use revokes the refresh token it replaced. */
  function authorized(req: IncomingMessage, kind: IssuedToken['kind']): boolean {
    const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const issued = token === undefined ? undefined : accessTokens.get(token);
    if (issued === undefined || issued.kind !== kind || issued.expiresAtMs <= Date.now()) return false;
    if (!issued.used && issued.replaces !== undefined) refreshTokens.delete(issued.replaces);
    issued.used = true;
    return true;
  }

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await jsonObjectBody(req);
    if (body?.client_id !== clientId || body.client_secret !== clientSecret)
      return replyJson(res, 401, { error: 'invalid_client' });
    const expiresIn = Math.round(lifetimeMs / 1000);
    if (body.grant_type === 'system_access')
      return replyJson(res, 200, {
        access_token: issue('system'),
        token_type: 'bearer',
        expires_in: expiresIn,
      });
    if (body.grant_type !== 'refresh_token') return replyJson(res, 400, { error: 'unsupported_grant_type' });
    const old = body.refresh_token;
    if (typeof old !== 'string' || !refreshTokens.has(old)) {
      tokenCounts.invalidGrant += 1;
      return replyJson(res, 400, { error: 'invalid_grant', error_description: 'refresh token is invalid' });
    }
    tokenCounts.refreshed += 1;
    const refreshToken = secret();
    refreshTokens.add(refreshToken);
    replyJson(res, 200, {
      access_token: issue('company', old),
      token_type: 'bearer',
      expires_in: expiresIn,
      refresh_token: refreshToken,
      scope: 'employees:read',
      created_at: new Date().toISOString(),
    });
  }

  async function verify(req: IncomingMessage, res: ServerResponse, uuid: string): Promise<void> {
    if (!authorized(req, 'system')) return replyJson(res, 401, { error: 'unauthorized' });
    const body = await jsonObjectBody(req);
    const subscription = subscriptions.get(uuid);
    if (subscription === undefined) return replyJson(res, 404, { error: 'subscription not found' });
    if (body?.verification_token !== subscription.verificationToken)
      return replyJson(res, 422, { errors: [{ error_key: 'verification_token', message: 'is invalid' }] });
    subscription.verified = true;
    replyJson(res, 200, {
      uuid,
      url: subscription.url,
      status: 'verified',
      subscription_types: ['Employee'],
    });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (await handleFakeControl(req, res, url.pathname, { employees, faults, requests })) return;
    if (req.method === 'POST' && url.pathname === '/oauth/token') {
      if (await injectedFault(res, faults, 'token')) return;
      return token(req, res);
    }
    const verifyMatch = /^\/v1\/webhook_subscriptions\/([^/]+)\/verify$/.exec(url.pathname);
    if (req.method === 'PUT' && verifyMatch?.[1]) {
      if (await injectedFault(res, faults, 'verifySubscription')) return;
      return verify(req, res, decodeURIComponent(verifyMatch[1]));
    }
    const employeeMatch = /^\/v1\/employees\/([^/]+)$/.exec(url.pathname);
    if (req.method !== 'GET' || !employeeMatch?.[1]) return replyJson(res, 404, { error: 'not found' });
    const id = decodeURIComponent(employeeMatch[1]);
    requests.set(id, (requests.get(id) ?? 0) + 1);
    if (await injectedFault(res, faults, 'getEmployee')) return;
    if (!authorized(req, 'company')) return replyJson(res, 401, { error: 'unauthorized' });
    const employee = employees.get(id);
    if (employee === undefined) return replyJson(res, 404, { errors: [{ message: 'employee not found' }] });
    replyJson(res, 200, { uuid: id, terminated: false, terminations: [], ...employee });
  }

  const listening = await serveFake(handle);
  return {
    apiBaseUrl: listening.url,
    controlUrl: listening.controlUrl,
    employees,
    faults,
    requests,
    tokenCounts,
    subscriptions,
    credentials: JSON.stringify({ clientId, clientSecret, refreshToken: initialRefreshToken }),
    expireAccessTokens: () => {
      for (const issued of accessTokens.values()) issued.expiresAtMs = Date.now();
    },
    async subscribe(subscriberUrl) {
      const subscription = {
        uuid: randomUUID(),
        url: subscriberUrl,
        verificationToken: randomUUID(),
        verified: false,
      };
      subscriptions.set(subscription.uuid, subscription);
      try {
        const response = await fetch(subscriberUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            verification_token: subscription.verificationToken,
            webhook_subscription_uuid: subscription.uuid,
          }),
        });
        await response.body?.cancel();
        return { subscription, status: response.status };
      } catch {
        // An unreachable subscriber: the subscription exists, unverified, as at Gusto.
        return { subscription, status: 0 };
      }
    },
    close: () => listening.close(),
  };
}

/** The body of a Gusto employee event, as Gusto posts it. */
export function gustoEmployeeEvent(eventType: string, employeeUuid: string, at: Date = new Date()) {
  return {
    uuid: randomUUID(),
    event_type: eventType,
    resource_type: 'Company',
    resource_uuid: '5df911a0-e8e9-412d-8aaf-a46ad193dd96',
    entity_type: 'Employee',
    entity_uuid: employeeUuid,
    timestamp: Math.floor(at.getTime() / 1000),
  };
}

/** Sends a webhook as Gusto does: the JSON body and `X-Gusto-Signature`, hex HMAC-SHA256 with the verification token. */
export async function sendGustoWebhook(
  webhookUrl: string,
  verificationToken: string,
  body: unknown,
): Promise<Response> {
  const raw = JSON.stringify(body);
  return fetch(webhookUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-gusto-signature': signGustoWebhook(verificationToken, raw),
    },
    body: raw,
  });
}
