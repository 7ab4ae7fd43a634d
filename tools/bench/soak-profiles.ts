import type { FaultSpec } from '../sandbox/index.js';

/**
 * 30% of CPaaS requests fail transiently: 500/502/503, 429 with Retry-After, connection resets,
 * and (full run only) hangs the client's timeout ends. Latency stays small so the run takes minutes.
 */
export const SOAK_FAULTS: FaultSpec = {
  errorRate: 0.21,
  rateLimitRate: 0.05,
  retryAfterSeconds: 1,
  resetRate: 0.05,
  hangRate: 0.002,
  latencyMs: 2,
  jitterMs: 8,
};

/** `npm run soak`: the scale. */
export const FULL_SOAK = {
  events: 2_000,
  employees: 300,
  duplicateRate: 0.05,
  poisonEvents: 20,
  seed: 20_261_123,
};

/** How long the full soak may take before it gives up: far beyond issue #16's 240 s, so only a stall ends it. */
export const FULL_SOAK_TIMEOUT_MS = 30 * 60_000;

/**
 * The run inside `npm test`: same fault mix without hangs (each costs a full client timeout),
 * small enough to finish in well under a minute on two cores; seeded, so it never flakes.
 */
export const SHORT_SOAK = { events: 160, employees: 40, duplicateRate: 0.05, poisonEvents: 4, seed: 7 };
export const SHORT_SOAK_FAULTS: FaultSpec = { ...SOAK_FAULTS, hangRate: 0 };
