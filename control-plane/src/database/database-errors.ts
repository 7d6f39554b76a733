import { QueryFailedError, TypeORMError } from 'typeorm';

/** How a database failure reads to a caller: the database is out of reach, or the call failed. */
export type DatabaseFailure = 'unavailable' | 'failed';

/** Socket errors of a connection to a Postgres server that is down or out of reach. */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);

/**
 * Whether `error` came from the database, and which kind; undefined for anything else. The driver's
 * text (which may quote a caller's argument, or the server's internals) is for the log only.
 */
export function classifyDatabaseError(error: unknown): DatabaseFailure | undefined {
  if (error instanceof QueryFailedError) {
    return isUnavailableState(sqlState(error.driverError)) ? 'unavailable' : 'failed';
  }
  if (error instanceof TypeORMError) return 'failed';
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return 'unavailable';
  if (isSqlState(code)) return isUnavailableState(code) ? 'unavailable' : 'failed';
  return undefined;
}

/** What the log gets: the driver's message and SQLSTATE, never the query's parameters. */
export function describeDatabaseError(error: unknown): string {
  const driverError: unknown = error instanceof QueryFailedError ? error.driverError : error;
  const message = driverError instanceof Error ? driverError.message : String(driverError);
  const code = sqlState(driverError);
  return code === undefined ? message : `${message} (SQLSTATE ${code})`;
}

function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return isSqlState(code) ? code : undefined;
}

function isSqlState(code: unknown): code is string {
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code);
}

/**
 * Class 08 connection exceptions, 53 insufficient resources, 57P01-57P03 shutdown / cannot connect
 * now: the server cannot take the call at the moment, so trying again later may work.
 */
function isUnavailableState(code: string | undefined): boolean {
  if (code === undefined) return false;
  return code.startsWith('08') || code.startsWith('53') || /^57P0[123]$/.test(code);
}
