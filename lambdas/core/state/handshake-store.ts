import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { HANDSHAKE_KEY_PREFIX, STATE_TABLE_KEYS } from '../../contract/state-table.js';

/**
 * A provider's set-up request as ingest received it, before the provider signs anything: which
 * registration it belongs to and the value the operator needs to finish it (Gusto: the webhook
 * subscription and its verification token, which is also the future signing key).
 */
export interface PendingHandshake {
  readonly source: string;
  readonly tenant: string;
  /** The provider's id of the registration (Gusto's webhook subscription uuid); '' when it sends none. */
  readonly registrationId: string;
  /** Never logged, never answered: it is shown to the operator's command only. */
  readonly secret: string;
  /** ISO time it arrived. */
  readonly receivedAt: string;
}

/**
 * Handshakes waiting for the operator (state table items `handshake#<source>#<tenant>#<registration>`,
 * expiring after `DEFAULTS.handshakeRetentionMinutes`). Anyone can post one: a stored handshake
 * changes nothing by itself; the operator's command confirms it with the provider before any
 * secret is written.
 */
export interface HandshakeStore {
  /** A resend of the same registration replaces the waiting one (the provider's latest token wins). */
  save(handshake: PendingHandshake): Promise<void>;
  /** The waiting handshake, undefined when none (or expired). */
  find(source: string, tenant: string, registrationId: string): Promise<PendingHandshake | undefined>;
  remove(source: string, tenant: string, registrationId: string): Promise<void>;
}

export interface DynamoHandshakeStoreOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** How long a handshake waits for the operator. */
  readonly retentionSeconds: number;
  readonly now?: () => Date;
}

const handshakeKey = (source: string, tenant: string, registrationId: string) =>
  `${HANDSHAKE_KEY_PREFIX}${source}#${tenant}#${registrationId}`;

/** `HandshakeStore` over the state table; DynamoDB's TTL deletes lazily, so `find` checks the expiry itself. */
export class DynamoHandshakeStore implements HandshakeStore {
  readonly #documents: DynamoDBDocumentClient;
  readonly #options: DynamoHandshakeStoreOptions;

  constructor(options: DynamoHandshakeStoreOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#options = options;
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }

  async save(handshake: PendingHandshake): Promise<void> {
    await this.#documents.send(
      new PutCommand({
        TableName: this.#options.tableName,
        Item: {
          [STATE_TABLE_KEYS.partitionKey]: handshakeKey(
            handshake.source,
            handshake.tenant,
            handshake.registrationId,
          ),
          ...handshake,
          [STATE_TABLE_KEYS.ttlAttribute]:
            Math.floor(this.#now().getTime() / 1000) + this.#options.retentionSeconds,
        },
      }),
    );
  }

  async find(source: string, tenant: string, registrationId: string): Promise<PendingHandshake | undefined> {
    const { Item: item } = await this.#documents.send(
      new GetCommand({
        TableName: this.#options.tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: handshakeKey(source, tenant, registrationId) },
        ConsistentRead: true,
      }),
    );
    if (item === undefined) return undefined;
    if (Number(item[STATE_TABLE_KEYS.ttlAttribute]) * 1000 <= this.#now().getTime()) return undefined;
    return {
      source: String(item.source),
      tenant: String(item.tenant),
      registrationId: String(item.registrationId),
      secret: String(item.secret),
      receivedAt: String(item.receivedAt),
    };
  }

  async remove(source: string, tenant: string, registrationId: string): Promise<void> {
    await this.#documents.send(
      new DeleteCommand({
        TableName: this.#options.tableName,
        Key: { [STATE_TABLE_KEYS.partitionKey]: handshakeKey(source, tenant, registrationId) },
      }),
    );
  }
}
