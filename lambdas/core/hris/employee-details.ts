import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HrApiSource } from '../../contract/settings.js';
import type { DetailsPendingEvent } from '../events/details-pending-event.js';
import {
  createLifecycleEvent,
  InvalidLifecycleEventError,
  type LifecycleEvent,
} from '../events/lifecycle-event.js';
import { MissingFetcherError } from './errors.js';
import type { GetJsonOptions } from './get-json.js';

/** The person as the HR API returns it, in the canonical names; absent when the HR system has no value. */
export interface EmployeeDetails {
  readonly employeeId: string;
  readonly workEmail?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  readonly timezone?: string;
  /** True when the record says the person no longer works there (status, or a termination date now past). */
  readonly terminated: boolean;
}

/**
 * One HR system's "get employee" call, after the queue. Throws `HrApiError` (retryable or not)
 * or `HrEmployeeNotFoundError`; never answers "terminated" for a record it could not read.
 */
export interface EmployeeDetailsFetcher {
  fetch(
    employeeId: string,
    options: { readonly deadline: number; readonly tenant?: string },
  ): Promise<EmployeeDetails>;
}

/**
 * What every provider's fetcher is built from in the worker: its API root and its credentials
 * secret, read through the one cache period the CPaaS key uses, so a burst costs one GetSecretValue.
 */
export interface FetcherFromSecretOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  readonly apiBaseUrl: string;
  readonly cacheSeconds?: number;
  /** How each request is retried (default: the CPaaS client's policy, real sleeps). */
  readonly retry?: Omit<GetJsonOptions, 'deadline'>;
}

export type EmployeeDetailsFetchers = Partial<Readonly<Record<HrApiSource, EmployeeDetailsFetcher>>>;

/**
 * Turns a details-pending event into the complete event converge applies, from the fetched
 * record: a terminated record makes it a termination whatever the webhook's kind was (BambooHR
 * reports a termination as an update of its status fields); otherwise the webhook's hire or change
 * with the fetched fields. The event keeps its id, time and tenant, so dedup and ordering are the
 * webhook's. An active record without work email or names is permanent (DLQ naming the
 * fields), like an incomplete Merge employee.
 */
export function completeEvent(event: DetailsPendingEvent, details: EmployeeDetails): LifecycleEvent {
  const common = {
    id: event.id,
    source: event.source,
    time: event.time,
    ...(event.tenant === undefined ? {} : { tenant: event.tenant }),
  };
  const person = {
    employeeId: event.subject,
    ...(details.workEmail ? { workEmail: details.workEmail } : {}),
    ...(details.firstName ? { firstName: details.firstName } : {}),
    ...(details.lastName ? { lastName: details.lastName } : {}),
    ...(details.timezone ? { timezone: details.timezone } : {}),
  };
  if (details.terminated)
    return createLifecycleEvent({ ...common, type: 'employee.terminated', data: person });
  const { workEmail, firstName, lastName } = person;
  if (workEmail === undefined || firstName === undefined || lastName === undefined) {
    const missing = Object.entries({ workEmail, firstName, lastName })
      .filter(([, value]) => value === undefined)
      .map(([name]) => name);
    throw new InvalidLifecycleEventError(
      `the ${event.detailsfrom} record of an active employee has no ${missing.join(', ')}`,
      missing.map((name) => ({ path: `data.${name}`, message: 'required for an active employee' })),
    );
  }
  return createLifecycleEvent({
    ...common,
    type: event.type,
    data: { ...person, workEmail, firstName, lastName },
  });
}

/** A source named by an event but not configured in this worker: a deployment fault, redelivered until fixed. */
export function fetcherFor(fetchers: EmployeeDetailsFetchers, source: HrApiSource): EmployeeDetailsFetcher {
  const fetcher = fetchers[source];
  if (fetcher === undefined)
    throw new MissingFetcherError(`no employee details fetcher configured for ${source}`);
  return fetcher;
}
