import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError } from '../../contract/errors.js';
import { DEFAULTS } from '../../contract/settings.js';
import { CpaasAuthError } from './errors.js';
import type { CpaasUsersApi } from './users-api.js';

/** The API key, cached; `generation` changes whenever a different key is loaded. */
export interface ApiKeyProvider {
  get(): Promise<string>;
  readonly generation: number;
  /**
   * Fetches the key again unless it already changed since `seenGeneration` (another call
   * refreshed it first), so ten groups hitting the same 401 cost one GetSecretValue, not ten.
   */
  refresh(seenGeneration: number): Promise<void>;
}

export interface SecretsManagerApiKeyOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  readonly cacheSeconds?: number;
  readonly now?: () => number;
}

/**
 * The CPaaS API key from Secrets Manager, cached in memory (default 5 minutes). A small cache of
 * our own rather than Powertools' SecretsProvider: the refresh-on-401 must be single-flight and
 * skip the fetch when a concurrent call already loaded the rotated key, which needs the
 * generation counter SecretsProvider does not have. The key is never logged nor put in an error.
 */
export class SecretsManagerApiKey implements ApiKeyProvider {
  #key: string | undefined;
  #loadedAt = 0;
  #generation = 0;
  #inFlight: Promise<string> | undefined;
  readonly #options: SecretsManagerApiKeyOptions;
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  constructor(options: SecretsManagerApiKeyOptions) {
    this.#options = options;
    this.#maxAgeMs = (options.cacheSeconds ?? DEFAULTS.secretCacheSeconds) * 1000;
    this.#now = options.now ?? Date.now;
  }

  get generation(): number {
    return this.#generation;
  }

  async get(): Promise<string> {
    if (this.#key !== undefined && this.#now() - this.#loadedAt < this.#maxAgeMs) return this.#key;
    return this.#load();
  }

  async refresh(seenGeneration: number): Promise<void> {
    if (this.#generation !== seenGeneration) return;
    await this.#load();
  }

  #load(): Promise<string> {
    this.#inFlight ??= this.#fetch().finally(() => {
      this.#inFlight = undefined;
    });
    return this.#inFlight;
  }

  async #fetch(): Promise<string> {
    const { SecretString } = await this.#options.client.send(
      new GetSecretValueCommand({ SecretId: this.#options.secretId }),
    );
    const key = SecretString?.trim();
    if (!key) throw new ConfigurationError(`secret ${this.#options.secretId} has no string value`);
    if (key !== this.#key) this.#generation += 1;
    this.#key = key;
    this.#loadedAt = this.#now();
    return key;
  }
}

/**
 * Wraps the API so a call rejected with 401/403 refreshes the key once and is retried once: the
 * key was probably rotated since it was cached. A second rejection propagates (transient: the
 * rotation may still be in progress). Safe for POST too: a rejected request was not processed.
 * Its `preload` starts the key's load, so an event's first call need not wait for it.
 */
export function withKeyRefresh(api: CpaasUsersApi, keys: ApiKeyProvider): CpaasUsersApi {
  async function once<T>(call: () => Promise<T>): Promise<T> {
    const seen = keys.generation;
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof CpaasAuthError)) throw error;
      await keys.refresh(seen);
      return call();
    }
  }
  return {
    listUsers: (params, options) => once(() => api.listUsers(params, options)),
    // Converge pages with listUsers (each page refreshed on 401); a long iteration is not ours.
    iterateUsers: (params, options) => api.iterateUsers(params, options),
    createUser: (input, options) => once(() => api.createUser(input, options)),
    getUser: (userId, options) => once(() => api.getUser(userId, options)),
    updateUser: (userId, input, options) => once(() => api.updateUser(userId, input, options)),
    deleteUser: (userId, options) => once(() => api.deleteUser(userId, options)),
    impersonateUser: (userId, data, options) => once(() => api.impersonateUser(userId, data, options)),
    // A failed load is the call's to report: its own `get` loads again (or shares this one).
    preload: () => {
      keys.get().catch(() => {});
    },
  };
}
