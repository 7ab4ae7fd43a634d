import { SANDBOX_ROUTES, type SandboxRoute } from './routes.js';

/** How many requests each vendor operation received, for tests that count API calls. */
export class RequestCounts {
  #counts = RequestCounts.#empty();

  static #empty(): Record<SandboxRoute, number> {
    return Object.fromEntries(SANDBOX_ROUTES.map((route) => [route, 0])) as Record<SandboxRoute, number>;
  }

  add(route: SandboxRoute): void {
    this.#counts[route] += 1;
  }

  snapshot(): Record<SandboxRoute, number> {
    return { ...this.#counts };
  }

  reset(): void {
    this.#counts = RequestCounts.#empty();
  }
}
