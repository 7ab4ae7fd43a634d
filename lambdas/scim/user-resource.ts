import type { ProvisioningReport } from '../core/state/provisioning-status.js';
import { SCIM_URNS } from './schema-urns.js';
import type { ScimUserRecord } from './user-store.js';

/**
 * Where the user's latest change (its `lastEventId`) stands: what the worker reported for that
 * event, else `pending`. A report for an earlier event says nothing about the latest one. A user
 * whose changes never made an event (created inactive) has nothing to provision: `applied`.
 */
export function provisioningOf(record: ScimUserRecord): ProvisioningReport {
  if (record.lastEventId === undefined) return { status: 'applied' };
  const reported = record.provisioning;
  if (reported?.eventId !== record.lastEventId) return { status: 'pending' };
  return { status: reported.status, ...(reported.reason === undefined ? {} : { reason: reported.reason }) };
}

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
        ...provisioningOf(record),
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
