import { silencePowertools } from './quiet-powertools.js';
import { measureTenantFairness } from './tenant-fairness.js';

silencePowertools();
const f = await measureTenantFairness((line) => console.error(line));
const sorted = [...f.latenciesS].sort((a, b) => a - b);
console.log(
  JSON.stringify({ ...f, p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[sorted.length - 1] }),
);
