import { randomUUID } from 'node:crypto';

/** Eight random characters, for names that must not clash with an earlier run's. */
export function uniqueSuffix(): string {
  return randomUUID().slice(0, 8);
}
