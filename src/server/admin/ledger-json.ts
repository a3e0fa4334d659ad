import type { LedgerRow } from '../../core/ledger.ts';

/** A ledger row as /admin/usage answers it: snake_case, as ../shared/SPEC.md names the fields. */
export function ledgerRowJson(row: LedgerRow) {
  return {
    id: row.id,
    time: row.time,
    endpoint: row.endpoint,
    key_id: row.keyId,
    team: row.team,
    model_requested: row.modelRequested,
    route: row.route,
    model: row.model,
    provider: row.provider,
    upstream_model: row.upstreamModel,
    attempts: row.attempts.map((attempt) => ({
      model: attempt.model,
      provider: attempt.provider,
      upstream_model: attempt.upstreamModel,
      outcome: attempt.outcome,
      error_code: attempt.errorCode ?? null,
      upstream_status: attempt.upstreamStatus ?? null,
      message: attempt.message ?? null,
      latency_ms: attempt.latencyMs,
      // Only where the provider said how long to wait (a rate limit, an overload).
      ...(attempt.retryAfterSeconds !== undefined ? { retry_after_s: attempt.retryAfterSeconds } : {}),
      // Only on an attempt that continued a broken stream (docs/routing.md "Stream resume").
      ...(attempt.resumedFrom !== undefined ? { resumed_from: attempt.resumedFrom } : {}),
      // Only on a failed attempt whose provider reported what it used (docs/routing.md "Usage and cost").
      ...(attempt.inputTokens !== undefined ? { input_tokens: attempt.inputTokens, output_tokens: attempt.outputTokens ?? 0, cost_usd: attempt.costUsd ?? 0 } : {}),
    })),
    input_tokens: row.inputTokens,
    output_tokens: row.outputTokens,
    cached_input_tokens: row.cachedInputTokens,
    cache_write_tokens: row.cacheWriteTokens,
    reasoning_tokens: row.reasoningTokens,
    tokens_estimated: row.tokensEstimated,
    cost_usd: row.costUsd,
    latency_ms: row.latencyMs,
    ttft_ms: row.ttftMs,
    status: row.status,
    http_status: row.httpStatus,
    error_code: row.errorCode,
    error_message: row.errorMessage,
    stream: row.stream,
    reason: row.reason,
    metadata: row.metadata,
    warnings: row.warnings,
    guardrails: row.guardrails,
  };
}

const csvColumns = [
  'id', 'time', 'endpoint', 'key_id', 'team', 'model_requested', 'route', 'model', 'provider', 'upstream_model', 'attempts',
  'input_tokens', 'output_tokens', 'cached_input_tokens', 'cache_write_tokens', 'reasoning_tokens', 'tokens_estimated', 'cost_usd', 'latency_ms',
  'ttft_ms', 'status', 'http_status', 'error_code', 'error_message', 'stream', 'reason', 'metadata', 'warnings', 'guardrails',
] as const;

/** Ledger rows as CSV (RFC 4180), one line per request; nested fields as JSON, `attempts` as a count. */
export function ledgerCsv(rows: readonly LedgerRow[]): string {
  const lines = [csvColumns.join(',')];
  for (const row of rows) {
    const json = ledgerRowJson(row);
    const values: Record<(typeof csvColumns)[number], unknown> = {
      ...json,
      attempts: json.attempts.length,
      metadata: JSON.stringify(json.metadata),
      warnings: JSON.stringify(json.warnings),
      guardrails: JSON.stringify(json.guardrails),
    };
    lines.push(csvColumns.map((column) => csvCell(values[column])).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  let text = String(value);
  // A cell a spreadsheet would run as a formula (caller-supplied metadata can start with "=") is prefixed with a quote.
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
