import type { ColumnDecoding } from '../ledger-columns.ts';

/** How SQLite's columns read back: JSON as text, flags as 0/1, times as the ISO-8601 text written. */
export const sqliteColumns: ColumnDecoding = { json: (value) => JSON.parse(String(value)) as unknown, flag: (value) => value === 1, time: String };
