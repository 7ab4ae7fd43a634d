import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { tenantSecretName } from '../contract/tenants.js';
import { cachedSecretJson } from '../core/config/cached-secret.js';
import * as z from '../core/validation/zod.js';
import { SourceNotConfiguredError, WebhookSecretsUnavailableError } from './errors.js';

/**
 * The webhook secrets JSON: `{ "<source>": ["<current>", "<previous, during rotation>"] }`.
 * A list per source lets an operator add the new secret, switch the sender, then drop the old one
 * without a window where either side's requests are rejected.
 */
export const WebhookSecretsSchema = z.record(
  z.string(),
  z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
);
export type WebhookSecrets = z.infer<typeof WebhookSecretsSchema>;

/** Where the ingest handler gets the secrets of a source; a port so tests and local mode can swap it. */
export interface WebhookSecretsProvider {
  /** Every current secret of `source`; throws `SourceNotConfiguredError` when there are none. */
  secretsFor(source: string): Promise<readonly string[]>;
}

export interface SecretsManagerWebhookSecretsOptions {
  client: SecretsManagerClient;
  secretId: string;
  /** How long a fetched value is reused; a rotated secret is picked up within this time. */
  maxAgeSeconds: number;
  now?: () => number;
}

/**
 * Reads the secrets JSON from Secrets Manager through `cachedSecretJson`: one GetSecretValue per
 * `maxAgeSeconds` however many webhooks arrive, shared by concurrent first calls, failures not cached.
 */
export function secretsManagerWebhookSecrets(
  options: SecretsManagerWebhookSecretsOptions,
): WebhookSecretsProvider {
  const load = cachedSecretJson({
    ...options,
    schema: WebhookSecretsSchema,
    unavailable: (reason) => new WebhookSecretsUnavailableError(`webhook secrets: ${reason}`),
  });

  return {
    async secretsFor(source) {
      const secrets = (await load())[source];
      if (!secrets) throw new SourceNotConfiguredError(`no webhook secret configured for source ${source}`);
      return secrets;
    },
  };
}

/** Each registered tenant's signing secrets, from its own `webhook-secrets` secret. */
export interface TenantWebhookSecrets {
  /** The tenant's provider, kept for the process; call only for a tenant the registry returned. */
  forTenant(tenantId: string): WebhookSecretsProvider;
  /** Drops a tenant's provider (it is no longer registered), so memory follows the registry. */
  forget(tenantId: string): void;
}

export type SecretsManagerTenantWebhookSecretsOptions = Omit<SecretsManagerWebhookSecretsOptions, 'secretId'>;

/**
 * One `secretsManagerWebhookSecrets` per tenant, found by name (`tenantSecretName`), so each tenant
 * costs one GetSecretValue per cache period whatever its traffic. Built only for a tenant the
 * registry knows: ids probed from outside are refused before this, and never add an entry.
 */
export function secretsManagerTenantWebhookSecrets(
  options: SecretsManagerTenantWebhookSecretsOptions,
): TenantWebhookSecrets {
  const providers = new Map<string, WebhookSecretsProvider>();
  return {
    forTenant(tenantId) {
      let provider = providers.get(tenantId);
      if (provider === undefined) {
        provider = secretsManagerWebhookSecrets({
          ...options,
          secretId: tenantSecretName(tenantId, 'webhookSecrets'),
        });
        providers.set(tenantId, provider);
      }
      return provider;
    },
    forget: (tenantId) => providers.delete(tenantId),
  };
}
