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

/**
 * An address a mail client reads as itself: no spaces or separators of any script, no control
 * or format characters, no quoted local part and none of the characters that start a display
 * name, group or comment. class-validator's IsEmail accepts some of these (U+2028 in a local
 * part, CR/LF in a quoted one), and mail libraries then read a display name plus a different
 * address out of it, so a code would reach a mailbox other than the one stored.
 */
export const PLAIN_EMAIL = /^[^\s\p{Z}\p{C}"<>(),;:\\[\]@]+@[^\s\p{Z}\p{C}"<>(),;:\\[\]@]+$/u;
