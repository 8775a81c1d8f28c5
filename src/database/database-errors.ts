/** Error codes (Node and PostgreSQL) that mean the database is unreachable, not that the request is wrong. */
const DATABASE_UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000',
  '08001',
  '08003',
  '08006',
  '53300', // too_many_connections
]);

/**
 * SQLSTATE classes of errors that say nothing about the rows written: transaction rollback
 * (serialisation, deadlock), insufficient resources, operator intervention (statement timeout,
 * shutdown), system errors, and lock_not_available. The same statement may succeed later.
 */
const TRANSIENT_CLASSES = new Set(['08', '40', '53', '57', '58']);

function codeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, driverError } = error as { code?: unknown; driverError?: { code?: unknown } };
  if (typeof code === 'string') return code;
  return typeof driverError?.code === 'string' ? driverError.code : undefined;
}

/** The SQLSTATE of a PostgreSQL error (raw or wrapped by TypeORM), if it has one. */
export function sqlStateOf(error: unknown): string | undefined {
  const code = codeOf(error);
  return code !== undefined && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export function isDatabaseUnavailable(error: unknown): boolean {
  // Duck-typed rather than instanceof Error: errors raised by Node's sockets may come from
  // another realm (as under jest's module sandbox).
  const code = codeOf(error);
  if (code !== undefined && DATABASE_UNAVAILABLE.has(code)) return true;
  const message = (error as { message?: unknown } | null)?.message;
  return (
    typeof message === 'string' &&
    /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connect ECONNREFUSED/i.test(
      message,
    )
  );
}

/** Unreachable, or unable to take the statement right now: retrying later may succeed. */
export function isTransientDatabaseError(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  const state = sqlStateOf(error);
  return state !== undefined && (TRANSIENT_CLASSES.has(state.slice(0, 2)) || state === '55P03');
}

/** PostgreSQL's class 22 (data exception), e.g. a NUL character or an out-of-range value: the input's fault. */
export function isInvalidData(error: unknown): boolean {
  return sqlStateOf(error)?.startsWith('22') ?? false;
}
