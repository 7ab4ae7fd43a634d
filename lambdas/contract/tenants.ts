import { type HrApiSource, hrCredentialsSecretKind } from './settings.js';

/**
 * Tenants: one deployment serves many CPaaS accounts (an MSP's customers). A tenant's secrets
 * are named by convention under one prefix, so the stack grants the functions read on that prefix
 * once and onboarding a tenant (`cpaas-lifecycle tenants add`) needs no redeploy. The tenant
 * `default` is the deployment's own environment (the secrets and settings it was deployed with),
 * so a single-account set-up keeps working unchanged.
 */

export const DEFAULT_TENANT_ID = 'default';

/**
 * Lower-case letters, digits and dashes, starting with a letter or digit, at most 32: a tenant id
 * is a URL path segment (`/t/{tenant}/webhooks/{source}`), part of secret names and of every state
 * key, so it is held to what is safe in all three.
 */
export const TENANT_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * The path segment that opens a registered tenant's routes: `/t/{tenant}/webhooks/{source}` on the
 * ingest URL, `/t/{tenant}/scim/v2` on the SCIM URL. The default tenant's routes have no prefix.
 */
export const TENANT_ROUTE_SEGMENT = 't';

/** The path prefix of a registered tenant's routes (no leading slash, as a Function URL ends in one). */
export function tenantRoutePrefix(tenantId: string): string {
  return `${TENANT_ROUTE_SEGMENT}/${tenantId}/`;
}

/** Every tenant's secrets live under this Secrets Manager name prefix. */
export const TENANT_SECRETS_PREFIX = 'cpaas-lifecycle/tenants/';

/**
 * The secrets each tenant has: its CPaaS API key (plain text), its webhook signing secrets
 * (`{"<source>": ["<current>", "<previous>"]}`, as the default tenant's) and its SCIM bearer tokens
 * (`{"current", "previous"}`).
 */
export const TENANT_SECRET_KINDS = {
  cpaasApiKey: 'cpaas-api-key',
  webhookSecrets: 'webhook-secrets',
  scimTokens: 'scim-tokens',
} as const;
export type TenantSecretKind = keyof typeof TENANT_SECRET_KINDS;

/** The Secrets Manager name of one of a registered tenant's secrets (never of `default`'s). */
export function tenantSecretName(tenantId: string, kind: TenantSecretKind): string {
  return `${TENANT_SECRETS_PREFIX}${tenantId}/${TENANT_SECRET_KINDS[kind]}`;
}

/**
 * The Secrets Manager name of a registered tenant's credentials for one HR API (JSON as
 * `HR_APIS[source].credentials`), beside its other secrets: each tenant fetches its people from its
 * own HR account.
 */
export function tenantHrCredentialsSecretName(tenantId: string, source: HrApiSource): string {
  return `${TENANT_SECRETS_PREFIX}${tenantId}/${hrCredentialsSecretKind(source)}`;
}

/** A registered tenant's webhook route for one source, under the ingest's base URL. */
export function tenantWebhookPath(tenantId: string, source: string): string {
  return `/${tenantRoutePrefix(tenantId)}webhooks/${source}`;
}

/** A registered tenant's SCIM root (an identity provider's tenant URL), under the SCIM base URL. */
export function tenantScimPath(tenantId: string): string {
  return `/${tenantRoutePrefix(tenantId)}scim/v2`;
}
