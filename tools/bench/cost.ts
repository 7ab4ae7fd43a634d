import { AWS_PRICES } from './aws-prices.js';

export interface CostInputs {
  /** Billed worker time per event: one invocation's duration divided by the events it carried. */
  readonly workerMsPerEvent: number;
  /**
   * Events per worker invocation, and so per ReceiveMessage and DeleteMessageBatch: 1 when events
   * arrive one at a time (the headline figure), up to 10 in a burst. Each event is still sent
   * (one webhook, one SendMessage) and ingested on its own.
   */
  readonly eventsPerWorkerInvocation: number;
  readonly ingestMsPerEvent: number;
  readonly memoryMb: number;
  /** DynamoDB operation -> calls per event. */
  readonly dynamoCallsPerEvent: Readonly<Record<string, number>>;
  readonly secretsManagerCallsPerEvent: number;
  /** Measured CloudWatch Logs bytes per event, ingest and worker together (log lines and EMF). */
  readonly logBytesPerEvent: number;
}

export interface CostLine {
  readonly item: string;
  readonly arithmetic: string;
  readonly dollars: number;
}

const EVENTS = 1_000_000;
/** Capacity units per call for the worker's two-item operations (transactions cost double). */
const READ_UNITS: Readonly<Record<string, number>> = {
  GetItem: 1,
  BatchGetItem: 2,
  TransactGetItems: 4,
  Query: 1,
};
const WRITE_UNITS: Readonly<Record<string, number>> = {
  PutItem: 1,
  UpdateItem: 1,
  DeleteItem: 1,
  BatchWriteItem: 2,
  TransactWriteItems: 4,
};

const usd = (value: number) => `$${value.toFixed(2)}`;

/** Write units of DynamoDB calls (operation -> calls), at the item sizes the worker writes. */
export function writeUnitsOf(calls: Readonly<Record<string, number>>): number {
  return units(calls, WRITE_UNITS);
}

function units(perEvent: Readonly<Record<string, number>>, table: Readonly<Record<string, number>>): number {
  return Object.entries(perEvent).reduce(
    (sum, [operation, calls]) => sum + calls * (table[operation] ?? 0),
    0,
  );
}

/**
 * Variable cost of 1,000,000 lifecycle events (one ingest invocation each, and one worker
 * invocation per `eventsPerWorkerInvocation`) from measured durations and call counts; fixed
 * monthly costs (secrets, alarms, idle polling) are in docs/cost.md and do not grow with events.
 */
export function costPerMillionEvents(inputs: CostInputs): CostLine[] {
  const perBatch = inputs.eventsPerWorkerInvocation;
  const gb = inputs.memoryMb / 1024;
  const workerGbs = (EVENTS * inputs.workerMsPerEvent * gb) / 1000;
  const ingestGbs = (EVENTS * inputs.ingestMsPerEvent * gb) / 1000;
  const readUnits = units(inputs.dynamoCallsPerEvent, READ_UNITS);
  const writeUnits = units(inputs.dynamoCallsPerEvent, WRITE_UNITS);
  const logGb = (EVENTS * inputs.logBytesPerEvent) / 1024 ** 3;
  return [
    {
      item: 'Lambda worker compute',
      arithmetic: `1M x ${inputs.workerMsPerEvent.toFixed(0)} ms x ${gb} GB = ${workerGbs.toFixed(0)} GB-s x $${AWS_PRICES.lambdaGbSecondArm}`,
      dollars: workerGbs * AWS_PRICES.lambdaGbSecondArm,
    },
    {
      item: 'Lambda ingest compute',
      arithmetic: `1M x ${inputs.ingestMsPerEvent.toFixed(0)} ms x ${gb} GB = ${ingestGbs.toFixed(0)} GB-s x $${AWS_PRICES.lambdaGbSecondArm}`,
      dollars: ingestGbs * AWS_PRICES.lambdaGbSecondArm,
    },
    {
      item: 'Lambda requests',
      arithmetic:
        perBatch === 1
          ? `2M x $${AWS_PRICES.lambdaPerMillionRequests} / 1M`
          : `(1M ingest + 1M / ${perBatch} worker) x $${AWS_PRICES.lambdaPerMillionRequests} / 1M`,
      dollars: (1 + 1 / perBatch) * AWS_PRICES.lambdaPerMillionRequests,
    },
    {
      item: 'SQS FIFO',
      arithmetic:
        perBatch === 1
          ? `3 requests (send, receive, delete) x 1M x $${AWS_PRICES.sqsFifoPerMillionRequests} / 1M`
          : `(1 send + 2 / ${perBatch} receive and delete) requests x 1M x $${AWS_PRICES.sqsFifoPerMillionRequests} / 1M`,
      dollars: (1 + 2 / perBatch) * AWS_PRICES.sqsFifoPerMillionRequests,
    },
    {
      item: 'DynamoDB writes',
      arithmetic: `${writeUnits.toFixed(2)} WRU x 1M x $${AWS_PRICES.dynamoPerMillionWriteUnits} / 1M`,
      dollars: writeUnits * AWS_PRICES.dynamoPerMillionWriteUnits,
    },
    {
      item: 'DynamoDB reads',
      arithmetic: `${readUnits.toFixed(2)} RRU x 1M x $${AWS_PRICES.dynamoPerMillionReadUnits} / 1M`,
      dollars: readUnits * AWS_PRICES.dynamoPerMillionReadUnits,
    },
    {
      item: 'Secrets Manager calls',
      arithmetic: `${(inputs.secretsManagerCallsPerEvent * EVENTS).toFixed(0)} calls (2 secrets x one per cache period x 30 days) x $${AWS_PRICES.secretsManagerPer10kCalls} / 10k`,
      dollars:
        ((inputs.secretsManagerCallsPerEvent * EVENTS) / 10_000) * AWS_PRICES.secretsManagerPer10kCalls,
    },
    {
      item: 'CloudWatch Logs',
      arithmetic: `1M events x ${inputs.logBytesPerEvent.toFixed(0)} bytes (measured) = ${logGb.toFixed(2)} GB x $${AWS_PRICES.logsIngestionPerGb}`,
      dollars: logGb * AWS_PRICES.logsIngestionPerGb,
    },
  ].map((line) => ({ ...line, arithmetic: `${line.arithmetic} = ${usd(line.dollars)}` }));
}
