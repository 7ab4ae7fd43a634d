/**
 * What local mode cannot work without (moto_server, the CPaaS sandbox, the AWS endpoint) and
 * which of them is down now. The webhook server reads it: while anything is down, `/healthz`
 * answers 503 and webhooks get 503, so a sender retries later instead of being told 202 for an
 * event that cannot be queued or applied.
 */
export interface DependencyHealth {
  /** True when `name` was up until now: the moment to say so once. */
  markDown(name: string, reason: string): boolean;
  /** True when `name` was down until now. */
  markUp(name: string): boolean;
  /** `name: reason` of each dependency that is down, empty when all are up. */
  problems(): readonly string[];
}

export function createDependencyHealth(): DependencyHealth {
  const down = new Map<string, string>();
  return {
    markDown: (name, reason) => {
      const wasUp = !down.has(name);
      down.set(name, reason);
      return wasUp;
    },
    markUp: (name) => down.delete(name),
    problems: () => [...down].map(([name, reason]) => `${name}: ${reason}`),
  };
}
