import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SCIM_TOKENS_SECRET_FIELDS } from '../contract/settings.js';
import { cachedSecretJson } from '../core/config/cached-secret.js';
import * as z from '../core/validation/zod.js';
import { ScimUnauthorizedError, ScimUnavailableError } from './errors.js';

const token = z.string().check(z.minLength(32));

/**
 * The SCIM tokens secret: `{"current": "<token>", "previous": "<token, during rotation>"}`. Two at
 * once let an operator move the current token to `previous`, set a new one, switch the identity
 * provider to it, then drop `previous`, without a window where the provider's requests are refused.
 */
export const ScimTokensSchema = z.object({
  [SCIM_TOKENS_SECRET_FIELDS.current]: token,
  [SCIM_TOKENS_SECRET_FIELDS.previous]: z.optional(token),
});
export type ScimTokens = z.infer<typeof ScimTokensSchema>;

/** A fresh bearer token: 32 random bytes, base64url (43 characters, safe in a header). */
export function generateScimToken(): string {
  return randomBytes(32).toString('base64url');
}

/** The secret's value for these tokens: what the local mode and the tests write. */
export function scimTokensSecretString(current: string, previous?: string): string {
  const tokens: ScimTokens = previous === undefined ? { current } : { current, previous };
  return JSON.stringify(tokens);
}

/** Checks the bearer token of a request; a port, so the tests and the local mode can give their own. */
export interface ScimTokenVerifier {
  /** Resolves when `token` is one of the current tokens; throws `ScimUnauthorizedError` otherwise. */
  verify(token: string | undefined): Promise<void>;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Compares digests, so `timingSafeEqual` sees equal lengths and the time taken says nothing about
 * how much of a token matched; every current token is compared, so it says nothing about which.
 */
export function tokenVerifier(tokens: () => Promise<readonly string[]>): ScimTokenVerifier {
  return {
    async verify(token) {
      if (token === undefined || token === '') throw new ScimUnauthorizedError('no bearer token');
      const sent = digest(token);
      let matched = false;
      for (const current of await tokens()) matched = timingSafeEqual(sent, digest(current)) || matched;
      if (!matched) throw new ScimUnauthorizedError('bearer token not accepted');
    },
  };
}

export interface SecretsManagerScimTokensOptions {
  readonly client: SecretsManagerClient;
  readonly secretId: string;
  /** A rotated token is accepted, and a dropped one refused, within this time. */
  readonly maxAgeSeconds: number;
  readonly now?: () => number;
}

/** The tokens from Secrets Manager, cached; a secret that cannot be read answers 503, not 401. */
export function secretsManagerScimTokens(options: SecretsManagerScimTokensOptions): ScimTokenVerifier {
  const tokens = cachedSecretJson({
    ...options,
    schema: ScimTokensSchema,
    unavailable: (reason) => new ScimUnavailableError(reason),
  });
  return tokenVerifier(async () => {
    const { current, previous } = await tokens();
    return previous === undefined ? [current] : [current, previous];
  });
}
