import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import type { EmployeeData } from '../events/lifecycle-event.js';
import { dueAttributes } from './table-queries.js';

/** Where an employee's VoIP user stands, as far as the worker last applied. */
export type LinkStatus = 'active' | 'disabled' | 'deleted';

/**
 * One employee's link to its CPaaS user and the last event applied to it. `cpaasUserId` is absent
 * when a termination arrived for an employee never provisioned: the link then only records the
 * event time, so an older hire delivered late is recognised as stale.
 */
export interface EmployeeLink {
  readonly employeeKey: string;
  readonly cpaasUserId?: string;
  readonly status: LinkStatus;
  readonly lastEventId: string;
  /** Normalised `toISOString()` form, so string order is time order (DynamoDB compares strings). */
  readonly lastEventTime: string;
  readonly updatedAt: string;
  /** Disabled under `disable-then-delete`: when the sweep may delete the user (ISO). */
  readonly deleteAfter?: string;
  /**
   * The time of the termination that ended the user's access, kept while the link stays disabled
   * or deleted: a rehire newer than it still re-enables the user when a later change of the same
   * person overtook it from another lane (normalised, like `lastEventTime`). Absent on links
   * written before it existed and on active ones.
   */
  readonly terminatedAt?: string;
  /**
   * The data of the last changes applied while the user was deleted, newest last (at most
   * `CHANGES_KEPT_WHILE_DELETED`): with no user to update, they are kept here, so a rehire they
   * overtook (the rehire waited on another lane) creates the user as the newest of them that the
   * API accepts left the person, not from the rehire's older data. Only on a deleted link; the
   * next hire or termination drops them.
   */
  readonly changesWhileDeleted?: readonly EmployeeData[];
}

/**
 * The `link#<employee>` item, described once: the link itself and what the worker keeps beside it
 * so that one event costs one read and, for a change, one write of the same item.
 *
 * - `version`: every write adds 1. A write that did not take the lease is conditional on the
 *   version it read, so anything written meanwhile (another lane's event, the sweep) sends the
 *   event back to read again. Absent on items written before this format.
 * - `recentEventIds`: the last `RECENT_EVENT_IDS` event ids applied or found stale, newest last:
 *   the duplicate check, in place of the former `event#<employee>#<id>` items.
 * - `leaseOwner`, `leaseUntil` (epoch ms): present while an event holds the employee.
 * - `schedulePending`: false when no `schedule#<employee>` item can exist, so an event need not
 *   read it. Absent (an older item) counts as "maybe".
 * - `legacyEventsUntil`: set when an item of the former format is first rewritten: until then
 *   (the former retention) an `event#` item may still say an event was processed.
 * - `expiresAt` (TTL): only on an item with no link yet (a new employee's lease or pending
 *   schedule), so a first event that never completes leaves nothing behind.
 */
export const LINK_ATTRIBUTES = {
  version: 'version',
  recentEventIds: 'recentEventIds',
  leaseOwner: 'leaseOwner',
  leaseUntil: 'leaseUntil',
  schedulePending: 'schedulePending',
  legacyEventsUntil: 'legacyEventsUntil',
  lastEventId: 'lastEventId',
  lastEventTime: 'lastEventTime',
  status: 'status',
} as const;

/** The attributes that hold the employee for `owner` until `until` (epoch ms). */
export function leaseHeld(owner: string, until: number): Record<string, unknown> {
  return { [LINK_ATTRIBUTES.leaseOwner]: owner, [LINK_ATTRIBUTES.leaseUntil]: until };
}

/** The attributes a write removes to give the employee's lease back. */
export const LEASE_RELEASED = {
  [LINK_ATTRIBUTES.leaseOwner]: undefined,
  [LINK_ATTRIBUTES.leaseUntil]: undefined,
} as const;

/**
 * Ids kept for the duplicate check. An older event is stale anyway (the event-time guard), so the
 * ids only need to cover events of the same time and make a recent redelivery read `duplicate`;
 * ten ids of up to 40 characters keep the item under the 1 KB of one write unit.
 */
export const RECENT_EVENT_IDS = 10;

/**
 * Changes a deleted link keeps for an overtaken rehire. Each carries the person's whole data, so
 * the newest one the API accepts is enough; three cover an email another user holds in the newest
 * two, and keep the item within one or two write units.
 */
export const CHANGES_KEPT_WHILE_DELETED = 3;

/** Partition key prefix of employee link items (the brake counts them). */
export const LINK_PREFIX = 'link#';
const EVENT_PREFIX = 'event#';

export const linkKey = (employeeKey: string) => ({
  [STATE_TABLE_KEYS.partitionKey]: `${LINK_PREFIX}${employeeKey}`,
});
/** A processed-event item of the former format (read during the rollover only). */
export const legacyEventKey = (employeeKey: string, eventId: string) => ({
  [STATE_TABLE_KEYS.partitionKey]: `${EVENT_PREFIX}${employeeKey}#${eventId}`,
});

export type LinkItem = Record<string, unknown>;

/** Normalises an event time so lexicographic order is chronological order. */
export function normalizeEventTime(time: string): string {
  return new Date(time).toISOString();
}

/** False for an item that holds only a new employee's lease or pending-schedule marker. */
export function hasLink(item: LinkItem | undefined): item is LinkItem {
  return typeof item?.[LINK_ATTRIBUTES.status] === 'string' && typeof item.lastEventTime === 'string';
}

export function toLink(item: LinkItem): EmployeeLink {
  const pk = String(item[STATE_TABLE_KEYS.partitionKey]);
  return {
    employeeKey: pk.slice(LINK_PREFIX.length),
    ...(typeof item.cpaasUserId === 'string' ? { cpaasUserId: item.cpaasUserId } : {}),
    status: item.status as LinkStatus,
    lastEventId: String(item.lastEventId),
    lastEventTime: String(item.lastEventTime),
    updatedAt: String(item.updatedAt),
    ...(typeof item.deleteAfter === 'string' ? { deleteAfter: item.deleteAfter } : {}),
    ...(typeof item.terminatedAt === 'string' ? { terminatedAt: item.terminatedAt } : {}),
    ...(Array.isArray(item.changesWhileDeleted)
      ? { changesWhileDeleted: item.changesWhileDeleted as EmployeeData[] }
      : {}),
  };
}

/** The link's own attributes; `undefined` ones are removed by `updateOf`. */
export function linkAttributes(link: EmployeeLink): Record<string, unknown> {
  const due = dueAttributes(link.deleteAfter);
  return {
    cpaasUserId: link.cpaasUserId,
    status: link.status,
    lastEventId: link.lastEventId,
    lastEventTime: normalizeEventTime(link.lastEventTime),
    updatedAt: link.updatedAt,
    deleteAfter: link.deleteAfter,
    terminatedAt: link.terminatedAt,
    changesWhileDeleted: link.changesWhileDeleted,
    [STATE_TABLE_KEYS.dueIndexPartitionKey]: due[STATE_TABLE_KEYS.dueIndexPartitionKey],
    [STATE_TABLE_KEYS.dueIndexSortKey]: due[STATE_TABLE_KEYS.dueIndexSortKey],
  };
}

/** The ids an item remembers: its list, or for an item of the former format its last event. */
export function recentEventIds(item: LinkItem | undefined): string[] {
  const ids = item?.[LINK_ATTRIBUTES.recentEventIds];
  if (Array.isArray(ids)) return ids.map(String);
  return hasLink(item) ? [String(item.lastEventId)] : [];
}

/** A link of the former format that has no `recentEventIds` yet. */
export function isLegacyLink(item: LinkItem | undefined): boolean {
  return hasLink(item) && !Array.isArray(item[LINK_ATTRIBUTES.recentEventIds]);
}

/** Whether an `event#` item of the former format may still be the only memory of an event. */
export function legacyEventsMayAnswer(item: LinkItem | undefined, now: Date): boolean {
  if (isLegacyLink(item)) return true;
  const until = item?.[LINK_ATTRIBUTES.legacyEventsUntil];
  return typeof until === 'string' && until > now.toISOString();
}

/** False only when the item says no schedule can be pending (an absent or older item: maybe). */
export function schedulePending(item: LinkItem | undefined): boolean {
  return item?.[LINK_ATTRIBUTES.schedulePending] !== false;
}

/** A live lease, whoever holds it. */
export function leasedUntil(item: LinkItem | undefined, now: number): number | undefined {
  const until = item?.[LINK_ATTRIBUTES.leaseUntil];
  return typeof until === 'number' && until > now ? until : undefined;
}

export interface Expression {
  readonly expression: string;
  readonly names: Record<string, string>;
  readonly values: Record<string, unknown>;
}

/** `SET` for defined values, `REMOVE` for `undefined` ones, `ADD version 1` always. */
export function updateOf(attributes: Record<string, unknown>): Expression {
  const names: Record<string, string> = { '#u_version': LINK_ATTRIBUTES.version };
  const values: Record<string, unknown> = { ':u_one': 1 };
  const sets: string[] = [];
  const removes: string[] = [];
  Object.entries(attributes).forEach(([name, value], index) => {
    names[`#u${index}`] = name;
    if (value === undefined) removes.push(`#u${index}`);
    else {
      values[`:u${index}`] = value;
      sets.push(`#u${index} = :u${index}`);
    }
  });
  const clauses = [
    sets.length === 0 ? '' : `SET ${sets.join(', ')}`,
    removes.length === 0 ? '' : `REMOVE ${removes.join(', ')}`,
    'ADD #u_version :u_one',
  ];
  return { expression: clauses.filter((clause) => clause !== '').join(' '), names, values };
}

/**
 * The item is as it was read: same version; for an item of the former format (no version) the
 * same last event; for no item, still none.
 */
export function unchangedSince(item: LinkItem | undefined): Expression {
  const pk = { '#c_pk': STATE_TABLE_KEYS.partitionKey };
  if (item === undefined) return { expression: 'attribute_not_exists(#c_pk)', names: pk, values: {} };
  const version = item[LINK_ATTRIBUTES.version];
  if (typeof version === 'number') {
    return {
      expression: '#c_version = :c_version',
      names: { '#c_version': LINK_ATTRIBUTES.version },
      values: { ':c_version': version },
    };
  }
  return {
    expression: 'attribute_exists(#c_pk) AND attribute_not_exists(#c_version) AND #c_event = :c_event',
    names: { ...pk, '#c_version': LINK_ATTRIBUTES.version, '#c_event': LINK_ATTRIBUTES.lastEventId },
    values: { ':c_event': item.lastEventId },
  };
}

/** The lease is still this owner's. */
export function heldBy(owner: string): Expression {
  return {
    expression: '#c_owner = :c_owner',
    names: { '#c_owner': LINK_ATTRIBUTES.leaseOwner },
    values: { ':c_owner': owner },
  };
}

/** No newer event was applied (equal times pass: an adoption writes its link twice). */
export function notNewerThan(time: string): Expression {
  return {
    expression: 'attribute_not_exists(#c_time) OR #c_time <= :c_time',
    names: { '#c_time': LINK_ATTRIBUTES.lastEventTime },
    values: { ':c_time': normalizeEventTime(time) },
  };
}

/** No live lease holds the employee (one past its expiry is free: its holder crashed). */
export function leaseFree(now: number): Expression {
  return {
    expression: 'attribute_not_exists(#c_until) OR #c_until < :c_now',
    names: { '#c_until': LINK_ATTRIBUTES.leaseUntil },
    values: { ':c_now': now },
  };
}

/** The item exists. */
export function linkItemExists(): Expression {
  return {
    expression: 'attribute_exists(#c_pk)',
    names: { '#c_pk': STATE_TABLE_KEYS.partitionKey },
    values: {},
  };
}

/** An item with no link yet (a new employee's lease or marker) outlives the invocation by a day. */
const STATELESS_TTL_SECONDS = 86_400;

/** The TTL (epoch s) of an item with no link yet, written by an invocation ending at `deadline` (epoch ms). */
export function statelessExpiresAt(deadline: number): number {
  return Math.ceil(deadline / 1000) + STATELESS_TTL_SECONDS;
}

/** The item's recent event ids do not name this one (an item without them names none). */
export function notAmongRecent(eventId: string): Expression {
  return {
    expression: 'NOT contains(#c_recent, :c_id)',
    names: { '#c_recent': LINK_ATTRIBUTES.recentEventIds },
    values: { ':c_id': eventId },
  };
}

/** Both conditions. */
export function both(first: Expression, second: Expression): Expression {
  return {
    expression: `(${first.expression}) AND (${second.expression})`,
    names: { ...first.names, ...second.names },
    values: { ...first.values, ...second.values },
  };
}

/** What a conditional write of a link item did, and the item as DynamoDB then held it. */
export interface LinkItemWrite {
  readonly written: boolean;
  /** With `returnItem`: the item after the write, or as it stood when the condition failed. */
  readonly item?: LinkItem;
}

/**
 * One conditional UpdateItem of an employee's link item. With `returnItem` DynamoDB answers with
 * the item either way (`ALL_NEW`, or `ALL_OLD` on a failed condition), so the write also serves as
 * a consistent read.
 */
export async function writeLinkItem(
  documents: DynamoDBDocumentClient,
  tableName: string,
  employeeKey: string,
  attributes: Record<string, unknown>,
  condition: Expression,
  returnItem = false,
): Promise<LinkItemWrite> {
  const update = updateOf(attributes);
  try {
    const { Attributes } = await documents.send(
      new UpdateCommand({
        TableName: tableName,
        Key: linkKey(employeeKey),
        UpdateExpression: update.expression,
        ConditionExpression: condition.expression,
        ExpressionAttributeNames: { ...update.names, ...condition.names },
        ExpressionAttributeValues: { ...update.values, ...condition.values },
        ...(returnItem ? { ReturnValues: 'ALL_NEW', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
      }),
    );
    return Attributes === undefined ? { written: true } : { written: true, item: Attributes };
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    // The document client converts answers, not errors: the failed condition's item comes raw.
    return error.Item === undefined ? { written: false } : { written: false, item: unmarshall(error.Item) };
  }
}

/** One conditional UpdateItem of an employee's link item: false when the condition failed. */
export async function updateLinkItem(
  documents: DynamoDBDocumentClient,
  tableName: string,
  employeeKey: string,
  attributes: Record<string, unknown>,
  condition: Expression,
): Promise<boolean> {
  return (await writeLinkItem(documents, tableName, employeeKey, attributes, condition)).written;
}
