import type { QueuedEvent } from './details-pending-event.js';

/**
 * Puts lifecycle events on the lifecycle queue; resolves only when the queue has taken every one,
 * so a producer answers its caller only once nothing it accepted can be lost. A port, so each
 * producer is tested against a real queue without knowing which.
 */
export interface EventQueue {
  enqueue(events: readonly QueuedEvent[]): Promise<void>;
}
