import * as z from '../validation/zod.js';
import type {
  EmployeeDetails,
  EmployeeDetailsFetcher,
  FetcherFromSecretOptions,
} from './employee-details.js';
import { HrApiError } from './errors.js';
import { type GetJsonOptions, getJsonWithRetry } from './get-json.js';
import { type GustoAccessTokens, gustoAccessTokens } from './gusto-tokens.js';

const optionalText = z.nullish(z.string());
const GustoEmployeeSchema = z.looseObject({
  work_email: optionalText,
  email: optionalText,
  first_name: optionalText,
  last_name: optionalText,
  terminated: z.nullish(z.boolean()),
  terminations: z.nullish(z.array(z.looseObject({ effective_date: optionalText }))),
});
type GustoEmployee = z.infer<typeof GustoEmployeeSchema>;

export interface GustoFetcherOptions {
  /** `https://api.gusto.com`, or `https://api.gusto-demo.com` for the demo environment. */
  readonly apiBaseUrl: string;
  readonly tokens: GustoAccessTokens;
  readonly clock?: () => Date;
  readonly retry?: Omit<GetJsonOptions, 'deadline'>;
}

/**
 * Whether a Gusto record says the person has left: `terminated`, unless the latest termination's
 * `effective_date` (the last day of work) is today or ahead (UTC), in case the flag is set when the
 * termination is entered: the person still works then, and `employee.terminated_effective` (sent
 * the day after the last day) brings the termination. A rehire clears `terminated`, however old
 * terminations the record lists.
 */
export function gustoTerminated(record: GustoEmployee, now: Date): boolean {
  if (record.terminated !== true) return false;
  const dates = (record.terminations ?? [])
    .map((termination) => termination.effective_date)
    .filter((date): date is string => typeof date === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(date))
    .sort();
  const last = dates.at(-1);
  return last === undefined || last < now.toISOString().slice(0, 10);
}

/**
 * `GET /v1/employees/{uuid}` with the company's OAuth access token. A 401 (the token expired early
 * or was revoked) drops the token and the call is made once more with a fresh one; anything else
 * is `getJsonWithRetry`'s (429 with Retry-After, 5xx backoff, 404 not found).
 */
export function gustoFetcher(options: GustoFetcherOptions): EmployeeDetailsFetcher {
  const clock = options.clock ?? (() => new Date());
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  const get = async (url: string, deadline: number) => {
    const token = await options.tokens.current();
    try {
      return await getJsonWithRetry(
        url,
        { accept: 'application/json', authorization: `Bearer ${token}` },
        { ...options.retry, deadline },
      );
    } catch (error) {
      if (error instanceof HrApiError && error.status === 401) options.tokens.rejected(token);
      throw error;
    }
  };
  return {
    async fetch(employeeId, { deadline }) {
      const url = `${base}/v1/employees/${encodeURIComponent(employeeId)}`;
      let body: unknown;
      try {
        body = await get(url, deadline);
      } catch (error) {
        if (!(error instanceof HrApiError && error.status === 401)) throw error;
        body = await get(url, deadline);
      }
      const parsed = GustoEmployeeSchema.safeParse(body);
      if (!parsed.success) throw new HrApiError(`Gusto employee ${employeeId}: unexpected body`, false);
      const record = parsed.data;
      const workEmail = record.work_email || record.email;
      const details: EmployeeDetails = {
        employeeId,
        terminated: gustoTerminated(record, clock()),
        ...(workEmail ? { workEmail } : {}),
        ...(record.first_name ? { firstName: record.first_name } : {}),
        ...(record.last_name ? { lastName: record.last_name } : {}),
      };
      return details;
    },
  };
}

export interface GustoFromSecretOptions
  extends FetcherFromSecretOptions,
    Omit<GustoFetcherOptions, 'tokens'> {}

/**
 * The fetcher with its OAuth tokens from the credentials secret (`GustoCredentialsSchema`): the
 * worker refreshes the access token as it lapses and writes the rotated refresh token back, so the
 * stack grants it write on that secret (`HR_APIS.gusto.rotatesCredentials`). Tokens are held for
 * their lifetime rather than `cacheSeconds`: the secret is read when a token is needed.
 */
export function gustoFetcherFromSecret(options: GustoFromSecretOptions): EmployeeDetailsFetcher {
  const { client, secretId, apiBaseUrl, clock, retry } = options;
  return gustoFetcher({
    apiBaseUrl,
    ...(clock === undefined ? {} : { clock }),
    ...(retry === undefined ? {} : { retry }),
    tokens: gustoAccessTokens({ client, secretId, apiBaseUrl, ...(clock === undefined ? {} : { clock }) }),
  });
}
