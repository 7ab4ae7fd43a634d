import { SCIM_URNS } from './schema-urns.js';
import type { ScimUserRecord } from './user-store.js';

/**
 * Where the latest change of a user stands on its way to the VoIP platform. `pending` until the
 * worker reports back (applied and failed come with that report; see docs/scim.md).
 */
export type ProvisioningStatus = 'pending';

/** The weak ETag of a version (RFC 7644 section 3.14): the same string as `meta.version`. */
export function etagOf(version: number): string {
  return `W/"${version}"`;
}

/**
 * A stored user as the SCIM User resource GET answers: the kept attributes, the extension with
 * the VoIP extension number and the read-only provisioning status, and `meta`. PATCH is applied
 * to this same shape, so a path means what the client sees.
 */
export function renderUser(record: ScimUserRecord, usersUrl: string): Record<string, unknown> {
  const { extension, ...core } = record.attributes;
  return {
    schemas: [SCIM_URNS.user, SCIM_URNS.voipExtension],
    id: record.id,
    ...core,
    [SCIM_URNS.voipExtension]: {
      ...(extension === undefined ? {} : { extension }),
      provisioning: {
        status: 'pending' satisfies ProvisioningStatus,
        ...(record.lastEventId === undefined ? {} : { eventId: record.lastEventId }),
      },
    },
    meta: {
      resourceType: 'User',
      created: record.created,
      lastModified: record.lastModified,
      location: `${usersUrl}/${record.id}`,
      version: etagOf(record.version),
    },
  };
}
