import { ENV } from '../../lambdas/contract/environment.js';

/**
 * Worker environment that lifts the deletion brake for load runs: the soak and the benchmarks
 * terminate hundreds of employees an hour, which the brake would rightly hold; what they measure
 * is delivery and speed, and the brake has its own tests.
 */
export const BRAKE_OFF_ENV = { [ENV.deletionBrakeMinimum]: '1000000' } as const;
