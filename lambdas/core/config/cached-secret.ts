import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LifecycleError } from '../../contract/errors.js';
import type * as z from '../validation/zod.js';

export interface CachedSecretJsonOptions<T> {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** The JSON the secret must hold; a secret that does not match is an error, never a partial value. */
  readonly schema: z.ZodMiniType<T>;
  /** How long a fetched value is reused; a rotated secret is picked up within this time. */
  readonly maxAgeSeconds: number;
  /** The caller's typed error for a secret that cannot be read or is malformed. */
  readonly unavailable: (reason: string) => LifecycleError;
  readonly now?: () => number;
}

/**
 * A JSON secret from Secrets Manager, cached for `maxAgeSeconds`, so a burst of requests costs one
 * GetSecretValue rather than one per request; concurrent first calls share one fetch, and a
 * failure is not cached (the next call tries again). Errors name the secret's malformed paths,
 * never its values: the values are the secrets.
 */
export function cachedSecretJson<T>(options: CachedSecretJsonOptions<T>): () => Promise<T> {
  const now = options.now ?? Date.now;
  let cached: { value: Promise<T>; fetchedAt: number } | undefined;

  async function fetchSecret(): Promise<T> {
    let text: string | undefined;
    try {
      const response = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
      text = response.SecretString;
    } catch (error) {
      throw options.unavailable(`cannot read secret ${options.secretId}: ${(error as Error).name}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text ?? '');
    } catch {
      throw options.unavailable(`secret ${options.secretId} is not JSON`);
    }
    const parsed = options.schema.safeParse(json);
    if (!parsed.success) {
      const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw options.unavailable(`secret ${options.secretId} is malformed at ${paths}`);
    }
    return parsed.data;
  }

  return () => {
    const time = now();
    if (cached && time - cached.fetchedAt < options.maxAgeSeconds * 1000) return cached.value;
    const value = fetchSecret();
    const entry = { value, fetchedAt: time };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}
