import type { SandboxRoute } from './routes.js';

/** One scripted failure: a 400 rejects the request's fields, as the API does for a value it refuses. */
export type ScriptedFault = 400 | 500 | 502 | 503 | 429 | 'reset' | 'hang';

/** How a route misbehaves; see docs/cpaas-sandbox.md. */
export interface FaultSpec {
  latencyMs?: number;
  jitterMs?: number;
  errorRate?: number;
  errorStatuses?: number[];
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  resetRate?: number;
  hangRate?: number;
  script?: ScriptedFault[];
  applyAfterHandling?: boolean;
}

/** What to do with one request: answer normally, or fail in one of these ways. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'status'; status: number; retryAfterSeconds?: number }
  | { kind: 'reset' }
  | { kind: 'hang' };

export interface FaultPlan {
  readonly delayMs: number;
  readonly decision: FaultDecision;
  /** True when the request must take effect before the failure is delivered. */
  readonly afterHandling: boolean;
}

const DEFAULT_ERROR_STATUSES = [500, 502, 503];

/**
 * Per-route fault specs (routes of the CPaaS sandbox by default; the HR fakes name their own).
 * Route specs win over '*'. Scripts are consumed one entry per request
 * before any random fault; randomness comes from the sandbox's seeded RNG so runs reproduce.
 */
export class FaultTable<Route extends string = SandboxRoute> {
  readonly #specs = new Map<Route | '*', FaultSpec>();
  readonly #random: () => number;

  constructor(random: () => number) {
    this.#random = random;
  }

  set(route: Route | '*', spec: FaultSpec): void {
    this.#specs.set(route, { ...spec, script: spec.script === undefined ? undefined : [...spec.script] });
  }

  clear(): void {
    this.#specs.clear();
  }

  plan(route: Route): FaultPlan {
    const spec = this.#specs.get(route) ?? this.#specs.get('*');
    if (spec === undefined) return { delayMs: 0, decision: { kind: 'none' }, afterHandling: false };
    const jitter = spec.jitterMs ? this.#random() * spec.jitterMs : 0;
    return {
      delayMs: (spec.latencyMs ?? 0) + jitter,
      decision: this.#decide(spec),
      afterHandling: spec.applyAfterHandling === true,
    };
  }

  #decide(spec: FaultSpec): FaultDecision {
    const retryAfterSeconds = spec.retryAfterSeconds ?? 1;
    const scripted = spec.script?.shift();
    if (scripted !== undefined) return fromScript(scripted, retryAfterSeconds);
    if (spec.hangRate && this.#random() < spec.hangRate) return { kind: 'hang' };
    if (spec.resetRate && this.#random() < spec.resetRate) return { kind: 'reset' };
    if (spec.rateLimitRate && this.#random() < spec.rateLimitRate) {
      return { kind: 'status', status: 429, retryAfterSeconds };
    }
    if (spec.errorRate && this.#random() < spec.errorRate) {
      const statuses = spec.errorStatuses?.length ? spec.errorStatuses : DEFAULT_ERROR_STATUSES;
      const status = statuses[Math.floor(this.#random() * statuses.length)] ?? 500;
      return { kind: 'status', status };
    }
    return { kind: 'none' };
  }
}

function fromScript(entry: ScriptedFault, retryAfterSeconds: number): FaultDecision {
  if (entry === 'reset' || entry === 'hang') return { kind: entry };
  return entry === 429
    ? { kind: 'status', status: 429, retryAfterSeconds }
    : { kind: 'status', status: entry };
}
