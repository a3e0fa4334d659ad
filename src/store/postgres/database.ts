import type { Pool, QueryResult, QueryResultRow } from 'pg';
import { GatewayError } from '../../core/errors.ts';

/**
 * What the stores use of the pool: a query. Unnamed statements only, so that the gateway works
 * behind PgBouncer in transaction mode, where a prepared statement made on one server connection
 * is not there on the next (the few statements saved a parse each: a batch's insert every 250 ms,
 * a key's lookup every 30 s).
 */
export interface Database {
  query<Row extends QueryResultRow = Record<string, unknown>>(text: string, values?: unknown[]): Promise<QueryResult<Row>>;
}

/**
 * The pool, its failures to reach the server turned into a 503 the caller may retry
 * (SB_ERR_UNAVAILABLE, retry-after 5 s), instead of a 500 "Internal error": while the database is
 * unreachable, a request with a key not yet cached, and every /admin read and write, get it. The
 * driver's message (which names the host) stays in the error's cause, for the log.
 */
export function guardedDatabase(pool: Pool): Database {
  return {
    query: <Row extends QueryResultRow>(text: string, values?: unknown[]) => pool.query<Row>(text, values).catch((error: unknown) => {
      throw unreachable(error) ? new GatewayError('SB_ERR_UNAVAILABLE', "Switchboard cannot reach its database right now; retry later.", { cause: error, retryAfterSeconds: 5 }) : error;
    }),
  };
}

/** Socket errors of a server that cannot be reached or went away. */
const socketCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);

/**
 * PostgreSQL's SQLSTATEs for the same (https://www.postgresql.org/docs/current/errcodes-appendix.html):
 * class 08 (connection exception), 57P01-57P03 (the server shutting down or starting), 53300
 * (too many connections).
 */
const serverCodes = /^(08...|57P0[1-3]|53300)$/;

/** node-postgres' own words when a connection fails, times out or ends under a query. */
const driverMessages = /Connection terminated|timeout exceeded when trying to connect|Query read timeout|connection error and is not queryable/i;

function unreachable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (socketCodes.has(code) || serverCodes.test(code))) return true;
  return driverMessages.test(error.message);
}
