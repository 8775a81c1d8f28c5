/**
 * Rules every operation of the document keeps, so that a route added without schemas breaks
 * the build: a 2xx answer with a schema (or 204), and the shared error body on every
 * documented 4xx and 5xx.
 */

export const ERROR_REF = '#/components/schemas/ErrorBodyDto';

/** 2xx answers that carry no body by contract (API.md: POST /activity -> 202). */
export const BODYLESS_SUCCESS = new Set(['POST /api/v1/activity 202']);

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

interface Schema {
  $ref?: string;
  oneOf?: Schema[];
  anyOf?: Schema[];
}
interface Response {
  description?: string;
  content?: Record<string, { schema?: Schema }>;
}
export interface Document {
  paths: Record<string, Record<string, { responses?: Record<string, Response> }>>;
}

function refersToErrorBody(schema: Schema | undefined): boolean {
  if (!schema) return false;
  if (schema.$ref === ERROR_REF) return true;
  return [...(schema.oneOf ?? []), ...(schema.anyOf ?? [])].some(refersToErrorBody);
}

/** Every broken rule, as `METHOD path status: what is missing`. */
export function contractViolations(document: Document): string[] {
  const violations: string[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method];
      if (!operation) continue;
      const name = `${method.toUpperCase()} ${path}`;
      const responses = Object.entries(operation.responses ?? {});
      const successes = responses.filter(([status]) => /^2\d\d$/.test(status));
      if (successes.length === 0) violations.push(`${name}: no 2xx answer`);
      for (const [status, response] of successes) {
        if (status === '204' || BODYLESS_SUCCESS.has(`${name} ${status}`)) continue;
        const schemas = Object.values(response.content ?? {}).map((media) => media.schema);
        if (schemas.length === 0 || schemas.some((schema) => schema === undefined))
          violations.push(`${name} ${status}: no response schema`);
      }
      for (const [status, response] of responses) {
        if (!/^[45]\d\d$/.test(status)) continue;
        const json = response.content?.['application/json']?.schema;
        if (!refersToErrorBody(json))
          violations.push(`${name} ${status}: not the shared error body (${ERROR_REF})`);
      }
    }
  }
  return violations;
}
