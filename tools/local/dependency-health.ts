/**
 * What local mode cannot work without (moto_server, the CPaaS sandbox, the AWS endpoint) and
 * which of them is down now. The webhook server reads it: while anything is down, `/healthz`
 * answers 503 and webhooks get 503, so a sender retries later instead of being told 202 for an
 * event that cannot be queued or applied.
 */
export interface DependencyHealth {
  markDown(name: string, reason: string): void;
  markUp(name: string): void;
  /** `name: reason` of each dependency that is down, empty when all are up. */
  problems(): readonly string[];
}

export function createDependencyHealth(): DependencyHealth {
  const down = new Map<string, string>();
  return {
    markDown: (name, reason) => down.set(name, reason),
    markUp: (name) => down.delete(name),
    problems: () => [...down].map(([name, reason]) => `${name}: ${reason}`),
  };
}
