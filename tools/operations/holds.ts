import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MESSAGE_ATTRIBUTES } from '../../lambdas/contract/settings.js';
import { DEFAULT_TENANT_ID } from '../../lambdas/contract/tenants.js';
import { type LaneQueueUrls, queueUrlFor } from '../../lambdas/core/events/lane.js';
import { parseLifecycleEvent, toQueueMessage } from '../../lambdas/core/events/lifecycle-event.js';
import type { HeldTermination, HoldStore } from '../../lambdas/core/state/hold-store.js';
import { AmbiguousHoldIdError, UnknownHoldError } from './errors.js';

/** Which holds an operator acts on: every one, or those named by event id. */
export type HoldSelection = { readonly all: true } | { readonly ids: readonly string[] };

/** A hold as an operator sees it: ids and counts, never the body (it carries an email and names). */
export interface HoldSummary {
  readonly employeeKey: string;
  readonly eventId: string;
  readonly eventType: string;
  readonly heldAt: string;
  readonly recent: number;
  readonly limit: number;
}

export function summarizeHold(held: HeldTermination): HoldSummary {
  let eventType = 'unknown';
  try {
    const { type } = JSON.parse(held.body) as { type?: unknown };
    if (typeof type === 'string') eventType = type;
  } catch {
    // A body that is not JSON is reported as an unknown type; release then fails on it loudly.
  }
  const { employeeKey, eventId, heldAt, recent, limit } = held;
  return { employeeKey, eventId, eventType, heldAt, recent, limit };
}

/** Every hold of the tenant, oldest first: an operator acts on one tenant's holds at a time. */
export async function listHolds(
  holds: HoldStore,
  tenantId: string = DEFAULT_TENANT_ID,
): Promise<HeldTermination[]> {
  const all: HeldTermination[] = [];
  for await (const held of holds.list(tenantId)) all.push(held);
  return all;
}

/** `employeeKey/eventId`: unique even when two employees' events share an id. */
export const holdReference = (held: Pick<HeldTermination, 'employeeKey' | 'eventId'>): string =>
  `${held.employeeKey}/${held.eventId}`;

function matching(all: readonly HeldTermination[], id: string): HeldTermination {
  const byEventId = all.filter((held) => held.eventId === id);
  const [only] = byEventId;
  if (byEventId.length === 1 && only) return only;
  if (byEventId.length > 1) {
    throw new AmbiguousHoldIdError(
      `event id ${id} is held for ${byEventId.length} employees; name one as ${byEventId.map(holdReference).join(' or ')}`,
    );
  }
  const byReference = all.find((held) => holdReference(held) === id);
  if (byReference) return byReference;
  throw new UnknownHoldError(`no hold ${id} (already released or discarded?)`);
}

/**
 * Resolves a selection to the tenant's holds, oldest first, before anything is done: one unknown
 * or ambiguous id fails the whole command, so an operator never half-applies a list with a typo
 * in it, and another tenant's hold is as unknown as one that never was. An id is an event id, or
 * `employeeKey/eventId` when the event id alone is ambiguous.
 */
export async function selectHolds(
  holds: HoldStore,
  selection: HoldSelection,
  tenantId: string = DEFAULT_TENANT_ID,
): Promise<HeldTermination[]> {
  const all = await listHolds(holds, tenantId);
  if ('all' in selection) return all;
  const chosen = new Set(selection.ids.map((id) => matching(all, id)));
  return all.filter((held) => chosen.has(held));
}

export interface ReleaseHoldsOptions {
  readonly holds: HoldStore;
  readonly sqs: SQSClient;
  /** The lifecycle queues the workers consume: each hold goes back on its event's lane (a termination: priority). */
  readonly queueUrls: LaneQueueUrls;
  readonly selection: HoldSelection;
  /** Whose holds: only this tenant's are released (default: the default tenant's). */
  readonly tenantId?: string;
  readonly onReleased?: (released: ReleasedHold) => void;
}

export interface ReleasedHold {
  readonly employeeKey: string;
  readonly eventId: string;
  readonly messageId: string;
  /** The lane's queue it was sent to. */
  readonly queueUrl: string;
}

/**
 * Sends each selected hold back to its lane's lifecycle queue, oldest first (so an employee's events keep
 * their order), marked as released so the worker admits it past the brake, then removes the hold.
 * Send before remove: a crash in between re-sends it on the next release, which the worker's
 * processed-event record turns into a no-op; the reverse order could lose a termination. The body
 * goes out byte for byte as it was held; the resend tag gives it a deduplication id of its own, or
 * SQS FIFO would drop it as a repeat of the original for five minutes.
 */
export async function releaseHolds(options: ReleaseHoldsOptions): Promise<ReleasedHold[]> {
  const released: ReleasedHold[] = [];
  for (const held of await selectHolds(options.holds, options.selection, options.tenantId)) {
    const event = parseLifecycleEvent(held.body);
    const message = toQueueMessage(event, `release:${held.heldAt}`);
    const queueUrl = queueUrlFor(options.queueUrls, event);
    const sent = await options.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        ...message,
        MessageBody: held.body,
        MessageAttributes: {
          [MESSAGE_ATTRIBUTES.releasedHold]: { DataType: 'String', StringValue: 'true' },
        },
      }),
    );
    await options.holds.remove(held.employeeKey, held.eventId);
    const record = {
      employeeKey: held.employeeKey,
      eventId: held.eventId,
      messageId: sent.MessageId ?? '',
      queueUrl,
    };
    released.push(record);
    options.onReleased?.(record);
  }
  return released;
}

/** Drops the tenant's selected holds: those terminations are never executed (the burst was a bad export, say). */
export async function discardHolds(
  holds: HoldStore,
  selection: HoldSelection,
  tenantId: string = DEFAULT_TENANT_ID,
): Promise<HeldTermination[]> {
  const selected = await selectHolds(holds, selection, tenantId);
  for (const held of selected) await holds.remove(held.employeeKey, held.eventId);
  return selected;
}
