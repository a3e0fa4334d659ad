/** The zone at the end of an ISO-8601 date-time: `Z` or an offset. */
const zoned = /T.*(Z|[+-]\d{2}:?\d{2})$/i;

/**
 * An ISO-8601 date or date-time as ISO-8601 in UTC: a date is its UTC midnight, a date-time
 * without a zone is UTC. How the admin API reads `from`, `to` and `expires_at`
 * (src/server/admin/contract.ts), and how the PostgreSQL store sends a time filter, so that no
 * session's time zone moves it (src/store/postgres/values.ts). Text that is no time is returned as
 * it is.
 */
export function utcIsoTime(text: string): string {
  const time = new Date(zoned.test(text) || !text.includes('T') ? text : `${text}Z`);
  return Number.isNaN(time.getTime()) ? text : time.toISOString();
}
