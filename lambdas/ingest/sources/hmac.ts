import { createHmac, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 over the concatenated parts, as raw bytes (each source encodes it its own way). */
export function hmacSha256(key: Buffer | string, ...parts: readonly (Buffer | string)[]): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/**
 * Compares a received MAC with the expected one without leaking, through timing, how many leading
 * bytes matched. The length check may return early: the MAC length is public.
 */
export function macMatches(received: Buffer, expected: Buffer): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected);
}
