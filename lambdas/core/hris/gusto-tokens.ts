import { PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { cachedSecretJson } from '../config/cached-secret.js';
import { parseRetryAfter } from '../cpaas/retry.js';
import * as z from '../validation/zod.js';
import { HrApiError } from './errors.js';

/**
 * The Gusto credentials secret: the OAuth app's client id and secret, the company's refresh token
 * and, once the worker has refreshed, the access token and its expiry (ISO). `redirectUri` only for
 * an app whose token endpoint asks for it.
 */
export const GustoCredentialsSchema = z.object({
  clientId: z.string().check(z.minLength(1)),
  clientSecret: z.string().check(z.minLength(1)),
  refreshToken: z.string().check(z.minLength(1)),
  redirectUri: z.optional(z.string().check(z.minLength(1))),
  accessToken: z.optional(z.string().check(z.minLength(1))),
  expiresAt: z.optional(z.iso.datetime({ offset: true })),
});
export type GustoCredentials = z.infer<typeof GustoCredentialsSchema>;

const TokenResponseSchema = z.looseObject({
  access_token: z.string().check(z.minLength(1)),
  refresh_token: z.string().check(z.minLength(1)),
  expires_in: z.number().check(z.positive()),
});

/** Credentials with an access token. */
type Usable = GustoCredentials & { readonly accessToken: string };

/** An access token this close to its expiry is refreshed first, so no fetch starts on one about to lapse. */
export const GUSTO_TOKEN_MARGIN_MS = 5 * 60_000;

export interface GustoAccessTokensOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** `https://api.gusto.com` (or the demo's); the token endpoint is `{base}/oauth/token`. */
  readonly apiBaseUrl: string;
  readonly clock?: () => Date;
  readonly attemptTimeoutMs?: number;
}

/** Gusto's access tokens for one credentials secret, refreshed (and the rotated refresh token stored back) as they lapse. */
export interface GustoAccessTokens {
  /** A usable access token: the one held, else the secret's, else a refreshed one stored back first. */
  current(): Promise<string>;
  /** The API refused `token` (401): it is never used again, and the next `current()` reads the secret anew. */
  rejected(token: string): void;
}

/** The refresh token the token endpoint refused (`invalid_grant`): rotated by another worker, or revoked. */
class InvalidGrantError extends HrApiError {
  override readonly name = 'InvalidGrantError';
}

/**
 * Access tokens with Gusto's rotating refresh tokens (an access token lasts 2 hours; each refresh
 * returns a new refresh token, and the old one is revoked once the new access token is first
 * used). So the new pair is written to the secret before its access token is used: a worker that
 * dies in between leaves the old refresh token valid. Before refreshing, the secret is read anew
 * (another worker may have refreshed already); on `invalid_grant` it is read once more, and the
 * refresh token another worker stored is used rather than failing. One refresh at a time per
 * process. Errors are `HrApiError`s naming the secret, never a token.
 */
export function gustoAccessTokens(options: GustoAccessTokensOptions): GustoAccessTokens {
  const clock = options.clock ?? (() => new Date());
  const tokenUrl = `${options.apiBaseUrl.replace(/\/+$/, '')}/oauth/token`;
  // Read anew each time it is needed (once per token lifetime): a cached copy could hold a refresh
  // token another worker has already rotated away.
  const readSecret = cachedSecretJson({
    client: options.client,
    secretId: options.secretId,
    schema: GustoCredentialsSchema,
    maxAgeSeconds: 0,
    unavailable: (reason) => new HrApiError(`Gusto credentials: ${reason}`, true),
  });
  let held: { credentials: GustoCredentials; stored: boolean } | undefined;
  const refused = new Set<string>();
  let renewing: Promise<string> | undefined;

  const usable = (credentials: GustoCredentials): credentials is Usable =>
    credentials.accessToken !== undefined &&
    !refused.has(credentials.accessToken) &&
    credentials.expiresAt !== undefined &&
    Date.parse(credentials.expiresAt) - GUSTO_TOKEN_MARGIN_MS > clock().getTime();

  async function store(credentials: GustoCredentials): Promise<void> {
    try {
      await options.client.send(
        new PutSecretValueCommand({ SecretId: options.secretId, SecretString: JSON.stringify(credentials) }),
      );
    } catch (error) {
      throw new HrApiError(
        `cannot store the rotated Gusto credentials in ${options.secretId}: ${(error as Error).name}`,
        true,
      );
    }
  }

  async function refresh(credentials: GustoCredentials): Promise<Usable> {
    let response: Response;
    try {
      response = await fetch(tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({
          client_id: credentials.clientId,
          client_secret: credentials.clientSecret,
          refresh_token: credentials.refreshToken,
          grant_type: 'refresh_token',
          ...(credentials.redirectUri === undefined ? {} : { redirect_uri: credentials.redirectUri }),
        }),
        signal: AbortSignal.timeout(options.attemptTimeoutMs ?? 10_000),
      });
    } catch (error) {
      throw new HrApiError(`POST /oauth/token failed: ${(error as Error).name}`, true);
    }
    const body: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const code = (body as { error?: unknown } | undefined)?.error;
      if (code === 'invalid_grant')
        throw new InvalidGrantError(
          'POST /oauth/token: refresh token refused (invalid_grant)',
          false,
          response.status,
        );
      throw new HrApiError(
        `POST /oauth/token answered ${response.status}`,
        response.status === 429 || response.status >= 500,
        response.status,
        parseRetryAfter(response.headers.get('retry-after') ?? undefined),
      );
    }
    const parsed = TokenResponseSchema.safeParse(body);
    if (!parsed.success)
      throw new HrApiError('POST /oauth/token answered an unexpected body', true, response.status);
    return {
      ...credentials,
      accessToken: parsed.data.access_token,
      refreshToken: parsed.data.refresh_token,
      expiresAt: new Date(clock().getTime() + parsed.data.expires_in * 1000).toISOString(),
    };
  }

  /**
   * Refreshes with the secret's refresh token; on `invalid_grant`, reads the secret once more and
   * takes what another worker stored (its access token, else a refresh with its refresh token).
   */
  async function refreshed(
    stored: GustoCredentials,
  ): Promise<{ credentials: Usable; storedAlready: boolean }> {
    try {
      return { credentials: await refresh(stored), storedAlready: false };
    } catch (error) {
      if (!(error instanceof InvalidGrantError)) throw error;
      const latest = await readSecret();
      if (latest.refreshToken === stored.refreshToken)
        throw new HrApiError(
          `Gusto refused the refresh token in ${options.secretId} (invalid_grant): reconnect the app and store the new refresh token`,
          true,
          error.status,
        );
      if (usable(latest)) return { credentials: latest, storedAlready: true };
      return { credentials: await refresh(latest), storedAlready: false };
    }
  }

  async function renew(): Promise<string> {
    if (held !== undefined && !held.stored) {
      // A refresh whose write failed: stored before its access token is ever used.
      await store(held.credentials);
      held.stored = true;
      if (usable(held.credentials)) return held.credentials.accessToken;
    }
    const stored = await readSecret();
    if (usable(stored)) {
      held = { credentials: stored, stored: true };
      return stored.accessToken;
    }
    const { credentials, storedAlready } = await refreshed(stored);
    held = { credentials, stored: storedAlready };
    if (!storedAlready) {
      await store(credentials);
      held.stored = true;
    }
    return credentials.accessToken;
  }

  return {
    current() {
      if (held?.stored && usable(held.credentials)) return Promise.resolve(held.credentials.accessToken);
      renewing ??= renew().finally(() => {
        renewing = undefined;
      });
      return renewing;
    },
    rejected(token) {
      refused.add(token);
      if (held?.credentials.accessToken === token) held = undefined;
    },
  };
}
