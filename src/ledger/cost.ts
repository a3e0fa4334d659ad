import type { ModelPricing } from '../core/model.ts';
import type { Usage } from '../core/usage.ts';

/**
 * USD cost of a call: uncached prompt tokens at the input price, cached ones at the cached
 * price (input price when none is published), output tokens at the output price. Rounded to
 * 1e-12 USD: below any real price step, above floating-point noise (0.1 + 0.2 style).
 */
export function costOf(usage: Usage, pricing: ModelPricing | undefined): number {
  if (!pricing) return 0;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const uncached = usage.inputTokens - cached;
  const dollars =
    (uncached * pricing.inputPerMtok + cached * (pricing.cachedInputPerMtok ?? pricing.inputPerMtok) + usage.outputTokens * pricing.outputPerMtok) /
    1_000_000;
  return Math.round(dollars * 1e12) / 1e12;
}
