import { DEFAULTS } from '../../contract/settings.js';
import { cachedSecretJson } from '../config/cached-secret.js';
import * as z from '../validation/zod.js';
import type {
  EmployeeDetails,
  EmployeeDetailsFetcher,
  FetcherFromSecretOptions,
} from './employee-details.js';
import { HrApiError } from './errors.js';
import { type GetJsonOptions, postJsonReadWithRetry } from './get-json.js';

/**
 * The field ids asked for (dot notation, as HiBob's fields metadata names them). HiBob silently
 * leaves out a field the service user may not read, so the record is checked for `internal`
 * before anything is decided from it.
 */
export const HIBOB_FIELDS = [
  'root.id',
  'root.email',
  'root.firstName',
  'root.surname',
  'internal.status',
  'internal.lifecycleStatus',
  'internal.terminationDate',
] as const;

const optionalText = z.nullish(z.string());
/** The response nests each field under its category: `{email, firstName, surname, internal: {...}}`. */
const HiBobPersonSchema = z.looseObject({
  email: optionalText,
  firstName: optionalText,
  surname: optionalText,
  internal: z.optional(
    z.looseObject({
      status: optionalText,
      lifecycleStatus: optionalText,
      terminationDate: optionalText,
    }),
  ),
});

export interface HiBobFetcherOptions {
  /** `https://api.hibob.com` (or `https://api.sandbox.hibob.com`); the fetcher adds `/v1/people/{id}`. */
  readonly apiBaseUrl: string;
  /** The service user (Secrets Manager, cached); HiBob takes its id and token as Basic auth. */
  readonly credentials: () => Promise<HiBobCredentials>;
  readonly clock?: () => Date;
  readonly retry?: Omit<GetJsonOptions, 'deadline' | 'body'>;
}

/** Lifecycle statuses that end the person's access: terminated, and garden leave (HiBob's `employee.left` fires for either, whichever comes first). */
const LEFT_LIFECYCLE_STATUSES = new Set(['terminated', 'gardenleave']);

/**
 * Whether a HiBob record says the person has left: lifecycle status terminated or garden leave,
 * or a termination date that is today or past (UTC). `internal.status` alone does not decide: it
 * is also `Inactive` for a person on leave, who comes back. A future termination date is not a
 * termination yet: HiBob's `employee.left` on that date (or a later change) brings it, and by
 * then the lifecycle status says so even where the site's midnight is still yesterday in UTC.
 */
export function hiBobTerminated(
  internal: { lifecycleStatus?: string | null; terminationDate?: string | null },
  now: Date,
): boolean {
  const lifecycle = internal.lifecycleStatus?.toLowerCase().replace(/[\s_-]/g, '');
  if (lifecycle !== undefined && LEFT_LIFECYCLE_STATUSES.has(lifecycle)) return true;
  const date = internal.terminationDate;
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  return new Date(`${date}T00:00:00Z`) <= now;
}

/**
 * `POST /v1/people/{id}` with the fields in the body, HiBob's current single-employee read (the
 * POST only selects fields; it changes nothing, so it is retried like a GET). Backend values, not
 * `humanReadable`, so dates stay ISO whatever the company's display format.
 */
export function hiBobFetcher(options: HiBobFetcherOptions): EmployeeDetailsFetcher {
  const clock = options.clock ?? (() => new Date());
  const base = options.apiBaseUrl.replace(/\/+$/, '');
  return {
    async fetch(employeeId, { deadline }) {
      const { serviceUserId, token } = await options.credentials();
      const body = await postJsonReadWithRetry(
        `${base}/v1/people/${encodeURIComponent(employeeId)}`,
        { fields: HIBOB_FIELDS },
        {
          accept: 'application/json',
          authorization: `Basic ${Buffer.from(`${serviceUserId}:${token}`).toString('base64')}`,
        },
        { ...options.retry, deadline },
      );
      const parsed = HiBobPersonSchema.safeParse(body);
      if (!parsed.success) throw new HrApiError(`HiBob employee ${employeeId}: unexpected body`, false);
      const { internal, email, firstName, surname } = parsed.data;
      // Without its lifecycle fields a record cannot say "still employed": never guess active.
      if (internal?.status == null)
        throw new HrApiError(
          `HiBob employee ${employeeId}: no internal.status (may the service user read the lifecycle fields?)`,
          false,
        );
      const details: EmployeeDetails = {
        employeeId,
        terminated: hiBobTerminated(internal, clock()),
        ...(email ? { workEmail: email } : {}),
        ...(firstName ? { firstName } : {}),
        ...(surname ? { lastName: surname } : {}),
      };
      return details;
    },
  };
}

/** The HiBob credentials secret: JSON `{"serviceUserId": "...", "token": "..."}` of an API service user. */
export const HiBobCredentialsSchema = z.object({
  serviceUserId: z.string().check(z.minLength(1)),
  token: z.string().check(z.minLength(1)),
});
export type HiBobCredentials = z.infer<typeof HiBobCredentialsSchema>;

export interface HiBobFromSecretOptions
  extends FetcherFromSecretOptions,
    Omit<HiBobFetcherOptions, 'credentials'> {}

/**
 * The fetcher with its service user read from Secrets Manager and cached like the CPaaS key, so a
 * burst of events costs one GetSecretValue; an unreadable secret is transient (redelivered).
 */
export function hiBobFetcherFromSecret(options: HiBobFromSecretOptions): EmployeeDetailsFetcher {
  const { client, secretId, cacheSeconds, ...rest } = options;
  const credentials = cachedSecretJson({
    client,
    secretId,
    schema: HiBobCredentialsSchema,
    maxAgeSeconds: cacheSeconds ?? DEFAULTS.secretCacheSeconds,
    unavailable: (reason) => new HrApiError(`HiBob credentials: ${reason}`, false),
  });
  return hiBobFetcher({ ...rest, credentials });
}
