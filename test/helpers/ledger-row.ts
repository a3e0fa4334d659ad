import type { LedgerRow } from '../../src/core/ledger.ts';

/**
 * A ledger row as a completed chat request leaves it (one attempt, two metadata entries, one
 * warning), with `overrides`: the one fixture of the ledger's store, journal and benchmark tests.
 */
export function ledgerRow(id: string, overrides: Partial<LedgerRow> = {}): LedgerRow {
  return {
    id,
    time: '2026-01-02T03:04:05.678Z',
    endpoint: 'chat',
    keyId: 'key_1',
    team: 'search',
    modelRequested: 'fast',
    route: null,
    model: 'fast',
    provider: 'oai',
    upstreamModel: 'gpt-4o-mini',
    attempts: [{ model: 'fast', provider: 'oai', upstreamModel: 'gpt-4o-mini', outcome: 'ok', upstreamStatus: 200, latencyMs: 312 }],
    inputTokens: 1_204,
    outputTokens: 87,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    tokensEstimated: false,
    costUsd: 0.00023281,
    latencyMs: 318,
    ttftMs: null,
    status: 'ok',
    httpStatus: 200,
    errorCode: null,
    errorMessage: null,
    stream: false,
    reason: 'model requested by name',
    metadata: { env: 'prod', feature: 'summaries' },
    warnings: [{ type: 'unsupported-setting', setting: 'seed', message: 'seed is not supported by this provider' }],
    guardrails: [],
    ...overrides,
  };
}

/**
 * A row for the stores' tests, which add up its counts: a random id unless given, 10 tokens in,
 * 5 out, $0.10, key `key_a` of team `red`, no attempts, metadata or warnings.
 */
export function storeRow(overrides: Partial<LedgerRow> = {}): LedgerRow {
  const id = overrides.id ?? `req_${Math.random().toString(16).slice(2)}`;
  const base = { time: '2025-06-01T10:00:00.000Z', keyId: 'key_a', team: 'red', upstreamModel: 'gpt', attempts: [], inputTokens: 10, outputTokens: 5, costUsd: 0.1, latencyMs: 5, reason: null, metadata: {}, warnings: [] };
  return ledgerRow(id, { ...base, ...overrides });
}
