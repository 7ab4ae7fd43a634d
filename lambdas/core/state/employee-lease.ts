import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { STATE_TABLE_KEYS } from '../../contract/state-table.js';
import { EmployeeBusyError } from './errors.js';

/**
 * One employee's events are applied one at a time, whichever lane they came on. SQS FIFO
 * serialises a message group within one queue, but the standard and the priority lane are two
 * queues: without the lease a hire (standard) and a termination (priority) for the same person
 * could run at once, and the hire's read-merge-write could re-enable, or its create re-create, the
 * user the termination had just revoked (the link's conditional write would then refuse the hire,
 * but only after the CPaaS call). The event-time guard then decides what the second one does.
 */
export interface EmployeeLeases {
  /**
   * Runs `work` while holding the employee's lease, waiting for it while another delivery holds
   * it, until `deadline` (epoch ms): then `EmployeeBusyError`. The lease lasts until `deadline`,
   * so one held by a worker that crashed frees itself when that invocation would have ended.
   */
  withLease<T>(employeeKey: string, deadline: number, work: () => Promise<T>): Promise<T>;
}

export interface DynamoEmployeeLeasesOptions {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  readonly now?: () => number;
  /** Pause between attempts while the lease is held elsewhere (default 25 ms, doubling to 200 ms). */
  readonly retryMs?: number;
}

const LEASE_PREFIX = 'lease#';
const MAX_RETRY_MS = 200;

/**
 * `EmployeeLeases` over the state table: item `lease#<employee>` with a random holder token and
 * `leaseUntil` (epoch ms), taken by a conditional put (free, expired, or ours) and given back by a
 * delete conditional on the token, so a late release never frees someone else's lease. The TTL
 * attribute removes a lease left behind by a crash.
 */
export class DynamoEmployeeLeases implements EmployeeLeases {
  readonly #documents: DynamoDBDocumentClient;
  readonly #tableName: string;
  readonly #now: () => number;
  readonly #retryMs: number;

  constructor(options: DynamoEmployeeLeasesOptions) {
    this.#documents = DynamoDBDocumentClient.from(options.client);
    this.#tableName = options.tableName;
    this.#now = options.now ?? Date.now;
    this.#retryMs = options.retryMs ?? 25;
  }

  async withLease<T>(employeeKey: string, deadline: number, work: () => Promise<T>): Promise<T> {
    const holder = randomUUID();
    let pause = this.#retryMs;
    while (!(await this.#acquire(employeeKey, holder, deadline))) {
      if (this.#now() + pause >= deadline) {
        throw new EmployeeBusyError(`employee ${employeeKey} is being applied by another delivery`);
      }
      await sleep(pause);
      pause = Math.min(pause * 2, MAX_RETRY_MS);
    }
    try {
      return await work();
    } finally {
      // A failed release is not the event's failure: the event is applied, and the lease frees
      // itself at `deadline`. Failing the record would re-apply it, and a create already done
      // would come back as an adoption.
      await this.#release(employeeKey, holder).catch(() => undefined);
    }
  }

  async #acquire(employeeKey: string, holder: string, deadline: number): Promise<boolean> {
    try {
      await this.#documents.send(
        new PutCommand({
          TableName: this.#tableName,
          Item: {
            [STATE_TABLE_KEYS.partitionKey]: `${LEASE_PREFIX}${employeeKey}`,
            holder,
            leaseUntil: deadline,
            [STATE_TABLE_KEYS.ttlAttribute]: Math.ceil(deadline / 1000) + 60,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #until < :now',
          ExpressionAttributeNames: { '#pk': STATE_TABLE_KEYS.partitionKey, '#until': 'leaseUntil' },
          ExpressionAttributeValues: { ':now': this.#now() },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #release(employeeKey: string, holder: string): Promise<void> {
    try {
      await this.#documents.send(
        new DeleteCommand({
          TableName: this.#tableName,
          Key: { [STATE_TABLE_KEYS.partitionKey]: `${LEASE_PREFIX}${employeeKey}` },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': holder },
        }),
      );
    } catch (error) {
      // Expired and taken over meanwhile: that lease is the other delivery's to give back.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
