/** A JSON object as SCIM bodies and resources are read. */
export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The key of `object` named `name`: SCIM attribute names are case-insensitive (RFC 7643 2.1). */
export function memberKey(object: Json, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return Object.keys(object).find((candidate) => candidate.toLowerCase() === wanted);
}

/** The value of the attribute `name`, whatever the case of its key. */
export function member(object: Json, name: string): unknown {
  const key = memberKey(object, name);
  return key === undefined ? undefined : object[key];
}
