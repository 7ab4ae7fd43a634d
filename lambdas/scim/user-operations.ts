import { randomUUID } from 'node:crypto';
import type { EventQueue } from '../core/events/event-queue.js';
import type { Logger } from '../core/telemetry/logger.js';
import {
  ScimNotFoundError,
  ScimPreconditionFailedError,
  ScimUnavailableError,
  ScimUniquenessError,
  ScimVersionConflictError,
} from './errors.js';
import type { UserFilter } from './filter.js';
import { lifecycleEventFor } from './lifecycle-mapping.js';
import { applyPatch, patchOperations } from './patch-request.js';
import { normalizeUserAttributes, type ScimUserAttributes, sameAttributes } from './user-attributes.js';
import { etagOf, renderUser } from './user-resource.js';
import type { ScimUserRecord, ScimUserStore } from './user-store.js';

/** Read-modify-write attempts when the user changes under a request without `If-Match`. */
const MAX_ATTEMPTS = 5;

export interface ScimUsersOptions {
  readonly store: ScimUserStore;
  readonly queue: EventQueue;
  readonly tenant: string;
  readonly now: () => Date;
  readonly logger: Logger;
}

/** A page of a list or filter answer. */
export interface UserPage {
  readonly totalResults: number;
  readonly users: readonly ScimUserRecord[];
}

/** What a request asks of one user: `If-Match` when it sent one. */
export interface WriteConditions {
  readonly ifMatch?: string;
}

/** One attempt after the other while the user changed meanwhile; an `If-Match` request gets the 412. */
async function withConflictRetries<T>(conditions: WriteConditions, attempt: () => Promise<T>): Promise<T> {
  for (let tries = 1; ; tries += 1) {
    try {
      return await attempt();
    } catch (error) {
      if (!(error instanceof ScimVersionConflictError)) throw error;
      if (conditions.ifMatch !== undefined) throw new ScimPreconditionFailedError(error.message);
      if (tries >= MAX_ATTEMPTS) throw new ScimUnavailableError(`${error.message}; retry`);
    }
  }
}

function checkIfMatch(record: ScimUserRecord, conditions: WriteConditions): void {
  const ifMatch = conditions.ifMatch;
  if (ifMatch === undefined || ifMatch.trim() === '*') return;
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  if (!tags.includes(etagOf(record.version))) {
    throw new ScimPreconditionFailedError(`user ${record.id} is at version ${etagOf(record.version)}`);
  }
}

/**
 * The SCIM Users operations over the store and the queue. A change is one new version of the
 * user, written with its lifecycle event in the user's outbox (`pending`) in one conditional
 * write, then put on the queue; only then does the request succeed. When the queue fails, the
 * request answers 503 and the event stays in the outbox: any later request for that user (the
 * identity provider's retry, a GET) queues it first, and if none comes the sweep does two minutes
 * later, with the same event id, so it is neither lost nor applied twice (SQS deduplication, then
 * the worker's processed-event record).
 */
export function scimUsers(options: ScimUsersOptions) {
  const { store, queue, tenant, logger } = options;

  /**
   * Puts the outbox on the queue and clears it; a queue failure is a 503 and leaves it for the
   * retry (or the sweep). A stall the sweep already finished is only cleared.
   */
  async function deliver(record: ScimUserRecord): Promise<ScimUserRecord> {
    if (record.pending.length === 0 && !record.stalled) return record;
    if (record.pending.length > 0) {
      try {
        await queue.enqueue(record.pending);
      } catch (error) {
        logger.error('scim change stored, event not queued: the retry or the sweep queues it', {
          userId: record.id,
          version: record.version,
          errorName: (error as Error).name,
        });
        await store.markStalled(record).catch((markError: Error) => {
          // Only the retried create's 201 depends on it; without it that retry answers 409.
          logger.warn('scim outbox not marked stalled', { userId: record.id, errorName: markError.name });
        });
        throw new ScimUnavailableError('the change is stored but not yet queued; retry the request');
      }
    }
    try {
      await store.markQueued(record);
    } catch (error) {
      // Queued: the change is done. The outbox is queued again by the next request or the sweep (same event id).
      logger.warn('scim event queued, outbox not cleared', {
        userId: record.id,
        errorName: (error as Error).name,
      });
    }
    return { ...record, pending: [], stalled: false };
  }

  /** A user as the request finds it: its outbox queued first, so nothing waits behind a new change. */
  async function load(id: string): Promise<ScimUserRecord> {
    const record = await store.get(tenant, id);
    if (record === undefined || record.deleted) throw new ScimNotFoundError(`no user ${id}`);
    return deliver(record);
  }

  /** A later instant than the previous version's, so each version's event is newer than the last. */
  function nextTime(previous: ScimUserRecord | undefined): string {
    const now = options.now().getTime();
    const after = previous === undefined ? now : new Date(previous.lastModified).getTime() + 1;
    return new Date(Math.max(now, after)).toISOString();
  }

  async function commit(
    previous: ScimUserRecord | undefined,
    id: string,
    attributes: ScimUserAttributes,
    deleted = false,
  ): Promise<ScimUserRecord> {
    const version = (previous?.version ?? 0) + 1;
    const time = nextTime(previous);
    const before =
      previous === undefined ? undefined : { attributes: previous.attributes, deleted: previous.deleted };
    const event = lifecycleEventFor({ tenant, id, version, time, before, after: { attributes, deleted } });
    const lastEventId = event?.id ?? previous?.lastEventId;
    const record: ScimUserRecord = {
      tenant,
      id,
      version,
      created: previous?.created ?? time,
      lastModified: time,
      attributes,
      deleted,
      pending: event === undefined ? [] : [event],
      stalled: false,
      ...(lastEventId === undefined ? {} : { lastEventId }),
      // The save leaves the worker's report in place; the answer shows it too.
      ...(previous?.provisioning === undefined ? {} : { provisioning: previous.provisioning }),
    };
    await store.save(record, previous);
    logger.info('scim user stored', {
      userId: id,
      version,
      ...(event === undefined ? {} : { eventId: event.id, eventType: event.type }),
    });
    return deliver(record);
  }

  /** A change to an existing user: read, change, write, retried while it changed meanwhile. */
  function change(
    id: string,
    conditions: WriteConditions,
    next: (previous: ScimUserRecord) => ScimUserAttributes,
  ): Promise<ScimUserRecord> {
    return withConflictRetries(conditions, async () => {
      const previous = await load(id);
      checkIfMatch(previous, conditions);
      const attributes = next(previous);
      if (sameAttributes(attributes, previous.attributes)) return previous;
      return commit(previous, id, attributes);
    });
  }

  return {
    get: load,

    /**
     * POST /Users. A `userName` another user holds is a 409, with one exception: the retry of a
     * create whose event the queue refused (same attributes, still version 1) finishes that create
     * and answers 201 again, so the identity provider's retry does not end in a conflict.
     */
    create(body: unknown): Promise<{ record: ScimUserRecord; created: boolean }> {
      const attributes = normalizeUserAttributes(body, { active: true });
      return withConflictRetries({}, async () => {
        const existing = await store.findByUserName(tenant, attributes.userName);
        if (existing !== undefined) {
          const retried =
            existing.stalled && existing.version === 1 && sameAttributes(existing.attributes, attributes);
          const delivered = await deliver(existing);
          if (retried) return { record: delivered, created: true };
          throw new ScimUniquenessError('userName is already taken by another user');
        }
        return { record: await commit(undefined, randomUUID(), attributes), created: true };
      });
    },

    /** PUT /Users/{id}: the whole resource; an attribute left out is removed, `active` is kept. */
    replace(id: string, body: unknown, conditions: WriteConditions): Promise<ScimUserRecord> {
      return change(id, conditions, (previous) =>
        normalizeUserAttributes(body, { active: previous.attributes.active }),
      );
    },

    /** PATCH /Users/{id}, applied to the resource as GET shows it, then normalized like a PUT. */
    patch(id: string, body: unknown, usersUrl: string, conditions: WriteConditions): Promise<ScimUserRecord> {
      const operations = patchOperations(body);
      return change(id, conditions, (previous) =>
        normalizeUserAttributes(applyPatch(renderUser(previous, usersUrl), operations), {
          active: previous.attributes.active,
        }),
      );
    },

    /**
     * DELETE /Users/{id}: a tombstone with the termination event; the `userName` is free again.
     * A retried DELETE whose event the queue refused finishes it (or finds the sweep did) and
     * answers 204 again.
     */
    async remove(id: string, conditions: WriteConditions): Promise<void> {
      await withConflictRetries(conditions, async () => {
        const previous = await store.get(tenant, id);
        if (previous?.deleted === true && (previous.pending.length > 0 || previous.stalled)) {
          return deliver(previous);
        }
        if (previous === undefined || previous.deleted) throw new ScimNotFoundError(`no user ${id}`);
        checkIfMatch(previous, conditions);
        return commit(await deliver(previous), id, previous.attributes, true);
      });
    },

    /**
     * GET /Users (and POST /Users/.search): a filter on `userName` or `id` reads that one user by
     * key, consistently (Entra's probe before a create); any other list reads the tenant's users
     * from the index and matches them here.
     */
    async list(
      filter: UserFilter | undefined,
      usersUrl: string,
      startIndex: number,
      count: number,
    ): Promise<UserPage> {
      let candidates: ScimUserRecord[] = [];
      if (filter?.id !== undefined) {
        const record = await store.get(tenant, filter.id);
        candidates = record === undefined || record.deleted ? [] : [record];
      } else if (filter?.userName !== undefined) {
        const record = await store.findByUserName(tenant, filter.userName);
        candidates = record === undefined ? [] : [record];
      } else {
        for await (const record of store.list(tenant)) candidates.push(record);
      }
      const matches =
        filter === undefined
          ? candidates
          : candidates.filter((record) => filter.matches(renderUser(record, usersUrl)));
      return { totalResults: matches.length, users: matches.slice(startIndex - 1, startIndex - 1 + count) };
    },
  };
}
