import type { ColumnDecoding } from '../ledger-columns.ts';
import { utcIsoTime } from '../../core/utc-time.ts';

/** What the PostgreSQL stores share: their WHERE clauses and how times are read back. */

/** One optional filter: a condition whose `$?` marks are its value's parameter. */
export type Filter = readonly [condition: string, value: string | undefined];

/**
 * The WHERE clause of the filters that have a value (undefined or '' means "any"), conditions
 * joined with AND, each `$?` numbered as its value's parameter; no filter with a value, no WHERE.
 */
export function whereClause(filters: readonly Filter[]): { where: string; values: string[] } {
  const conditions: string[] = [];
  const values: string[] = [];
  for (const [condition, value] of filters) {
    if (value === undefined || value === '') continue;
    values.push(textParameter(value));
    conditions.push(condition.replaceAll('$?', `$${values.length}`));
  }
  return { where: conditions.length ? `WHERE ${conditions.join(' AND ')}` : '', values };
}

/** A time filter in UTC (`utcIsoTime`): the server's or the session's time zone never moves it. */
export function utcTime(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : utcIsoTime(text);
}

/** A `timestamptz` as the stores' records hold times: ISO-8601 in UTC, as SQLite keeps them. */
export function iso(value: unknown): string {
  return value instanceof Date ? value.toISOString() : String(value);
}


/**
 * A string as PostgreSQL takes it in a `text` column or parameter: it refuses NUL in text
 * ("invalid byte sequence for encoding UTF8: 0x00"), which SQLite kept, and a lone surrogate
 * half (which JavaScript strings may hold) would reach it as U+FFFD anyway; both become U+FFFD.
 * Without this, `/admin/keys/%00` was a 500 instead of a 404.
 */
export function textParameter(value: string): string;
export function textParameter(value: string | null): string | null;
export function textParameter(value: string | null): string | null {
  return value === null ? null : value.replace(unsupportedText, '\uFFFD');
}

/** NUL, and a surrogate half without its other half. */
const unsupportedText = /\0|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * `\u0000` and lone surrogate escapes (`\ud800`) in a JSON text, each not itself escaped (an odd
 * number of backslashes before the `u`). JSON.stringify writes a paired surrogate as the
 * character, so every escaped one it writes is lone.
 */
const unsupportedEscape = /(?<!\\)((?:\\\\)*)\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/g;

/**
 * A JSON text as PostgreSQL's `json` type takes it: it refuses a lone surrogate escape at input,
 * and `\u0000` once a value is read as text (`->>`), which the ledger's insert does; either would
 * fail the whole batch, and every batch after it, since a failed batch is retried with the next
 * (src/ledger/writer.ts). Both come from callers (a model name, a metadata value, a provider's
 * error message), so each becomes `\ufffd`, U+FFFD, in the stored row.
 */
export function jsonParameter(text: string): string {
  return text.includes('\\u') ? text.replace(unsupportedEscape, '$1\\ufffd') : text;
}

/** How PostgreSQL's columns read back through node-postgres: JSON parsed, booleans, `timestamptz` as Date. */
export const postgresColumns: ColumnDecoding = { json: (value) => value, flag: (value) => value === true, time: iso };
