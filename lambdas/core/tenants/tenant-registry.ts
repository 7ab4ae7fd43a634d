import { type DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { scanByPrefix } from '../state/table-queries.js';
import {
  TenantAccountIdClaimedError,
  TenantExistsError,
  TenantNotFoundError,
  TenantVersionConflictError,
} from './errors.js';
import {
  parseTenant,
  parseTenantSettings,
  type Tenant,
  type TenantAccountId,
  type TenantSettings,
} from './tenant.js';

/** What the deployed functions read: a tenant by id, or by a provider's own account id. */
export interface TenantRegistry {
  /** The registered tenant, or undefined (never `default`: that one is the deployment's environment). */
  get(tenantId: string): Promise<Tenant | undefined>;
  /** The tenant a provider account id is mapped to, for providers that post every account to one URL. */
  findByAccountId(source: string, accountId: string): Promise<Tenant | undefined>;
}

/** What the operator's CLI does on top: onboarding, changes and removal. */
export interface TenantAdministration extends TenantRegistry {
  list(): AsyncIterable<Tenant>;
  /** Registers a new tenant; `TenantExistsError` if the id is taken, `TenantAccountIdClaimedError` if an account id is. */
  add(settings: TenantSettings): Promise<Tenant>;
  /** Replaces a tenant's settings if it is still at `expectedVersion`; `TenantVersionConflictError` otherwise. */
  update(settings: TenantSettings, expectedVersion: number): Promise<Tenant>;
  /** Removes the tenant and its account-id mappings; its links and secrets are the caller's to handle. */
  remove(tenantId: string): Promise<void>;
}

/** Partition key prefixes: `tenant#<id>` holds the settings, `tenantAccount#<source>#<account id>` one mapping. */
export const TENANT_PREFIX = 'tenant#';
const ACCOUNT_PREFIX = 'tenantAccount#';

const tenantKey = (tenantId: string) => ({ [STATE_TABLE_KEYS.partitionKey]: `${TENANT_PREFIX}${tenantId}` });
const accountKey = (account: TenantAccountId) => ({
  [STATE_TABLE_KEYS.partitionKey]: `${ACCOUNT_PREFIX}${account.source}#${account.accountId}`,
});
const sameAccount = (a: TenantAccountId, b: TenantAccountId) =>
  a.source === b.source && a.accountId === b.accountId;

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

export interface DynamoTenantRegistryOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

/**
 * The registry in the state table, so adding a tenant is a write, not a redeploy. A tenant and
 * its account-id mappings change in one transaction: the mapping items make an account id
 * unique across tenants (a conditional put), which a list inside the tenant item could not.
 */
export class DynamoTenantRegistry implements TenantAdministration {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => Date;

  constructor(options: DynamoTenantRegistryOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#now = options.now ?? (() => new Date());
  }

  async get(tenantId: string): Promise<Tenant | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({ TableName: this.#tableName, Key: tenantKey(tenantId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : parseTenant(Item.tenant);
  }

  async findByAccountId(source: string, accountId: string): Promise<Tenant | undefined> {
    const { Item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#tableName,
        Key: accountKey({ source, accountId }),
        ConsistentRead: true,
      }),
    );
    return typeof Item?.tenantId === 'string' ? this.get(Item.tenantId) : undefined;
  }

  async *list(): AsyncIterable<Tenant> {
    for await (const item of scanByPrefix(this.#documents, this.#tableName, TENANT_PREFIX)) {
      yield parseTenant(item.tenant);
    }
  }

  async add(settings: TenantSettings): Promise<Tenant> {
    const valid = parseTenantSettings(settings);
    const time = this.#now().toISOString();
    const tenant: Tenant = { ...valid, version: 1, createdAt: time, updatedAt: time };
    await this.#transact(
      tenant,
      [putTenant(this.#tableName, tenant, { exists: false })],
      valid.accountIds,
      [],
    );
    return tenant;
  }

  async update(settings: TenantSettings, expectedVersion: number): Promise<Tenant> {
    const valid = parseTenantSettings(settings);
    const current = await this.get(valid.id);
    if (current === undefined) throw new TenantNotFoundError(`no tenant ${valid.id} is registered`);
    if (current.version !== expectedVersion) throw versionConflict(valid.id);
    const tenant: Tenant = {
      ...valid,
      version: expectedVersion + 1,
      createdAt: current.createdAt,
      updatedAt: this.#now().toISOString(),
    };
    const added = valid.accountIds.filter(
      (account) => !current.accountIds.some((old) => sameAccount(old, account)),
    );
    const dropped = current.accountIds.filter(
      (old) => !valid.accountIds.some((account) => sameAccount(old, account)),
    );
    const write = putTenant(this.#tableName, tenant, { version: expectedVersion });
    await this.#transact(tenant, [write], added, dropped);
    return tenant;
  }

  async remove(tenantId: string): Promise<void> {
    const current = await this.get(tenantId);
    if (current === undefined) throw new TenantNotFoundError(`no tenant ${tenantId} is registered`);
    const write: TransactItem = {
      Delete: {
        TableName: this.#tableName,
        Key: tenantKey(tenantId),
        ConditionExpression: 'tenant.version = :version',
        ExpressionAttributeValues: { ':version': current.version },
      },
    };
    await this.#transact(current, [write], [], current.accountIds);
  }

  /**
   * One transaction: the tenant item's write first, then a conditional put per new account id and
   * a delete per dropped one. A cancellation names which condition failed, so the caller learns
   * whether the id, the version or an account id was the conflict.
   */
  async #transact(
    tenant: Tenant,
    writes: TransactItem[],
    added: readonly TenantAccountId[],
    dropped: readonly TenantAccountId[],
  ): Promise<void> {
    const items: TransactItem[] = [
      ...writes,
      ...added.map((account) => ({
        Put: {
          TableName: this.#tableName,
          Item: { ...accountKey(account), tenantId: tenant.id },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey },
        },
      })),
      ...dropped.map((account) => ({
        Delete: {
          TableName: this.#tableName,
          Key: accountKey(account),
          ConditionExpression: 'tenantId = :tenant',
          ExpressionAttributeValues: { ':tenant': tenant.id },
        },
      })),
    ];
    try {
      await this.#documents.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      const reasons = error.CancellationReasons ?? [];
      const failedAt = reasons.findIndex((reason) => reason.Code === 'ConditionalCheckFailed');
      if (failedAt === 0) {
        throw tenant.version === 1
          ? new TenantExistsError(`tenant ${tenant.id} already exists`)
          : versionConflict(tenant.id);
      }
      const account = added[failedAt - writes.length];
      if (account !== undefined) {
        throw new TenantAccountIdClaimedError(
          `${account.source} account ${account.accountId} is already mapped to another tenant`,
        );
      }
      throw error;
    }
  }
}

function versionConflict(tenantId: string): TenantVersionConflictError {
  return new TenantVersionConflictError(`tenant ${tenantId} was changed meanwhile; read it again and retry`);
}

function putTenant(
  tableName: string,
  tenant: Tenant,
  expect: { readonly exists: false } | { readonly version: number },
): TransactItem {
  return {
    Put: {
      TableName: tableName,
      Item: { ...tenantKey(tenant.id), tenant },
      ...('version' in expect
        ? {
            ConditionExpression: 'tenant.version = :version',
            ExpressionAttributeValues: { ':version': expect.version },
          }
        : {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey },
          }),
    },
  };
}
