import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HrApiSettingsBySource } from '../../contract/environment.js';
import { HR_API_SOURCES, HR_APIS, type HrApiSource } from '../../contract/settings.js';
import { DEFAULT_TENANT_ID, tenantHrCredentialsSecretName } from '../../contract/tenants.js';
import type { TenantHrApi } from '../tenants/tenant.js';
import type {
  EmployeeDetailsFetcher,
  EmployeeDetailsFetchers,
  FetcherFromSecretOptions,
} from './employee-details.js';
import { MissingFetcherError } from './errors.js';

export type FetcherFromSecret = (options: FetcherFromSecretOptions) => EmployeeDetailsFetcher;

/**
 * Each provider's fetcher, built from its API root and credentials secret: the one place a new
 * provider is wired into the worker. Loaded on a provider's first details-pending event, not when
 * the worker starts: most events need no HR API, and a provider's response schemas and token
 * handling would otherwise cost every cold start (about 3 ms of the worker's init, bench row 5).
 */
const FETCHER_FROM_SECRET: { readonly [Source in HrApiSource]: () => Promise<FetcherFromSecret> } = {
  bamboohr: async () => (await import('./bamboohr-api.js')).bambooHrFetcherFromSecret,
  hibob: async () => (await import('./hibob-api.js')).hiBobFetcherFromSecret,
  personio: async () => (await import('./personio-api.js')).personioFetcherFromSecret,
  gusto: async () => (await import('./gusto-api.js')).gustoFetcherFromSecret,
};

/** A provider's fetcher factory, loaded on first use: for whoever builds one fetcher itself (tests, tools). */
export function loadFetcherFromSecret(source: HrApiSource): Promise<FetcherFromSecret> {
  return FETCHER_FROM_SECRET[source]();
}

/** A registered tenant's HR APIs (its registry record's `hrApis`); rejects for a tenant not registered. */
export type TenantHrApis = (
  tenantId: string,
) => Promise<Partial<Readonly<Record<HrApiSource, TenantHrApi>>> | undefined>;

export interface HrApiFetchersOptions {
  readonly client: SecretsManagerClient;
  readonly cacheSeconds?: number;
  /** Registered tenants' HR APIs; absent, only the default tenant's events can be completed. */
  readonly tenants?: TenantHrApis;
}

/**
 * The fetchers details-pending events are completed with, one per source, each choosing by the
 * event's tenant: the default tenant's from the deployment's `HR_APIS`, a registered tenant's from
 * its registry record and its own credentials secret (found by name), so each tenant's people are
 * fetched from its own HR account with its own key. Fetchers are built once per tenant and API
 * root and kept for the process, so their credentials are cached like the CPaaS keys. A source or
 * tenant without an API configured has no fetcher: its events are redelivered, then dead-lettered
 * as not configured (`MissingFetcherError`).
 */
export function hrApiFetchers(
  settings: HrApiSettingsBySource,
  options: HrApiFetchersOptions,
): EmployeeDetailsFetchers {
  const built = new Map<string, Promise<EmployeeDetailsFetcher>>();
  const build = async (source: HrApiSource, secretId: string, apiBaseUrl: string) =>
    (await loadFetcherFromSecret(source))({
      client: options.client,
      secretId,
      apiBaseUrl,
      ...(options.cacheSeconds === undefined ? {} : { cacheSeconds: options.cacheSeconds }),
    });
  const fetcherOf = (source: HrApiSource, secretId: string, apiBaseUrl: string) => {
    const key = `${source}\n${secretId}\n${apiBaseUrl}`;
    let fetcher = built.get(key);
    if (fetcher === undefined) {
      fetcher = build(source, secretId, apiBaseUrl);
      built.set(key, fetcher);
    }
    return fetcher;
  };
  const notConfigured = (source: HrApiSource, tenantId: string) =>
    new MissingFetcherError(
      tenantId === DEFAULT_TENANT_ID
        ? `no ${HR_APIS[source].title} API is configured for this deployment (hrApis.${source})`
        : `tenant ${tenantId} has no ${HR_APIS[source].title} API configured (tenants update --hr-api ${source}=<url>)`,
    );

  async function resolve(source: HrApiSource, tenantId: string): Promise<EmployeeDetailsFetcher> {
    if (tenantId === DEFAULT_TENANT_ID) {
      const api = settings[source];
      if (api === undefined) throw notConfigured(source, tenantId);
      return fetcherOf(source, api.credentialsSecretId, api.apiBaseUrl);
    }
    const api = options.tenants === undefined ? undefined : (await options.tenants(tenantId))?.[source];
    if (api === undefined) throw notConfigured(source, tenantId);
    return fetcherOf(source, tenantHrCredentialsSecretName(tenantId, source), api.apiBaseUrl);
  }

  const served = options.tenants === undefined ? (Object.keys(settings) as HrApiSource[]) : HR_API_SOURCES;
  return Object.fromEntries(
    served.map((source) => [
      source,
      {
        fetch: async (employeeId, fetchOptions) =>
          (await resolve(source, fetchOptions.tenant ?? DEFAULT_TENANT_ID)).fetch(employeeId, fetchOptions),
      } satisfies EmployeeDetailsFetcher,
    ]),
  );
}
