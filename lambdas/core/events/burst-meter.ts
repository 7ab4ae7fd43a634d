/** How many standard-lane events a tenant may queue in a window before the rest go on the bulk lane. */
export interface BurstAllowance {
  /** Events a tenant may send at once (the bucket's size). */
  readonly events: number;
  /** Seconds in which a tenant's allowance refills completely. */
  readonly perSeconds: number;
}

/** Decides, per tenant, whether an event is within its allowance. */
export interface BurstMeter {
  /** True (and one event of the allowance used) while the tenant is within it; false once it bursts. */
  take(tenant: string): boolean;
}

/**
 * A token bucket per tenant: an HR system's everyday trickle stays on the standard lane, and a
 * tenant's first import, bulk update or reconcile, beyond `allowance.events` at once, overflows
 * onto the bulk lane so it does not queue ahead of every other tenant's next hire. Kept in the
 * producer's memory, not in the table: one write per event would cost more than the lane saves,
 * and a burst spread over many ingest instances is one each instance also sees (each allows its
 * own bucket, so the standard lane takes at most instances x `events` of one burst).
 */
export function createBurstMeter(allowance: BurstAllowance, clock: () => number = Date.now): BurstMeter {
  const refillPerMs = allowance.events / (allowance.perSeconds * 1000);
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(tenant) {
      const now = clock();
      const bucket = buckets.get(tenant) ?? { tokens: allowance.events, at: now };
      bucket.tokens = Math.min(allowance.events, bucket.tokens + (now - bucket.at) * refillPerMs);
      bucket.at = now;
      buckets.set(tenant, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
