/** A UUID as this service writes them (lower case): ids, sessions, cursors. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID.test(value);
}

/**
 * The one form an email takes before any use (lookup, uniqueness, rate-limit keys): trimmed
 * and lower-cased. Anything that is not a string is left as it is, for validation to refuse.
 */
export function normaliseEmail<T>(value: T): T | string {
  return typeof value === 'string' ? value.trim().toLowerCase() : value;
}
