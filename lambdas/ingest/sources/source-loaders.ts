import type { SourceName } from '../../contract/settings.js';
import type { SourceAdapter } from './source-adapter.js';

/** Loads one source's adapter (its module, payload schemas included) and resolves to it. */
export type SourceLoader = () => Promise<SourceAdapter>;

/**
 * Every source the ingest serves, each loaded on its first request rather than when the Lambda
 * starts. A deployment receives from one or two providers, and every provider's payload schemas
 * were otherwise built on each cold start: 188 of the 328 zod schemas the ingest made at import,
 * some 2 ms (docs/performance.md, row 5). The one place a new source is wired into the ingest;
 * typed by `SourceName`, so the contract's list and this one cannot drift apart.
 */
export const SOURCE_LOADERS: { readonly [Name in SourceName]: SourceLoader } = {
  standard: async () => (await import('./standard-webhooks.js')).standardWebhooksSource,
  merge: async () => (await import('./merge.js')).mergeSource,
  bamboohr: async () => (await import('./bamboohr.js')).bambooHrSource,
  hibob: async () => (await import('./hibob.js')).hiBobSource,
  personio: async () => (await import('./personio.js')).personioSource,
  gusto: async () => (await import('./gusto.js')).gustoSource,
};
