/**
 * Whether a termination date (`YYYY-MM-DD`, as HR systems write it) is today or past in UTC, so
 * a person whose last day has come counts as gone even before the HR system flips their status.
 * A date in the future is not a termination yet: the status update or effective-date webhook on
 * that day brings it. Anything else (empty, BambooHR's `0000-00-00`) is no date.
 */
export function terminationDateReached(date: string | null | undefined, now: Date): boolean {
  if (!date || !/^\d{4}-\d{2}-\d{2}$/.test(date) || date.startsWith('0000')) return false;
  return new Date(`${date}T00:00:00Z`) <= now;
}
