import type { ConvergeOutcome } from '../core/converge/converge.js';
import type { ProvisioningReport } from '../core/state/provisioning-status.js';

/** Shown while the deletion brake holds a termination: what the identity provider's admin waits for. */
export const HELD_REASON = 'held by the deletion brake until an operator releases it';

/**
 * What an outcome tells the producer about its change, or nothing. Applied when the VoIP user now
 * matches the event (`duplicate` included: a redelivery of an event applied before, whose first
 * report may have been lost); still pending, with the reason, when the brake holds it. `stale`
 * (a newer change of the user was applied first) and `scheduled` report nothing: the newer
 * event's own report stands, and a scheduled event reports when it is applied.
 */
export function provisioningReportFor(outcome: ConvergeOutcome): ProvisioningReport | undefined {
  switch (outcome) {
    case 'created':
    case 'updated':
    case 'unchanged':
    case 'deleted':
    case 'disabled':
    case 'duplicate':
      return { status: 'applied' };
    case 'held':
      return { status: 'pending', reason: HELD_REASON };
    case 'stale':
    case 'scheduled':
      return undefined;
  }
}
