import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { DEFAULT_TENANT_ID } from '../../contract/tenants.js';
import { employeeKey, tenantKeyPrefix, tenantOfEmployeeKey } from '../events/lifecycle-event.js';
import type { Logger } from '../telemetry/logger.js';
import { userClaimKey } from './employee-state.js';
import { StateError } from './errors.js';
import { HOLD_PREFIX, holdKey } from './hold-store.js';
import {
  hasLink,
  LINK_ATTRIBUTES,
  LINK_PREFIX,
  type LinkItem,
  linkKey,
  unchangedSince,
} from './link-item.js';
import { SCHEDULE_PREFIX, scheduleKey } from './schedule-store.js';
import { scanByPrefix } from './table-queries.js';

/**
 * Before tenants, an employee key began with the event's own `tenant` value (Merge's
 * `linked_account.id`, a standard event's `tenant` from the body), defaulting to `default`. Now
 * the route sets the tenant, and all of those events are the default tenant's: their items must
 * be found under `default:<employee>`. This re-keys them once per deployment.
 */

/** Written when a re-key has run to the end: later processes read it and do nothing more. */
const MARKER_KEY = { [STATE_TABLE_KEYS.partitionKey]: 'upgrade#tenant-keys' };

export interface TenantKeysUpgradeOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Whether a key's tenant part is a registered tenant's: those items are never moved. */
  readonly isRegistered: (tenantId: string) => Promise<boolean>;
  readonly logger: Logger;
  readonly now?: () => Date;
}

export interface TenantKeysReport {
  readonly links: number;
  readonly schedules: number;
  readonly holds: number;
  /** Items left where they are: the default tenant already has one of its own under the new key. */
  readonly conflicts: number;
}

/** A move raced another write: the run fails (transient) and the next one finds what is left. */
export class TenantKeysUpgradeRaceError extends StateError {
  override readonly name = 'TenantKeysUpgradeRaceError';
  readonly permanent = false;
}

/**
 * Resolves once this deployment's items are under route-set keys: at most one GetItem per process
 * once the marker exists. Until it does, each call runs the re-key (a Scan of links, schedules and
 * holds), idempotently: a run cut short (a timeout, a race) leaves moved items moved and the rest
 * in place, so the next call resumes by finding only what is left. A failed run is retried by
 * the next call; a successful one is remembered.
 */
export function tenantKeysUpgrade(options: TenantKeysUpgradeOptions): () => Promise<void> {
  const documents = DynamoDBDocumentClient.from(options.client);
  let done: Promise<void> | undefined;
  return () => {
    done ??= ensureUpgraded(documents, options).catch((error: unknown) => {
      done = undefined;
      throw error;
    });
    return done;
  };
}

async function ensureUpgraded(documents: DynamoDBDocumentClient, options: TenantKeysUpgradeOptions) {
  const { Item } = await documents.send(
    new GetCommand({ TableName: options.tableName, Key: MARKER_KEY, ConsistentRead: true }),
  );
  if (Item !== undefined) return;
  const report = await rekeyLegacyTenantItems(documents, options);
  const log = report.conflicts > 0 ? options.logger.warn : options.logger.info;
  log.call(options.logger, 'tenant keys upgraded', { ...report });
  await documents.send(
    new PutCommand({
      TableName: options.tableName,
      Item: { ...MARKER_KEY, ...report, upgradedAt: (options.now?.() ?? new Date()).toISOString() },
    }),
  );
}

/** The default tenant's key for a key written under another tenant value, if that value is not a tenant. */
async function legacyTarget(
  key: string,
  isRegistered: (tenantId: string) => Promise<boolean>,
): Promise<string | undefined> {
  const tenant = tenantOfEmployeeKey(key);
  if (tenant === DEFAULT_TENANT_ID || !key.startsWith(tenantKeyPrefix(tenant))) return undefined;
  if (await isRegistered(tenant)) return undefined;
  return employeeKey({ tenant: DEFAULT_TENANT_ID, subject: key.slice(tenantKeyPrefix(tenant).length) });
}

/** A queued event body as the default tenant's: a re-sent schedule or hold must route where its item now is. */
function asDefaultTenantBody(body: unknown): string {
  const event = JSON.parse(String(body)) as Record<string, unknown>;
  return JSON.stringify({ ...event, tenant: DEFAULT_TENANT_ID });
}

/** Moves every item a pre-tenant worker keyed under another tenant value to the default tenant's key. */
export async function rekeyLegacyTenantItems(
  documents: DynamoDBDocumentClient,
  options: Pick<TenantKeysUpgradeOptions, 'tableName' | 'isRegistered' | 'logger'>,
): Promise<TenantKeysReport> {
  const { tableName, logger } = options;
  const seen = new Map<string, Promise<boolean>>();
  const isRegistered = (tenant: string) => {
    if (!seen.has(tenant)) seen.set(tenant, options.isRegistered(tenant));
    return seen.get(tenant) as Promise<boolean>;
  };
  const counts = { links: 0, schedules: 0, holds: 0, conflicts: 0 };
  /** Employees whose link stays put: their schedules and holds stay beside it. */
  const kept = new Set<string>();
  const pk = STATE_TABLE_KEYS.partitionKey;

  /** One transaction; a cancelled one is a conflict if `occupied` says the target is taken, else a race. */
  async function move(
    kind: 'links' | 'schedules' | 'holds',
    from: string,
    items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>,
    occupied: () => Promise<boolean>,
  ) {
    try {
      await documents.send(new TransactWriteCommand({ TransactItems: items }));
      counts[kind] += 1;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      if (!(await occupied())) throw new TenantKeysUpgradeRaceError(`${from} changed while it was re-keyed`);
      counts.conflicts += 1;
      kept.add(from);
      logger.warn('tenant key not upgraded: the default tenant has its own item under the new key', {
        from,
      });
    }
  }
  const read = async (key: Record<string, string>) =>
    (await documents.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))).Item;

  for await (const item of scanByPrefix(documents, tableName, LINK_PREFIX)) {
    const from = String(item[pk]).slice(LINK_PREFIX.length);
    const to = await legacyTarget(from, isRegistered);
    if (to === undefined) continue;
    const claim = typeof item.cpaasUserId === 'string' ? userClaimKey(item.cpaasUserId) : undefined;
    const claimed = claim === undefined ? undefined : await read(claim);
    const old = unchangedSince(item as LinkItem);
    await move(
      'links',
      from,
      [
        {
          // Only where the default tenant has no link of its own: absent, or a lapsed stateless item.
          Put: {
            TableName: tableName,
            Item: { ...item, ...linkKey(to) },
            ConditionExpression:
              'attribute_not_exists(#pk) OR (attribute_not_exists(#status) AND NOT (#leaseUntil > :now))',
            ExpressionAttributeNames: {
              '#pk': pk,
              '#status': LINK_ATTRIBUTES.status,
              '#leaseUntil': LINK_ATTRIBUTES.leaseUntil,
            },
            ExpressionAttributeValues: { ':now': Date.now() },
          },
        },
        {
          Delete: {
            TableName: tableName,
            Key: linkKey(from),
            ConditionExpression: old.expression,
            ExpressionAttributeNames: old.names,
            ...(Object.keys(old.values).length === 0 ? {} : { ExpressionAttributeValues: old.values }),
          },
        },
        // The claim follows its link, so the user stays linked to one employee (and is not "elsewhere").
        ...(claim !== undefined && claimed?.employeeKey === from
          ? [
              {
                Update: {
                  TableName: tableName,
                  Key: claim,
                  UpdateExpression: 'SET #employee = :to',
                  ConditionExpression: '#employee = :from',
                  ExpressionAttributeNames: { '#employee': 'employeeKey' },
                  ExpressionAttributeValues: { ':to': to, ':from': from },
                },
              },
            ]
          : []),
      ],
      async () => hasLink(await read(linkKey(to))),
    );
  }

  for await (const item of scanByPrefix(documents, tableName, SCHEDULE_PREFIX)) {
    const from = String(item[pk]).slice(SCHEDULE_PREFIX.length);
    const to = await legacyTarget(from, isRegistered);
    if (to === undefined || kept.has(from)) continue;
    await move(
      'schedules',
      from,
      [
        {
          Put: {
            TableName: tableName,
            Item: { ...item, ...scheduleKey(to), body: asDefaultTenantBody(item.body) },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': pk },
          },
        },
        {
          Delete: {
            TableName: tableName,
            Key: scheduleKey(from),
            ConditionExpression: '#eventId = :eventId',
            ExpressionAttributeNames: { '#eventId': 'eventId' },
            ExpressionAttributeValues: { ':eventId': item.eventId },
          },
        },
      ],
      async () => (await read(scheduleKey(to))) !== undefined,
    );
  }

  for await (const item of scanByPrefix(documents, tableName, HOLD_PREFIX)) {
    const from = String(item.employeeKey);
    const to = await legacyTarget(from, isRegistered);
    if (to === undefined || kept.has(from)) continue;
    const eventId = String(item.eventId);
    await move(
      'holds',
      from,
      [
        {
          Put: {
            TableName: tableName,
            Item: {
              ...item,
              ...holdKey(to, eventId),
              employeeKey: to,
              body: asDefaultTenantBody(item.body),
            },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': pk },
          },
        },
        {
          Delete: {
            TableName: tableName,
            Key: holdKey(from, eventId),
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': pk },
          },
        },
      ],
      async () => (await read(holdKey(to, eventId))) !== undefined,
    );
  }
  return counts;
}
