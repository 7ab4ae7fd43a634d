import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { type LifecycleEvent, validateLifecycleEvent } from '../events/lifecycle-event.js';
import type { ScimUserVersion } from '../events/scim-event.js';
import { SCIM_ITEM_PREFIX, SCIM_USER_ATTRIBUTES, updateScimUserAtVersion } from './scim-user-item.js';
import { dueAttributes, queryDue } from './table-queries.js';

/**
 * How long an outbox is left to the request that wrote it before the sweep queues it: longer than
 * a SCIM request can last (the function's 10 s timeout, five conflict retries included), so the
 * sweep does not race a request still running, and short enough that a change whose request
 * failed reaches the worker within about three minutes, whether or not the identity provider
 * retries.
 */
export const SCIM_OUTBOX_SWEEP_DELAY_MS = 120_000;

/**
 * The attributes that put a user item with an outbox into the sparse `due` index, due
 * `SCIM_OUTBOX_SWEEP_DELAY_MS` after the version was written; clearing the outbox removes them.
 */
export function scimOutboxDueAttributes(lastModified: string): Record<string, string> {
  return dueAttributes(new Date(Date.parse(lastModified) + SCIM_OUTBOX_SWEEP_DELAY_MS).toISOString());
}

/** The `REMOVE` that takes a user item's outbox, and with it the item, out of the `due` index. */
const OUTBOX_REMOVAL = {
  names: {
    '#pending': SCIM_USER_ATTRIBUTES.pending,
    '#dueShard': STATE_TABLE_KEYS.dueIndexPartitionKey,
    '#dueAt': STATE_TABLE_KEYS.dueIndexSortKey,
  },
  attributes: ['#pending', '#dueShard', '#dueAt'],
} as const;

/** A version's events still waiting for the queue. */
export interface ScimOutbox extends ScimUserVersion {
  readonly events: readonly LifecycleEvent[];
}

/** What the queue's acceptance of an outbox ends. */
export interface OutboxClearing {
  /**
   * Also forget that an enqueue failed. The SCIM function does, having answered the request; the
   * sweep does not, so the identity provider's retry of a failed create still answers 201.
   */
  readonly endStall: boolean;
}

/** The SCIM users' outboxes in the state table. */
export interface ScimOutboxes {
  /** Every outbox due at or before `now` (left by its request longer than the delay), oldest first. */
  listDue(now: Date): AsyncIterable<ScimOutbox>;
  /** The queue took `outbox.events`: clears the outbox, unless a newer version replaced it. */
  clear(outbox: ScimUserVersion, clearing: OutboxClearing): Promise<void>;
}

/** Outboxes over the user items; found through the `due` index, never a scan. */
export class DynamoScimOutboxes implements ScimOutboxes {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
  }

  async *listDue(now: Date): AsyncIterable<ScimOutbox> {
    for await (const item of queryDue(this.#documents, this.#tableName, SCIM_ITEM_PREFIX, now)) {
      const pending = item[SCIM_USER_ATTRIBUTES.pending];
      if (typeof pending !== 'string') continue;
      yield {
        tenant: String(item[SCIM_USER_ATTRIBUTES.tenant]),
        userId: String(item[SCIM_USER_ATTRIBUTES.id]),
        version: Number(item[SCIM_USER_ATTRIBUTES.version]),
        events: (JSON.parse(pending) as unknown[]).map(validateLifecycleEvent),
      };
    }
  }

  async clear(outbox: ScimUserVersion, clearing: OutboxClearing): Promise<void> {
    const attributes = [...OUTBOX_REMOVAL.attributes, ...(clearing.endStall ? ['#stalled'] : [])];
    await updateScimUserAtVersion(this.#documents, this.#tableName, outbox, {
      expression: `REMOVE ${attributes.join(', ')}`,
      names: {
        ...OUTBOX_REMOVAL.names,
        ...(clearing.endStall ? { '#stalled': SCIM_USER_ATTRIBUTES.stalled } : {}),
      },
    });
  }
}
