import { DEFAULTS } from '../../contract/settings.js';
import { cachedSecretJson } from '../config/cached-secret.js';
import * as z from '../validation/zod.js';
import type {
  EmployeeDetails,
  EmployeeDetailsFetcher,
  FetcherFromSecretOptions,
} from './employee-details.js';
import { HrApiError } from './errors.js';
import { type GetJsonOptions, getJsonWithRetry } from './get-json.js';
import { terminationDateReached } from './termination-date.js';

/** The fields asked for; BambooHR returns only the fields named in `fields=`. */
export const BAMBOOHR_FIELDS = ['workEmail', 'firstName', 'lastName', 'status', 'terminationDate'] as const;

const optionalText = z.nullish(z.string());
const BambooHrEmployeeSchema = z.looseObject({
  workEmail: optionalText,
  firstName: optionalText,
  lastName: optionalText,
  status: optionalText,
  terminationDate: optionalText,
});

export interface BambooHrFetcherOptions {
  /**
   * Up to and including the company, e.g. `https://api.bamboohr.com/api/gateway.php/acme`: the
   * company's own `https://acme.bamboohr.com/api` works the same, so the setting names it whole.
   */
  readonly apiBaseUrl: string;
  /** The API key (Secrets Manager, cached); BambooHR takes it as the Basic-auth user. */
  readonly apiKey: () => Promise<string>;
  readonly clock?: () => Date;
  readonly retry?: Omit<GetJsonOptions, 'deadline'>;
}

/**
 * Whether a BambooHR record says the person has left: `status` Inactive, or a termination date
 * that is today or past (BambooHR writes `0000-00-00` for none). A date in the future is not a
 * termination yet: the status update on that date (or a later change) brings it.
 */
export function bambooHrTerminated(
  record: { status?: string | null; terminationDate?: string | null },
  now: Date,
): boolean {
  return record.status?.toLowerCase() === 'inactive' || terminationDateReached(record.terminationDate, now);
}

/** `GET /v1/employees/{id}?fields=...` with `Accept: application/json` (BambooHR answers XML otherwise). */
export function bambooHrFetcher(options: BambooHrFetcherOptions): EmployeeDetailsFetcher {
  const clock = options.clock ?? (() => new Date());
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  return {
    async fetch(employeeId, { deadline }) {
      const key = await options.apiKey();
      const url = `${base}/v1/employees/${encodeURIComponent(employeeId)}?fields=${BAMBOOHR_FIELDS.join(',')}`;
      const body = await getJsonWithRetry(
        url,
        { accept: 'application/json', authorization: `Basic ${Buffer.from(`${key}:x`).toString('base64')}` },
        { ...options.retry, deadline },
      );
      const parsed = BambooHrEmployeeSchema.safeParse(body);
      if (!parsed.success) throw new HrApiError(`BambooHR employee ${employeeId}: unexpected body`, false);
      const record = parsed.data;
      const details: EmployeeDetails = {
        employeeId,
        terminated: bambooHrTerminated(record, clock()),
        ...(record.workEmail ? { workEmail: record.workEmail } : {}),
        ...(record.firstName ? { firstName: record.firstName } : {}),
        ...(record.lastName ? { lastName: record.lastName } : {}),
      };
      return details;
    },
  };
}

/** The BambooHR credentials secret: JSON `{"apiKey": "..."}` (an API key of a user who may read the employees). */
export const BambooHrCredentialsSchema = z.object({ apiKey: z.string().check(z.minLength(1)) });

export interface BambooHrFromSecretOptions
  extends FetcherFromSecretOptions,
    Omit<BambooHrFetcherOptions, 'apiKey'> {}

/**
 * The fetcher with its API key read from Secrets Manager and cached like the CPaaS key, so a
 * burst of events costs one GetSecretValue; an unreadable secret is transient (redelivered).
 */
export function bambooHrFetcherFromSecret(options: BambooHrFromSecretOptions): EmployeeDetailsFetcher {
  const { client, secretId, cacheSeconds, ...rest } = options;
  const credentials = cachedSecretJson({
    client,
    secretId,
    schema: BambooHrCredentialsSchema,
    maxAgeSeconds: cacheSeconds ?? DEFAULTS.secretCacheSeconds,
    unavailable: (reason) => new HrApiError(`BambooHR credentials: ${reason}`, false),
  });
  return bambooHrFetcher({ ...rest, apiKey: async () => (await credentials()).apiKey });
}
