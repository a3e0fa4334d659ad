import type BetterSqlite3 from 'better-sqlite3';
import type { LedgerRow } from '../../core/ledger.ts';
import { ledgerRowFromColumns } from '../ledger-columns.ts';
import { sqliteColumns } from './columns.ts';

/**
 * Ledger rows ↔ the `ledger` table, shared by the main thread (reads, and writes without a
 * writer thread) and the ledger writer thread (./ledger-worker.ts), so both write the same
 * columns the same way.
 */

type Value = string | number | null;

/**
 * Each column of the table with the row's value for it, in one list: the insert's columns and
 * its positional values are both read from here, so they cannot fall out of order.
 */
const fields = [
  ['id', (row) => row.id],
  ['time', (row) => row.time],
  ['endpoint', (row) => row.endpoint],
  ['key_id', (row) => row.keyId],
  ['team', (row) => row.team],
  ['model_requested', (row) => row.modelRequested],
  ['route', (row) => row.route],
  ['model', (row) => row.model],
  ['provider', (row) => row.provider],
  ['upstream_model', (row) => row.upstreamModel],
  ['attempts', (row) => jsonList(row.attempts)],
  ['input_tokens', (row) => row.inputTokens],
  ['output_tokens', (row) => row.outputTokens],
  ['cached_input_tokens', (row) => row.cachedInputTokens],
  // Absent from the journal lines of a version before the column (written at the next start).
  ['cache_write_tokens', (row) => row.cacheWriteTokens ?? 0],
  ['reasoning_tokens', (row) => row.reasoningTokens],
  ['tokens_estimated', (row) => (row.tokensEstimated ? 1 : 0)],
  ['cost_usd', (row) => row.costUsd],
  ['latency_ms', (row) => row.latencyMs],
  ['ttft_ms', (row) => row.ttftMs],
  ['status', (row) => row.status],
  ['http_status', (row) => row.httpStatus],
  ['error_code', (row) => row.errorCode],
  ['error_message', (row) => row.errorMessage],
  ['stream', (row) => (row.stream ? 1 : 0)],
  ['reason', (row) => row.reason],
  ['metadata', (row) => jsonRecord(row.metadata)],
  ['warnings', (row) => jsonList(row.warnings)],
  ['guardrails', (row) => jsonList(row.guardrails)],
] as const satisfies ReadonlyArray<readonly [string, (row: LedgerRow) => Value]>;

const columns = fields.map(([column]) => column);

export type LedgerRecord = Record<(typeof fields)[number][0], Value>;

/** Inserts rows (objects, or their JSON text as the ledger journal holds it) in one transaction each call. */
export interface LedgerInsert {
  rows(rows: readonly LedgerRow[]): void;
  /** Each line is a row's JSON text (src/ledger/row-text.ts); the transaction takes the write lock at its start (BEGIN IMMEDIATE). */
  lines(lines: readonly string[]): void;
}

export function prepareLedgerInsert(database: BetterSqlite3.Database): LedgerInsert {
  const insert = database.prepare(
    `INSERT OR REPLACE INTO ledger (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  // Positional parameters: binding by name makes better-sqlite3 look each one up in an object.
  const insertRows = database.transaction((rows: readonly LedgerRow[]) => {
    for (const row of rows) insert.run(toValues(row));
  });
  const insertLines = database.transaction((lines: readonly string[]) => {
    for (const line of lines) insert.run(toValues(JSON.parse(line) as LedgerRow));
  });
  return {
    rows: (rows) => insertRows(rows),
    // IMMEDIATE: another connection (the main thread's, another worker process's) waits for the
    // lock at BEGIN through busy_timeout, instead of failing on a read lock upgraded mid-transaction.
    lines: (lines) => insertLines.immediate(lines),
  };
}

/** A row's values in the order of `columns`. */
function toValues(row: LedgerRow): Value[] {
  const values = new Array<Value>(fields.length);
  for (let index = 0; index < fields.length; index += 1) values[index] = fields[index]![1](row);
  return values;
}

/** The JSON of a list column; most rows' warnings and guardrails are empty. */
function jsonList(list: readonly unknown[]): string {
  return list.length === 0 ? '[]' : JSON.stringify(list);
}

/** The JSON of the metadata column; most requests send none. */
function jsonRecord(record: Record<string, string>): string {
  for (const _key in record) return JSON.stringify(record);
  return '{}';
}

/** SQLite's columns: JSON as text, flags as 1 or 0, times as ISO-8601 text. */
export function fromRecord(record: LedgerRecord): LedgerRow {
  return ledgerRowFromColumns(record, sqliteColumns);
}
