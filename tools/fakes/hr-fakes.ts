import { randomBytes, randomUUID } from 'node:crypto';
import type { HrApiSource } from '../../lambdas/contract/settings.js';

/** One HR system's fake as the local mode runs it: its API, its webhook signing secret, and the credentials the worker reads. */
export interface RunningHrFake {
  /** The fetcher's `apiBaseUrl` for this fake. */
  readonly apiBaseUrl: string;
  /** `PUT|DELETE <controlUrl>/employees/{id}` (the provider's own field names): who exists, from another process. */
  readonly controlUrl: string;
  /** What the fake's webhook sender signs with, and ingest verifies with. */
  readonly webhookSecret: string;
  /** The credentials secret's JSON (`HR_APIS[source].credentials`), which the fake accepts. */
  readonly credentials: string;
  close(): Promise<void>;
}

/** Each provider's fake, loaded only when started: the one place a new provider's fake joins the local mode. */
const START_FAKE: { readonly [Source in HrApiSource]: () => Promise<RunningHrFake> } = {
  bamboohr: async () => {
    const { startBambooHrFake } = await import('./bamboohr/server.js');
    const apiKey = randomBytes(16).toString('hex');
    const fake = await startBambooHrFake({ apiKey });
    return {
      apiBaseUrl: fake.apiBaseUrl,
      controlUrl: fake.controlUrl,
      webhookSecret: randomBytes(32).toString('hex'),
      credentials: JSON.stringify({ apiKey }),
      close: () => fake.close(),
    };
  },
  hibob: async () => {
    const { startHiBobFake } = await import('./hibob/server.js');
    const credentials = {
      serviceUserId: `SERVICE-${randomBytes(4).toString('hex')}`,
      token: randomBytes(16).toString('hex'),
    };
    const fake = await startHiBobFake(credentials);
    return {
      apiBaseUrl: fake.apiBaseUrl,
      controlUrl: fake.controlUrl,
      webhookSecret: randomBytes(32).toString('base64'),
      credentials: JSON.stringify(credentials),
      close: () => fake.close(),
    };
  },
  personio: async () => {
    const { startPersonioFake } = await import('./personio/server.js');
    const credentials = {
      clientId: randomBytes(8).toString('hex'),
      clientSecret: randomBytes(24).toString('hex'),
    };
    const fake = await startPersonioFake(credentials);
    return {
      apiBaseUrl: fake.apiBaseUrl,
      controlUrl: fake.controlUrl,
      // The token Personio sends verbatim as `Authorization`; the prefix is the operator's choice.
      webhookSecret: `Bearer ${randomBytes(32).toString('base64url')}`,
      credentials: JSON.stringify(credentials),
      close: () => fake.close(),
    };
  },
  gusto: async () => {
    const { startGustoFake } = await import('./gusto/server.js');
    const fake = await startGustoFake();
    return {
      apiBaseUrl: fake.apiBaseUrl,
      controlUrl: fake.controlUrl,
      // Gusto signs with the subscription's verification token (a UUID); the local one counts as verified.
      webhookSecret: randomUUID(),
      credentials: fake.credentials,
      close: () => fake.close(),
    };
  },
};

/** Starts one provider's fake, as the local mode runs it. */
export function startHrFake(source: HrApiSource): Promise<RunningHrFake> {
  return START_FAKE[source]();
}

/**
 * Starts the fakes of `sources` (every provider's by default), so the local mode serves every
 * source. If one fails to start, the ones already running are closed before the error propagates.
 */
export async function startHrFakes(
  sources: readonly HrApiSource[] = Object.keys(START_FAKE) as HrApiSource[],
): Promise<Partial<Readonly<Record<HrApiSource, RunningHrFake>>>> {
  const started: [HrApiSource, RunningHrFake][] = [];
  try {
    for (const source of sources) {
      started.push([source, await startHrFake(source)]);
    }
  } catch (error) {
    await Promise.allSettled(started.map(([, fake]) => fake.close()));
    throw error;
  }
  return Object.fromEntries(started);
}
