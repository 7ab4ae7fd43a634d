import { DEFAULTS } from '../../contract/settings.js';
import { cachedSecretJson } from '../config/cached-secret.js';
import * as z from '../validation/zod.js';
import type {
  EmployeeDetails,
  EmployeeDetailsFetcher,
  FetcherFromSecretOptions,
} from './employee-details.js';
import { HrApiError } from './errors.js';
import { type GetJsonOptions, getJsonWithRetry, postFormWithRetry } from './get-json.js';
import { terminationDateReached } from './termination-date.js';

/** Personio API v2's client-credentials credentials (Settings -> Integrations -> API credentials). */
export interface PersonioCredentials {
  readonly clientId: string;
  readonly clientSecret: string;
}

/** A token is renewed this long before Personio says it expires, so no request carries one that lapses in flight. */
export const PERSONIO_TOKEN_RENEW_BEFORE_SECONDS = 60;
/** How long a token whose answer gave no `expires_in` is used (a 401 renews it sooner). */
export const PERSONIO_TOKEN_DEFAULT_SECONDS = 15 * 60;

const TokenSchema = z.looseObject({
  access_token: z.string().check(z.minLength(1)),
  expires_in: z.optional(z.number().check(z.positive())),
});

const optionalText = z.nullish(z.string());
const PersonSchema = z.looseObject({
  email: optionalText,
  first_name: optionalText,
  last_name: optionalText,
});
const EmploymentSchema = z.looseObject({
  status: optionalText,
  termination: z.nullish(z.looseObject({ termination_date: optionalText })),
});
const EmploymentsSchema = z.looseObject({ _data: z.array(EmploymentSchema) });
type Employment = z.infer<typeof EmploymentSchema>;

/**
 * Whether a person has left, from their latest employment (Personio lists the most recent
 * first, and its own person status is that employment's): status `INACTIVE`, or a termination
 * date today or past. `ACTIVE`, `ONBOARDING` (hired, not started yet) and `LEAVE` still work
 * there; so does a person with no employment yet (a `person.created` before HR adds one): a
 * termination is never guessed from what is missing.
 */
export function personioTerminated(latest: Employment | undefined, now: Date): boolean {
  if (latest === undefined) return false;
  return (
    latest.status?.toUpperCase() === 'INACTIVE' ||
    terminationDateReached(latest.termination?.termination_date, now)
  );
}

export interface PersonioFetcherOptions {
  /** `https://api.personio.de`, or a sandbox's or the fake's root; paths start at `/v2/`. */
  readonly apiBaseUrl: string;
  /** The client credentials (Secrets Manager, cached). */
  readonly credentials: () => Promise<PersonioCredentials>;
  readonly clock?: () => Date;
  readonly retry?: Omit<GetJsonOptions, 'deadline'>;
}

interface CachedToken {
  readonly credentials: PersonioCredentials;
  readonly value: Promise<string>;
  /** The token, once the token endpoint answered. */
  token?: string;
  /** Epoch ms after which it is not handed out; Infinity while the request is in flight. */
  expiresAt: number;
}

/**
 * `GET /v2/persons/{id}` and `GET /v2/persons/{id}/employments?limit=1` with a bearer token from
 * `POST /v2/auth/token` (client credentials). The token is kept until shortly before its
 * `expires_in` and shared by concurrent fetches, so a burst costs one token request (the token
 * endpoint is rate limited on its own); a 401 drops it and the call is made once more with a new
 * one (revoked or rotated credentials), after which a 401 is the fetch's failure.
 */
export function personioFetcher(options: PersonioFetcherOptions): EmployeeDetailsFetcher {
  const clock = options.clock ?? (() => new Date());
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  let cached: CachedToken | undefined;

  function requestToken(credentials: PersonioCredentials, deadline: number): CachedToken {
    const form = {
      grant_type: 'client_credentials',
      client_id: credentials.clientId,
      client_secret: credentials.clientSecret,
    };
    const retry = { ...options.retry, deadline };
    const entry: CachedToken = {
      credentials,
      expiresAt: Number.POSITIVE_INFINITY,
      value: postFormWithRetry(`${base}/v2/auth/token`, form, { accept: 'application/json' }, retry).then(
        (body) => {
          const parsed = TokenSchema.safeParse(body);
          if (!parsed.success) throw new HrApiError('Personio token: unexpected body', false);
          const seconds = parsed.data.expires_in ?? PERSONIO_TOKEN_DEFAULT_SECONDS;
          entry.expiresAt =
            clock().getTime() + Math.max(0, seconds - PERSONIO_TOKEN_RENEW_BEFORE_SECONDS) * 1000;
          entry.token = parsed.data.access_token;
          return entry.token;
        },
      ),
    };
    // A failed request is not kept: the next fetch asks again.
    entry.value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry;
  }

  /** The current token for these credentials; rotated credentials get a token of their own. */
  function token(credentials: PersonioCredentials, deadline: number): Promise<string> {
    const reusable =
      cached?.credentials.clientId === credentials.clientId &&
      cached.credentials.clientSecret === credentials.clientSecret &&
      cached.expiresAt > clock().getTime();
    if (!reusable || cached === undefined) cached = requestToken(credentials, deadline);
    return cached.value;
  }

  async function withToken<T>(deadline: number, call: (bearer: string) => Promise<T>): Promise<T> {
    const credentials = await options.credentials();
    const first = await token(credentials, deadline);
    try {
      return await call(first);
    } catch (error) {
      if (!(error instanceof HrApiError) || error.status !== 401) throw error;
      // Only the refused token: a concurrent fetch may already have put a newer one in its place.
      if (cached?.token === first) cached = undefined;
      return call(await token(credentials, deadline));
    }
  }

  return {
    async fetch(employeeId, { deadline }) {
      const person = `${base}/v2/persons/${encodeURIComponent(employeeId)}`;
      const get = (url: string) =>
        withToken(deadline, (bearer) =>
          getJsonWithRetry(
            url,
            { accept: 'application/json', authorization: `Bearer ${bearer}` },
            { ...options.retry, deadline },
          ),
        );
      const parsedPerson = PersonSchema.safeParse(await get(person));
      if (!parsedPerson.success)
        throw new HrApiError(`Personio person ${employeeId}: unexpected body`, false);
      const parsedEmployments = EmploymentsSchema.safeParse(await get(`${person}/employments?limit=1`));
      if (!parsedEmployments.success)
        throw new HrApiError(`Personio employments of ${employeeId}: unexpected body`, false);
      const record = parsedPerson.data;
      const details: EmployeeDetails = {
        employeeId,
        terminated: personioTerminated(parsedEmployments.data._data[0], clock()),
        ...(record.email ? { workEmail: record.email } : {}),
        ...(record.first_name ? { firstName: record.first_name } : {}),
        ...(record.last_name ? { lastName: record.last_name } : {}),
      };
      return details;
    },
  };
}

/** The Personio credentials secret: JSON `{"clientId": "...", "clientSecret": "..."}` (API v2 client credentials). */
export const PersonioCredentialsSchema = z.object({
  clientId: z.string().check(z.minLength(1)),
  clientSecret: z.string().check(z.minLength(1)),
});

export interface PersonioFromSecretOptions
  extends FetcherFromSecretOptions,
    Omit<PersonioFetcherOptions, 'credentials'> {}

/**
 * The fetcher with its client credentials read from Secrets Manager and cached like the CPaaS key,
 * so a burst of events costs one GetSecretValue; an unreadable secret is transient (redelivered).
 */
export function personioFetcherFromSecret(options: PersonioFromSecretOptions): EmployeeDetailsFetcher {
  const { client, secretId, cacheSeconds, ...rest } = options;
  const credentials = cachedSecretJson({
    client,
    secretId,
    schema: PersonioCredentialsSchema,
    maxAgeSeconds: cacheSeconds ?? DEFAULTS.secretCacheSeconds,
    unavailable: (reason) => new HrApiError(`Personio credentials: ${reason}`, false),
  });
  return personioFetcher({ ...rest, credentials });
}
