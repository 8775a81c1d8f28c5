/** Deeper bodies are refused before validation: class-transformer recurses once per level. */
export const MAX_JSON_DEPTH = 32;
/** No route takes more than 100 items in a list; refusing long ones early keeps 400s cheap. */
export const MAX_JSON_ARRAY = 1000;

/** A NUL character, or half of a surrogate pair: text PostgreSQL cannot store. */
const UNSTORABLE_TEXT = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function isStorableText(value: string): boolean {
  return !UNSTORABLE_TEXT.test(value);
}

/**
 * Why a parsed JSON body must be refused, or undefined when it may go on to validation:
 * nesting deeper than MAX_JSON_DEPTH, a list longer than MAX_JSON_ARRAY, or a key or string
 * PostgreSQL could not store. Walks the body without recursion, so no body can overflow the
 * stack here either.
 */
export function unacceptableJson(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') {
    return typeof body === 'string' && !isStorableText(body) ? UNSTORABLE : undefined;
  }
  const pending: { value: object; depth: number }[] = [{ value: body, depth: 1 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.depth > MAX_JSON_DEPTH)
      return `The body is nested deeper than ${MAX_JSON_DEPTH} levels`;
    const isArray = Array.isArray(next.value);
    if (isArray && (next.value as unknown[]).length > MAX_JSON_ARRAY)
      return `A list in the body has more than ${MAX_JSON_ARRAY} items`;
    for (const [key, child] of Object.entries(next.value)) {
      if (!isArray && !isStorableText(key)) return UNSTORABLE;
      if (typeof child === 'string') {
        if (!isStorableText(child)) return UNSTORABLE;
      } else if (child !== null && typeof child === 'object') {
        pending.push({ value: child as object, depth: next.depth + 1 });
      }
    }
  }
  return undefined;
}

const UNSTORABLE =
  'The body contains text that cannot be stored (a NUL character or an unpaired surrogate)';
