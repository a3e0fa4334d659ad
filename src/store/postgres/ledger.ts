import type { LedgerRow } from '../../core/ledger.ts';
import { roundUsd } from '../../ledger/cost.ts';
import { ledgerRowFromColumns } from '../ledger-columns.ts';
import { maxRowsRead, type LedgerQuery, type LedgerStore, type SpendSubject, type UsageGroup, type UsageSummaryQuery, type UsageTotals } from '../../core/stores.ts';
import { jsonParameter, postgresColumns, textParameter, utcTime, whereClause } from './values.ts';
import type { Database } from './database.ts';

/**
 * A row's token count as a `bigint`: a provider's count is only checked to be finite and not
 * negative (src/ledger/request-record.ts), so `prompt_tokens: 10.5` or `1e21` reach the row. SQLite
 * keeps them; a plain `::bigint` refused them ("invalid input syntax for type bigint"), and a batch
 * refused is retried with every later row, for good (src/ledger/writer.ts). Rounded to a whole
 * token and held at the largest bigint instead.
 */
function tokenCount(field: string): string {
  // LEAST skips NULLs: an absent count stays NULL (the COALESCE around it makes it 0).
  return `CASE WHEN r->>'${field}' IS NULL THEN NULL ELSE LEAST(round((r->>'${field}')::numeric), 9223372036854775807)::bigint END`;
}

/**
 * The ledger in PostgreSQL. A batch goes up as one parameter, the JSON array of its rows (the
 * ledger journal's lines joined, so a row is serialised once, on the request's thread), and the
 * server takes it apart: one statement and one round trip a batch, whatever its size, and no
 * limit of 65,535 parameters to split batches by. The same id twice in a batch (a request cut
 * off in flight, then its row replayed from a journal) keeps the later one, as SQLite's
 * INSERT OR REPLACE does.
 */
const insertRows = `
  INSERT INTO ledger (id, time, endpoint, key_id, team, model_requested, route, model, provider, upstream_model, attempts,
    input_tokens, output_tokens, cached_input_tokens, cache_write_tokens, reasoning_tokens, tokens_estimated, cost_usd,
    latency_ms, ttft_ms, status, http_status, error_code, error_message, stream, reason, metadata, warnings, guardrails)
  SELECT DISTINCT ON (r->>'id')
    r->>'id', (r->>'time')::timestamptz, r->>'endpoint', r->>'keyId', r->>'team', r->>'modelRequested', r->>'route',
    r->>'model', r->>'provider', r->>'upstreamModel', COALESCE(r->'attempts', '[]'),
    ${tokenCount('inputTokens')}, ${tokenCount('outputTokens')}, COALESCE(${tokenCount('cachedInputTokens')}, 0),
    -- Absent from the journal lines of a version before the count.
    COALESCE(${tokenCount('cacheWriteTokens')}, 0), COALESCE(${tokenCount('reasoningTokens')}, 0),
    COALESCE((r->>'tokensEstimated')::boolean, false), (r->>'costUsd')::double precision,
    (r->>'latencyMs')::numeric::integer, (r->>'ttftMs')::numeric::integer, r->>'status', (r->>'httpStatus')::integer,
    r->>'errorCode', r->>'errorMessage', COALESCE((r->>'stream')::boolean, false), r->>'reason',
    COALESCE(r->'metadata', '{}'), COALESCE(r->'warnings', '[]'), COALESCE(r->'guardrails', '[]')
  FROM json_array_elements($1::json) WITH ORDINALITY AS batch(r, position)
  ORDER BY r->>'id', position DESC
  ON CONFLICT (id) DO UPDATE SET time = EXCLUDED.time, endpoint = EXCLUDED.endpoint, key_id = EXCLUDED.key_id,
    team = EXCLUDED.team, model_requested = EXCLUDED.model_requested, route = EXCLUDED.route, model = EXCLUDED.model,
    provider = EXCLUDED.provider, upstream_model = EXCLUDED.upstream_model, attempts = EXCLUDED.attempts,
    input_tokens = EXCLUDED.input_tokens, output_tokens = EXCLUDED.output_tokens,
    cached_input_tokens = EXCLUDED.cached_input_tokens, cache_write_tokens = EXCLUDED.cache_write_tokens,
    reasoning_tokens = EXCLUDED.reasoning_tokens, tokens_estimated = EXCLUDED.tokens_estimated,
    cost_usd = EXCLUDED.cost_usd, latency_ms = EXCLUDED.latency_ms, ttft_ms = EXCLUDED.ttft_ms, status = EXCLUDED.status,
    http_status = EXCLUDED.http_status, error_code = EXCLUDED.error_code, error_message = EXCLUDED.error_message,
    stream = EXCLUDED.stream, reason = EXCLUDED.reason, metadata = EXCLUDED.metadata, warnings = EXCLUDED.warnings,
    guardrails = EXCLUDED.guardrails`;

/** Rows written by one statement at most. */
const rowsPerStatement = 1_000;

/** The SQL expression of each grouping; `day` is the UTC date of the row's time. */
const groupExpressions: Record<UsageGroup, string> = {
  key: 'key_id',
  team: 'team',
  model: 'model',
  provider: 'provider',
  day: `to_char(time AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
};

export function createPostgresLedgerStore(database: Database): LedgerStore {
  const appendLines = async (lines: readonly string[]) => {
    // A journal replayed at a start may hold many thousands of rows: a statement for each
    // thousand keeps each well inside the query timeout. A batch of the writer is one.
    for (let start = 0; start < lines.length; start += rowsPerStatement) {
      const chunk = lines.length <= rowsPerStatement ? lines : lines.slice(start, start + rowsPerStatement);
      await database.query(insertRows, [jsonParameter(`[${chunk.join(',')}]`)]);
    }
  };
  return {
    append: (rows) => appendLines(rows.map((row) => JSON.stringify(row))),
    appendSerialized: appendLines,
    async query(query: LedgerQuery) {
      const { where, values } = whereClause([
        ['id = $?', query.requestId],
        ['key_id = $?', query.keyId],
        ['team = $?', query.team],
        ['(model = $? OR model_requested = $?)', query.model],
        ['time >= $?::timestamptz', utcTime(query.from)],
        ['time < $?::timestamptz', utcTime(query.to)],
      ]);
      // Numbers checked here, so they can be written into the statement.
      const limit = Math.trunc(Math.min(Math.max(query.limit ?? 100, 1), maxRowsRead));
      const offset = Math.trunc(Math.max(query.offset ?? 0, 0));
      // Ordered by id within one time too, so that pages (`offset`) neither repeat nor skip a row.
      const result = await database.query(`SELECT * FROM ledger ${where} ORDER BY time DESC, id DESC LIMIT ${limit} OFFSET ${offset}`, values);
      return result.rows.map(fromRecord);
    },
    async summary(query: UsageSummaryQuery): Promise<UsageTotals[]> {
      const { where, values } = whereClause([
        ['time >= $?::timestamptz', utcTime(query.from)],
        ['time < $?::timestamptz', utcTime(query.to)],
        ['key_id = $?', query.keyId],
        ['team = $?', query.team],
      ]);
      const result = await database.query<{ grouped: string | null; requests: string; errors: string; input_tokens: string; output_tokens: string; cost_usd: number }>(
        // SQLite's order where costs tie: the group without a value (NULL) first, names by their
        // bytes (its BINARY collation), whatever the database's collation (en_US sorts "a" before "B").
        `SELECT ${groupExpressions[query.groupBy]} COLLATE "C" AS grouped, COUNT(*) AS requests, SUM(CASE WHEN status = 'ok' THEN 0 ELSE 1 END) AS errors,
                SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens, SUM(cost_usd) AS cost_usd
         FROM ledger ${where} GROUP BY grouped ORDER BY cost_usd DESC, grouped NULLS FIRST`,
        values,
      );
      return result.rows.map((row) => ({
        group: row.grouped,
        requests: Number(row.requests),
        errors: Number(row.errors),
        inputTokens: Number(row.input_tokens),
        outputTokens: Number(row.output_tokens),
        // Sums of rounded costs can show float noise; round like costOf does.
        costUsd: roundUsd(Number(row.cost_usd)),
      }));
    },
    async costSince(subject: SpendSubject, from: string | undefined): Promise<number> {
      const [column, value] = 'keyId' in subject ? ['key_id', subject.keyId] : ['team', subject.team];
      const result = await database.query<{ total: number }>(
        `SELECT COALESCE(SUM(cost_usd), 0)::double precision AS total FROM ledger WHERE ${column} = $1 AND ($2::timestamptz IS NULL OR time >= $2::timestamptz)`,
        [textParameter(value), utcTime(from) ?? null],
      );
      return Number(result.rows[0]?.total ?? 0);
    },
  };
}

/** PostgreSQL's columns: `json` parsed by the driver, booleans, `timestamptz` as Dates. */
function fromRecord(record: Record<string, unknown>): LedgerRow {
  return ledgerRowFromColumns(record, postgresColumns);
}
