import { DEFAULT_TENANT_ID } from '../../contract/tenants.js';
import type { LifecycleEvent } from './lifecycle-event.js';

/** The `source` of every event the SCIM service provider produces. */
export const SCIM_EVENT_SOURCE = 'scim';

/** One version of one SCIM user: what a SCIM event came from, and what its status is reported on. */
export interface ScimUserVersion {
  readonly tenant: string;
  readonly userId: string;
  readonly version: number;
}

/**
 * The id of the event a version of a SCIM user produces. Derived, not random, so a retried
 * request, the sweep of a stalled outbox and the original all carry the same id (SQS
 * deduplication, then the worker's processed-event record, apply it once), and so the worker can
 * tell which version of which user an event reports on.
 */
export function scimEventId(userId: string, version: number): string {
  return `scim-${userId}-${version}`;
}

/**
 * The SCIM user version an event came from, or undefined for an event of any other source. The
 * version is read back from the id against the subject (the SCIM resource id, which may itself
 * hold dashes), so only an id `scimEventId` made for that subject matches.
 */
export function scimUserVersionOf(
  event: Pick<LifecycleEvent, 'id' | 'source' | 'subject' | 'tenant'>,
): ScimUserVersion | undefined {
  if (event.source !== SCIM_EVENT_SOURCE) return undefined;
  const prefix = scimEventId(event.subject, 0).slice(0, -1);
  const suffix = event.id.startsWith(prefix) ? event.id.slice(prefix.length) : '';
  if (!/^[1-9][0-9]{0,14}$/.test(suffix)) return undefined;
  return { tenant: event.tenant ?? DEFAULT_TENANT_ID, userId: event.subject, version: Number(suffix) };
}
