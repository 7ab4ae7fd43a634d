import { createHmac, timingSafeEqual } from 'node:crypto';

/** The HMAC hashes the providers sign with. */
export type HmacAlgorithm = 'sha256' | 'sha512';

/** HMAC over the concatenated parts, as raw bytes (each source encodes it its own way). */
export function hmacDigest(
  algorithm: HmacAlgorithm,
  key: Buffer | string,
  ...parts: readonly (Buffer | string)[]
): Buffer {
  const mac = createHmac(algorithm, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** HMAC-SHA256 over the concatenated parts, as raw bytes: what most providers sign with. */
export function hmacSha256(key: Buffer | string, ...parts: readonly (Buffer | string)[]): Buffer {
  return hmacDigest('sha256', key, ...parts);
}

/**
 * Compares a received MAC with the expected one without leaking, through timing, how many leading
 * bytes matched. The length check may return early: the MAC length is public.
 */
export function macMatches(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}
