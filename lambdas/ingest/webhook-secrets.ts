import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from '../core/validation/zod.js';
import { SourceNotConfiguredError, WebhookSecretsUnavailableError } from './errors.js';

/**
 * The webhook secrets JSON: `{ "<source>": ["<current>", "<previous, during rotation>"] }`.
 * A list per source lets an operator add the new secret, switch the sender, then drop the old one
 * without a window where either side's requests are rejected.
 */
export const WebhookSecretsSchema = z.record(
  z.string(),
  z.array(z.string().check(z.minLength(1))).check(z.minLength(1)),
);
export type WebhookSecrets = z.infer<typeof WebhookSecretsSchema>;

/** Where the ingest handler gets the secrets of a source; a port so tests and local mode can swap it. */
export interface WebhookSecretsProvider {
  /** Every current secret of `source`; throws `SourceNotConfiguredError` when there are none. */
  secretsFor(source: string): Promise<readonly string[]>;
}

export interface SecretsManagerWebhookSecretsOptions {
  client: SecretsManagerClient;
  secretId: string;
  /** How long a fetched value is reused; a rotated secret is picked up within this time. */
  maxAgeSeconds: number;
  now?: () => number;
}

/**
 * Reads the secrets JSON from Secrets Manager and caches it for `maxAgeSeconds`, so a burst of
 * webhooks costs one GetSecretValue rather than one per request. Concurrent first calls share one
 * fetch. Errors are not cached: the next request tries again.
 */
export function secretsManagerWebhookSecrets(
  options: SecretsManagerWebhookSecretsOptions,
): WebhookSecretsProvider {
  const now = options.now ?? Date.now;
  let cached: { value: Promise<WebhookSecrets>; fetchedAt: number } | undefined;

  async function fetchSecrets(): Promise<WebhookSecrets> {
    let text: string | undefined;
    try {
      const response = await options.client.send(new GetSecretValueCommand({ SecretId: options.secretId }));
      text = response.SecretString;
    } catch (error) {
      throw new WebhookSecretsUnavailableError(`cannot read webhook secrets: ${(error as Error).name}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text ?? '');
    } catch {
      throw new WebhookSecretsUnavailableError('webhook secrets are not a JSON object');
    }
    const parsed = WebhookSecretsSchema.safeParse(json);
    // Only paths, never values: the values are the secrets.
    if (!parsed.success) {
      const paths = parsed.error.issues.map((issue) => issue.path.join('.') || '(root)').join(', ');
      throw new WebhookSecretsUnavailableError(`webhook secrets JSON is malformed at ${paths}`);
    }
    return parsed.data;
  }

  function load(): Promise<WebhookSecrets> {
    const time = now();
    if (cached && time - cached.fetchedAt < options.maxAgeSeconds * 1000) return cached.value;
    const value = fetchSecrets();
    const entry = { value, fetchedAt: time };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  }

  return {
    async secretsFor(source) {
      const secrets = (await load())[source];
      if (!secrets) throw new SourceNotConfiguredError(`no webhook secret configured for source ${source}`);
      return secrets;
    },
  };
}
