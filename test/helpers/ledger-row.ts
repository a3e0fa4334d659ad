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
