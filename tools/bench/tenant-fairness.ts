import { postSignedWebhook } from '../cli/send-command.js';
import type { LocalTenant } from '../local/local-tenants.js';
import { startMotoServer } from '../local/moto-server.js';
import { startSandbox } from '../sandbox/index.js';
import { BACKLOG_PER_REQUEST, hire, startBenchLocalMode, waitUntil } from './revoke-latency.js';
import { uniqueSuffix } from './unique-suffix.js';

/** Issue #14's burst: 1,000 events of one tenant ahead of another tenant's. */
export const FAIRNESS_BURST = 1_000;
/** The other tenant's hires, sent one by one (each after the previous 202) behind the burst. */
export const FAIRNESS_PROBES = 8;
const POLL_MS = 20;

export interface TenantFairnessFigures {
  /** Seconds from each of t2's webhooks' 202 until its user existed in t2's sandbox account. */
  readonly latenciesS: readonly number[];
  /** t1's hires already applied when each t2 user appeared (of `FAIRNESS_BURST`). */
  readonly burstAppliedBefore: readonly number[];
  /** Seconds from the burst's first request to its last 202: t2's hires are sent after it. */
  readonly burstQueuedS: number;
  /** t1's burst applied per second, from its first request to its last user. */
  readonly burstPerSecond: number;
}

async function post(tenant: LocalTenant, employeeIds: readonly string[]): Promise<void> {
  const response = await postSignedWebhook({
    url: tenant.webhookUrl,
    secret: tenant.webhookSecret,
    body: JSON.stringify(employeeIds.map(hire)),
  });
  if (response.status !== 202) throw new Error(`ingest answered ${response.status}: ${response.body}`);
}

/**
 * Cross-tenant latency in local mode with `--tenants 2`: t1's burst of 1,000 hires is queued (in
 * requests of 50, as row 10's backlog), then t2's hires go one by one, and each is timed from its
 * 202 to its user in t2's own sandbox account. Both tenants' hires go on the one standard FIFO
 * queue, each in a group of its own (tenant + employee), so what t2 waits for is how the queue
 * hands out groups. Each tenant is warmed first (a hire each), so the figure is the queue's, not
 * a cold tenant's registry and key reads.
 */
export async function measureTenantFairness(log: (line: string) => void): Promise<TenantFairnessFigures> {
  const moto = await startMotoServer();
  const sandbox = await startSandbox();
  const suffix = uniqueSuffix();
  const mode = await startBenchLocalMode(moto.endpoint, sandbox, 'fairness', suffix, 2);
  try {
    const [t1, t2] = mode.ready.tenants as [LocalTenant, LocalTenant];
    const usersOf = (tenant: LocalTenant) => sandbox.control.account(tenant.cpaasAccountId)?.users() ?? [];
    await post(t1, [`WARM-${suffix}-1`]);
    await post(t2, [`WARM-${suffix}-2`]);
    await waitUntil(
      () => usersOf(t1).length === 1 && usersOf(t2).length === 1,
      'both tenants warmed',
      60_000,
    );

    log(`bench: tenant fairness, ${FAIRNESS_BURST} hires for t1, then ${FAIRNESS_PROBES} for t2`);
    const burst = Array.from({ length: FAIRNESS_BURST }, (_, index) => `BURST-${suffix}-${index}`);
    const burstStart = performance.now();
    for (let start = 0; start < burst.length; start += BACKLOG_PER_REQUEST) {
      await post(t1, burst.slice(start, start + BACKLOG_PER_REQUEST));
    }
    const burstQueuedS = (performance.now() - burstStart) / 1000;

    const probes = Array.from({ length: FAIRNESS_PROBES }, (_, index) => `PROBE-${suffix}-${index}`);
    const acceptedAt = new Map<string, number>();
    const appearedAt = new Map<string, number>();
    const burstApplied = new Map<string, number>();
    const look = () => {
      const now = performance.now();
      const emails = new Set(usersOf(t2).map((user) => user.email));
      for (const id of probes) {
        if (!appearedAt.has(id) && emails.has(`${id.toLowerCase()}@bench.example.com`)) {
          appearedAt.set(id, now);
          burstApplied.set(id, usersOf(t1).length - 1);
        }
      }
    };
    const watcher = setInterval(look, POLL_MS);
    try {
      for (const id of probes) {
        await post(t2, [id]);
        acceptedAt.set(id, performance.now());
      }
      const timeoutMs = 60_000 + FAIRNESS_BURST * 1_000;
      await waitUntil(() => appearedAt.size === probes.length, 'every t2 hire applied', timeoutMs);
      await waitUntil(() => usersOf(t1).length - 1 >= FAIRNESS_BURST, "t1's burst applied", timeoutMs);
    } finally {
      clearInterval(watcher);
    }
    const burstS = (performance.now() - burstStart) / 1000;
    return {
      latenciesS: probes.map(
        (id) => ((appearedAt.get(id) ?? Number.NaN) - (acceptedAt.get(id) ?? Number.NaN)) / 1000,
      ),
      burstAppliedBefore: probes.map((id) => burstApplied.get(id) ?? Number.NaN),
      burstQueuedS,
      burstPerSecond: FAIRNESS_BURST / burstS,
    };
  } finally {
    await mode.stop();
    await sandbox.close();
    await moto.stop();
  }
}
