import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HrApiSettingsBySource } from '../../contract/environment.js';
import type { HrApiSource } from '../../contract/settings.js';
import { bambooHrFetcherFromSecret } from './bamboohr-api.js';
import type {
  EmployeeDetailsFetcher,
  EmployeeDetailsFetchers,
  FetcherFromSecretOptions,
} from './employee-details.js';
import { gustoFetcherFromSecret } from './gusto-api.js';

/** Each provider's fetcher, built from its API root and credentials secret: the one place a new provider is wired into the worker. */
const FETCHER_FROM_SECRET: {
  readonly [Source in HrApiSource]: (options: FetcherFromSecretOptions) => EmployeeDetailsFetcher;
} = {
  bamboohr: bambooHrFetcherFromSecret,
  gusto: gustoFetcherFromSecret,
};

/**
 * The fetchers of the HR APIs a worker is configured with (`HR_APIS`), sharing one Secrets Manager
 * client; a source left out has no fetcher, so its events are redelivered as not configured.
 */
export function hrApiFetchers(
  settings: HrApiSettingsBySource,
  options: { readonly client: SecretsManagerClient; readonly cacheSeconds?: number },
): EmployeeDetailsFetchers {
  const fetchers: Partial<Record<HrApiSource, EmployeeDetailsFetcher>> = {};
  for (const [source, api] of Object.entries(settings) as [
    HrApiSource,
    HrApiSettingsBySource[HrApiSource],
  ][]) {
    if (api === undefined) continue;
    fetchers[source] = FETCHER_FROM_SECRET[source]({
      client: options.client,
      secretId: api.credentialsSecretId,
      apiBaseUrl: api.apiBaseUrl,
      ...(options.cacheSeconds === undefined ? {} : { cacheSeconds: options.cacheSeconds }),
    });
  }
  return fetchers;
}
