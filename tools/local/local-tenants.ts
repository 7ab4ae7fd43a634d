import {
  type DeprovisioningSettings,
  deprovisioningSettingsFromEnv,
  type Environment,
} from '../../lambdas/contract/environment.js';
import { tenantScimPath, tenantWebhookPath } from '../../lambdas/contract/tenants.js';
import { addTenant, withTenantAdminPorts } from '../operations/tenants.js';
import { InvalidLocalOptionError } from './errors.js';
import type { AwsEndpointConfig } from './provision.js';

/** `--tenants` at most: the 100 tenants, and what a laptop onboards in a few seconds. */
export const MAX_LOCAL_TENANTS = 100;

/** A CPaaS account of its own, with its own key, as the sandbox opens one (`control.addAccount`). */
export interface CpaasAccount {
  readonly accountId: string;
  readonly apiKey: string;
}

/** One registered tenant as local mode serves it: an entry of the ready line's `tenants`. */
export interface LocalTenant {
  readonly tenant: string;
  /** The tenant's standard-source URL, `/t/{tenant}/webhooks/standard`. */
  readonly webhookUrl: string;
  readonly webhookSecret: string;
  /** The tenant's SCIM root, `/t/{tenant}/scim/v2`: its identity provider's tenant URL. */
  readonly scimUrl: string;
  readonly scimToken: string;
  readonly cpaasAccountId: string;
  readonly cpaasApiKey: string;
}

export interface LocalTenantsOptions {
  readonly count: number;
  readonly aws: AwsEndpointConfig;
  readonly stateTableName: string;
  /** What a termination does for each tenant: local mode gives them the default tenant's settings. */
  readonly deprovisioning: DeprovisioningSettings;
  /** Opens each tenant's own account in the CPaaS sandbox. */
  readonly addAccount: () => CpaasAccount | Promise<CpaasAccount>;
}

/** The tenants onboarded, before the server's URL is known; `at(baseUrl)` gives the ready line's entries. */
export interface OnboardedLocalTenants {
  at(baseUrl: string): LocalTenant[];
}

/**
 * Onboards `t1`..`tN`, each on a CPaaS account of its own, with `tenants add`'s own operation
 * (`addTenant`: its secrets by name, then its registry item), so local mode's tenants are made
 * exactly as an operator's are and nothing here is a second copy of onboarding. Each uses the
 * standard source only: the native HR sources are the default tenant's in local mode.
 */
async function onboardLocalTenants(options: LocalTenantsOptions): Promise<OnboardedLocalTenants> {
  const { count } = options;
  if (!Number.isInteger(count) || count < 1 || count > MAX_LOCAL_TENANTS) {
    throw new InvalidLocalOptionError(`tenants must be an integer 1..${MAX_LOCAL_TENANTS}, got ${count}`);
  }
  const onboarded = await withTenantAdminPorts(options.aws, options.stateTableName, async (ports) => {
    const tenants: Array<Omit<LocalTenant, 'webhookUrl' | 'scimUrl'>> = [];
    for (let index = 1; index <= count; index += 1) {
      const id = `t${index}`;
      const account = await options.addAccount();
      const { webhookSecrets, scimToken } = await addTenant(
        ports,
        {
          id,
          cpaasAccountId: account.accountId,
          sources: ['standard'],
          accountIds: [],
          deprovisioning: options.deprovisioning,
        },
        account.apiKey,
      );
      tenants.push({
        tenant: id,
        webhookSecret: webhookSecrets.standard as string,
        scimToken,
        cpaasAccountId: account.accountId,
        cpaasApiKey: account.apiKey,
      });
    }
    return tenants;
  });
  return {
    at: (baseUrl) =>
      onboarded.map(({ tenant, webhookSecret, scimToken, cpaasAccountId, cpaasApiKey }) => ({
        tenant,
        webhookUrl: `${baseUrl}${tenantWebhookPath(tenant, 'standard')}`,
        webhookSecret,
        scimUrl: `${baseUrl}${tenantScimPath(tenant)}`,
        scimToken,
        cpaasAccountId,
        cpaasApiKey,
      })),
  };
}

/** Where local mode's tenants are registered: its AWS endpoint, state table and handler environment. */
export interface LocalTenantsPlace {
  readonly aws: AwsEndpointConfig;
  readonly stateTableName: string;
  /** The handlers' environment: each tenant gets the default tenant's deprovisioning settings. */
  readonly environment: Environment;
}

/**
 * Local mode's `tenants`: none (undefined) without the option, so the ready line is as before;
 * otherwise `t1`..`tN`, made before the server answers so a tenant's first request finds it.
 * Needs a CPaaS endpoint that opens accounts (the bundled sandbox does; another endpoint does not).
 */
export async function localTenants(
  count: number | undefined,
  addAccount: LocalTenantsOptions['addAccount'] | undefined,
  place: LocalTenantsPlace,
): Promise<OnboardedLocalTenants | undefined> {
  if (count === undefined) return undefined;
  if (addAccount === undefined) {
    throw new InvalidLocalOptionError(
      'tenants need the bundled CPaaS sandbox, which opens an account for each',
    );
  }
  return onboardLocalTenants({
    count,
    aws: place.aws,
    stateTableName: place.stateTableName,
    deprovisioning: deprovisioningSettingsFromEnv(place.environment),
    addAccount,
  });
}
