import type { DeprovisioningSettings } from '../../contract/environment.js';
import { HR_API_SOURCES, type HrApiSource, TERMINATION_POLICIES } from '../../contract/settings.js';
import { DEFAULT_TENANT_ID, TENANT_ID_PATTERN } from '../../contract/tenants.js';
import { fieldIssues } from '../validation/field-issues.js';
import * as z from '../validation/zod.js';
import { InvalidTenantError } from './errors.js';

/**
 * A provider account that routes to one tenant when the provider posts every account's webhooks
 * to a single URL (Merge's `linked_account.id`, an HR system's company id). The route's tenant
 * always wins; this mapping only applies to the shared, tenant-less URL.
 */
export interface TenantAccountId {
  readonly source: string;
  readonly accountId: string;
}

/**
 * One CPaaS account served by this deployment, as the registry stores it. Its secrets are not
 * stored here: they are found by name (`tenantSecretName` in the contract), so the registry holds no secret and
 * the stack's grant on the name prefix covers every tenant.
 */
export interface Tenant {
  readonly id: string;
  readonly cpaasAccountId: string;
  /** Webhook sources this tenant uses; a webhook for another source is refused (404). */
  readonly sources: readonly string[];
  readonly accountIds: readonly TenantAccountId[];
  /** What a termination does for this tenant, and its own deletion-brake limits. */
  readonly deprovisioning: DeprovisioningSettings;
  /**
   * The HR APIs this tenant's people are fetched from: its own company's API root per source
   * (BambooHR's URL names the company). The credentials are found by name, like every secret of
   * a tenant (`tenantHrCredentialsSecretName`). Absent in records written before HR APIs existed.
   */
  readonly hrApis?: Partial<Readonly<Record<HrApiSource, TenantHrApi>>>;
  /** Incremented on every write; an update names the version it read (optimistic locking). */
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface TenantHrApi {
  readonly apiBaseUrl: string;
}

/** What an operator sets; the registry adds version and times. */
export type TenantSettings = Omit<Tenant, 'version' | 'createdAt' | 'updatedAt'>;

const positiveInteger = () => z.number().check(z.int(), z.minimum(1));

/** Credentials travel to this URL, so https, except to a sandbox or fake on this machine. */
const hrApiBaseUrl = z.url().check(
  z.refine((text) => {
    const url = new URL(text);
    return (
      url.protocol === 'https:' ||
      (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    );
  }, 'must be an https:// URL (http only to this machine)'),
);

const TenantFieldsSchema = z.object({
  id: z.string().check(z.regex(TENANT_ID_PATTERN, 'must be 1 to 32 lower-case letters, digits or dashes')),
  cpaasAccountId: z.string().check(z.regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be a CPaaS account id')),
  sources: z.array(z.string().check(z.regex(/^[a-z0-9-]{1,32}$/, 'must be a source name'))),
  accountIds: z.array(
    z.object({
      source: z.string().check(z.regex(/^[a-z0-9-]{1,32}$/, 'must be a source name')),
      accountId: z.string().check(z.regex(/^[\x21-\x7e]{1,256}$/, 'must be printable, without spaces')),
    }),
  ),
  deprovisioning: z.object({
    policy: z.enum(TERMINATION_POLICIES),
    deleteGraceDays: positiveInteger(),
    brake: z.object({
      windowMinutes: positiveInteger(),
      minimum: positiveInteger(),
      percent: z.number().check(z.minimum(0)),
    }),
  }),
  hrApis: z.optional(z.partialRecord(z.enum(HR_API_SOURCES), z.object({ apiBaseUrl: hrApiBaseUrl }))),
});

/**
 * What may be registered: never `default` (the deployment's own tenant, served from its
 * environment), and an account id only for a source the tenant uses, since the shared URL routes
 * by it to that tenant's events of that source.
 */
const TenantSettingsSchema = TenantFieldsSchema.check(
  z.refine((tenant) => tenant.id !== DEFAULT_TENANT_ID, {
    message: `${DEFAULT_TENANT_ID} is the deployment's own tenant and is not registered`,
    path: ['id'],
  }),
  z.superRefine((tenant, context) => {
    tenant.accountIds.forEach((account, index) => {
      if (!tenant.sources.includes(account.source)) {
        context.addIssue({
          code: 'custom',
          message: `source ${account.source} is not one of the tenant's sources`,
          path: ['accountIds', index, 'source'],
        });
      }
    });
    for (const source of Object.keys(tenant.hrApis ?? {})) {
      if (!tenant.sources.includes(source)) {
        context.addIssue({
          code: 'custom',
          message: `source ${source} is not one of the tenant's sources`,
          path: ['hrApis', source],
        });
      }
    }
  }),
);

const TenantSchema = z.extend(TenantFieldsSchema, {
  version: positiveInteger(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

function parseWith<T>(schema: z.ZodMiniType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error).map((issue) => `${issue.path}: ${issue.message}`);
  throw new InvalidTenantError(`${what}: ${issues.join('; ')}`);
}

/** Checks an operator's settings before anything is written, naming every wrong field at once. */
export function parseTenantSettings(value: unknown): TenantSettings {
  return parseWith(TenantSettingsSchema, value, 'invalid tenant settings');
}

/** Reads a stored tenant back; an item edited by hand into a wrong shape fails loudly, never half-applies. */
export function parseTenant(value: unknown): Tenant {
  return parseWith(TenantSchema, value, 'invalid tenant record');
}
