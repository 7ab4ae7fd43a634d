import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import type { LifecycleEvent } from '../events/lifecycle-event.js';
import { scimUserVersionOf } from '../events/scim-event.js';
import { SCIM_USER_ATTRIBUTES, scimUserItemKey } from './scim-user-item.js';

/**
 * Where a change from the SCIM service provider stands on its way to the VoIP platform:
 * `pending` (queued, not yet applied; or held by the deletion brake), `applied` (the worker
 * applied it), `failed` (the worker dead-lettered it; the reason says why).
 */
export const PROVISIONING_STATUSES = ['pending', 'applied', 'failed'] as const;
export type ProvisioningStatus = (typeof PROVISIONING_STATUSES)[number];

/** What the worker reports about one event. */
export interface ProvisioningReport {
  readonly status: ProvisioningStatus;
  /** Why it failed or waits; safe to show (no email, name or secret: the worker's DLQ reason). */
  readonly reason?: string;
}

/** A report as stored on the SCIM user item, for the event and version it is about. */
export interface RecordedProvisioning extends ProvisioningReport {
  readonly eventId: string;
  readonly version: number;
  /** When the worker reported it (ISO 8601). */
  readonly at: string;
}

/**
 * Where the worker reports what became of an event for the producer that wants to show it. Only
 * the SCIM service provider does; every other event is ignored by the recorder itself, so the
 * worker calls it for every event without knowing sources.
 */
export interface ProvisioningStatusRecorder {
  record(event: LifecycleEvent, report: ProvisioningReport, at: Date): Promise<void>;
}

/** Records nothing: a worker without a SCIM service provider, or a test that does not look. */
export const noProvisioningStatus: ProvisioningStatusRecorder = {
  async record() {},
};

/** The stored report of a user item, if the worker has made one. */
export function readProvisioning(item: Record<string, unknown>): RecordedProvisioning | undefined {
  const value = item[SCIM_USER_ATTRIBUTES.provisioning] as Record<string, unknown> | undefined;
  const status = PROVISIONING_STATUSES.find((candidate) => candidate === value?.status);
  if (value === undefined || status === undefined) return undefined;
  return {
    status,
    eventId: String(value.eventId),
    version: Number(value.version),
    at: String(value.at),
    ...(typeof value.reason === 'string' ? { reason: value.reason } : {}),
  };
}

/**
 * Writes the report on the SCIM user item the event came from (`scimUserVersionOf`), with a
 * condition: only over a report for the same or an older version, and only while the item exists.
 * So a late report for an older version (a stale event, a redelivery) never hides a newer one,
 * and a user whose tombstone expired is not brought back as an item holding a status alone.
 */
export class DynamoProvisioningStatusRecorder implements ProvisioningStatusRecorder {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;

  constructor(options: { readonly client: DynamoDBClient; readonly tableName: string }) {
    this.#documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.#tableName = options.tableName;
  }

  async record(event: LifecycleEvent, report: ProvisioningReport, at: Date): Promise<void> {
    const user = scimUserVersionOf(event);
    if (user === undefined) return;
    const recorded: RecordedProvisioning = {
      ...report,
      eventId: event.id,
      version: user.version,
      at: at.toISOString(),
    };
    try {
      await this.#documents.send(
        new UpdateCommand({
          TableName: this.#tableName,
          Key: scimUserItemKey(user.tenant, user.userId),
          UpdateExpression: 'SET #provisioning = :recorded',
          ConditionExpression:
            'attribute_exists(#pk) AND (attribute_not_exists(#provisioning) OR #provisioning.#version <= :version)',
          ExpressionAttributeNames: {
            '#pk': STATE_TABLE_KEYS.partitionKey,
            '#provisioning': SCIM_USER_ATTRIBUTES.provisioning,
            '#version': 'version',
          },
          ExpressionAttributeValues: { ':recorded': recorded, ':version': user.version },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
