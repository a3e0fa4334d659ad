import type { LedgerRow } from '../core/ledger.ts';

/** How a backend's columns read back (ledger rows, keys, teams, audit entries): its JSON columns, its flags and its times. */
export interface ColumnDecoding {
  json(value: unknown): unknown;
  flag(value: unknown): boolean;
  /** ISO-8601 in UTC, as rows carry times. */
  time(value: unknown): string;
}

/**
 * A ledger row from its table's columns (the same names in SQLite and PostgreSQL), so both
 * backends read every field the same way and a new column is read in one place.
 */
export function ledgerRowFromColumns(record: Record<string, unknown>, decode: ColumnDecoding): LedgerRow {
  const text = (value: unknown) => (value === null || value === undefined ? null : String(value));
  return {
    id: String(record.id),
    time: decode.time(record.time),
    endpoint: String(record.endpoint) as LedgerRow['endpoint'],
    keyId: text(record.key_id),
    team: text(record.team),
    modelRequested: text(record.model_requested),
    route: text(record.route),
    model: text(record.model),
    provider: text(record.provider),
    upstreamModel: text(record.upstream_model),
    attempts: decode.json(record.attempts) as LedgerRow['attempts'],
    inputTokens: Number(record.input_tokens),
    outputTokens: Number(record.output_tokens),
    cachedInputTokens: Number(record.cached_input_tokens),
    cacheWriteTokens: Number(record.cache_write_tokens ?? 0),
    reasoningTokens: Number(record.reasoning_tokens),
    tokensEstimated: decode.flag(record.tokens_estimated),
    costUsd: Number(record.cost_usd),
    latencyMs: Number(record.latency_ms),
    ttftMs: record.ttft_ms === null || record.ttft_ms === undefined ? null : Number(record.ttft_ms),
    status: String(record.status) as LedgerRow['status'],
    httpStatus: Number(record.http_status),
    errorCode: text(record.error_code),
    errorMessage: text(record.error_message),
    stream: decode.flag(record.stream),
    reason: text(record.reason),
    metadata: decode.json(record.metadata) as Record<string, string>,
    warnings: decode.json(record.warnings) as LedgerRow['warnings'],
    // Rows written before the column (SQLite's migration 2) read as none.
    guardrails: (record.guardrails === null || record.guardrails === undefined ? [] : decode.json(record.guardrails)) as LedgerRow['guardrails'],
  };
}
