import type { ModelPricing } from '../core/model.ts';
import type { Usage } from '../core/usage.ts';

/**
 * USD cost of a call: uncached prompt tokens at the input price, cached ones at the cached
 * price (input price when none is published), output tokens at the output price. Rounded to
 * a millionth of a cent so sums over the ledger do not drift.
 */
export function costOf(usage: Usage, pricing: ModelPricing | undefined): number {
  if (!pricing) return 0;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  const dollars =
    (uncached * pricing.inputPerMtok + cached * (pricing.cachedInputPerMtok ?? pricing.inputPerMtok) + usage.outputTokens * pricing.outputPerMtok) /
    1_000_000;
  return Math.round(dollars * 1e8) / 1e8;
}
