import { ENV } from '../../lambdas/contract/environment.js';
import { DEFAULTS } from '../../lambdas/contract/settings.js';
import { createLifecycleEvent, type LifecycleEvent } from '../../lambdas/core/events/lifecycle-event.js';
import { createWorkerHandler, workerDependenciesFromEnv } from '../../lambdas/worker/handler.js';
import { addTenant, withTenantAdminPorts } from '../operations/tenants.js';
import { countAwsCalls } from './http-call-counter.js';
import { MemoryScheduleStore, MemoryStateStore } from './memory-state-store.js';
import { uniqueSuffix } from './unique-suffix.js';
import { newEmployee, type WorkerHarness } from './worker-harness.js';

/** Row 13's shape: many tenants with a few events each against one tenant with as many events. */
export const MANY_TENANTS = 100;
export const EVENTS_PER_TENANT = 20;
const TOTAL_EVENTS = MANY_TENANTS * EVENTS_PER_TENANT;
const BATCH = 10;

export interface TenantThroughputFigures {
  readonly latencyMs: number;
  /** Events per second, one registered tenant with all the events (mean of two cold runs). */
  readonly oneTenantPerSecond: number;
  /** Events per second, the same events spread over `MANY_TENANTS` tenants (mean of two cold runs). */
  readonly manyTenantsPerSecond: number;
  readonly ratio: number;
  /** GetSecretValue calls of one many-tenant run, from a cold worker. */
  readonly secretCalls: number;
  /** Registry reads (GetItem) of one many-tenant run. */
  readonly registryReads: number;
}

/** Registers `count` tenants with `tenants add`'s operation, each on a sandbox account of its own. */
async function registerTenants(harness: WorkerHarness, count: number): Promise<string[]> {
  const suffix = uniqueSuffix();
  const ids = Array.from({ length: count }, (_, index) => `bench-${suffix}-${index}`);
  const deprovisioning = {
    policy: DEFAULTS.terminationPolicy,
    deleteGraceDays: DEFAULTS.deleteGraceDays,
    brake: { ...DEFAULTS.deletionBrake },
  };
  await withTenantAdminPorts(harness.aws, harness.env[ENV.stateTableName] as string, async (ports) => {
    for (const id of ids) {
      const { accountId, apiKey } = harness.sandbox.control.addAccount();
      await addTenant(
        ports,
        { id, cpaasAccountId: accountId, sources: ['standard'], accountIds: [], deprovisioning },
        apiKey,
      );
    }
  });
  return ids;
}

/** `TOTAL_EVENTS` hires, event i for tenant i mod the number of tenants: each batch mixes tenants. */
function hiresFor(tenants: readonly string[]): LifecycleEvent[] {
  return Array.from({ length: TOTAL_EVENTS }, (_, index) =>
    createLifecycleEvent({
      type: 'employee.hired',
      data: newEmployee(),
      source: 'bench',
      tenant: tenants[index % tenants.length] as string,
    }),
  );
}

/**
 * The events through a cold worker (built from the environment, as a fresh Lambda instance is)
 * with its state in memory, so the figure is the worker's own per-tenant cost (registry reads,
 * one key and client per tenant) rather than moto's DynamoDB. Resolves to events per second.
 */
async function eventsPerSecond(harness: WorkerHarness, events: readonly LifecycleEvent[]): Promise<number> {
  const worker = createWorkerHandler({
    ...workerDependenciesFromEnv(harness.env, harness.aws),
    store: new MemoryStateStore(),
    schedules: new MemoryScheduleStore(),
  });
  let ms = 0;
  for (let start = 0; start < events.length; start += BATCH) {
    ms += await harness.invoke(events.slice(start, start + BATCH), worker);
  }
  return (events.length / ms) * 1000;
}

/**
 * Row 13: `MANY_TENANTS` tenants x `EVENTS_PER_TENANT` events against one tenant x the same total,
 * each through a cold worker, at each API latency, and the Secrets Manager reads the many-tenant
 * run cost: one key per tenant seen per cache period is the bound.
 */
export async function measureTenantThroughput(
  harness: WorkerHarness,
  latencies: readonly number[],
): Promise<TenantThroughputFigures[]> {
  const [single, ...many] = await registerTenants(harness, MANY_TENANTS + 1);
  const figures: TenantThroughputFigures[] = [];
  for (const latencyMs of latencies) {
    harness.sandbox.control.setFaults('*', { latencyMs });
    try {
      // In the order one, many, many, one: whichever runs first also pays for warming the process
      // up, and the mirrored order gives each side one first and one last run.
      const one = () => eventsPerSecond(harness, hiresFor([single as string]));
      const first = await one();
      const calls = countAwsCalls();
      const manyFirst = await eventsPerSecond(harness, hiresFor(many));
      calls.stop();
      const manyTenantsPerSecond = (manyFirst + (await eventsPerSecond(harness, hiresFor(many)))) / 2;
      const oneTenantPerSecond = (first + (await one())) / 2;
      figures.push({
        latencyMs,
        oneTenantPerSecond,
        manyTenantsPerSecond,
        ratio: manyTenantsPerSecond / oneTenantPerSecond,
        secretCalls: calls.count('secretsmanager.GetSecretValue'),
        registryReads: calls.count('DynamoDB_20120810.GetItem'),
      });
    } finally {
      harness.sandbox.control.clearFaults();
    }
  }
  return figures;
}
