/**
 * Zone names `Intl` accepted before. Building a `DateTimeFormat` is the only portable test of a
 * name (it also takes aliases such as `US/Pacific` that `Intl.supportedValuesOf` leaves out), and
 * it costs some 45 us, more than the rest of an event's validation; every event is validated at
 * ingest and again by the worker, and a company's events carry a handful of zones. Only accepted
 * names are kept, at most `MAX_REMEMBERED`, so made-up names cannot grow it.
 */
const accepted = new Set<string>();
const MAX_REMEMBERED = 1_000;

/** Whether `Intl` knows `name` as a time zone: an IANA name or alias, in any ASCII case. */
export function isIanaTimeZone(name: string): boolean {
  if (accepted.has(name)) return true;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
  } catch {
    return false;
  }
  if (accepted.size < MAX_REMEMBERED) accepted.add(name);
  return true;
}
