/**
 * The rows a raw statement returned. TypeORM's query() answers an UPDATE or DELETE with
 * [rows, affected count] and anything else with the rows; this reads both.
 */
export function returnedRows<T>(result: T[] | [T[], number]): T[] {
  return Array.isArray(result[0]) ? (result[0] as T[]) : (result as T[]);
}
