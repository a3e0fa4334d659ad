import type { ModelInfo } from '../core/model.ts';
import type { RequestRecord } from '../ledger/request-record.ts';

/**
 * The x-switchboard-* headers every answer carries (../shared/SPEC.md "HTTP API"): what
 * answered, through which route (`none` when a model was named directly) and after how many
 * attempts. Non-streamed answers add their cost; routes with a response cache say hit or miss.
 */
export function answerHeaders(record: RequestRecord, model: ModelInfo, withCost: boolean): Record<string, string> {
  return {
    'x-switchboard-model': model.id,
    'x-switchboard-provider': model.providerId,
    'x-switchboard-route': record.route ?? 'none',
    'x-switchboard-attempts': String(record.attempts.length),
    ...(withCost ? { 'x-switchboard-cost-usd': formatUsd(record.cost()) } : {}),
    ...(record.cache ? { 'x-switchboard-cache': record.cache } : {}),
  };
}

/** A USD amount in plain decimal notation (never exponent form), without trailing zeros. */
export function formatUsd(value: number): string {
  return value.toFixed(12).replace(/\.?0+$/, '') || '0';
}
