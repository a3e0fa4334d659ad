import type { ModelPricing } from '../core/model.ts';
import type { Usage } from '../core/usage.ts';

/**
 * USD cost of a call: what the provider reported it cost (`usage.costUsd`) when it did. Else
 * priced on what the provider bills when it says so (`usage.billed`), else:
 * prompt tokens read from the provider's cache at the cached price, those
 * written to it at the write price (an hour's writes at theirs), the rest at the input price,
 * output tokens at the output price; a price not published is the input price. Rounded to 1e-12
 * USD: below any real price step, above floating-point noise (0.1 + 0.2 style).
 */
export function costOf(usage: Usage, pricing: ModelPricing | undefined): number {
  if (usage.costUsd !== undefined) return roundUsd(usage.costUsd);
  if (!pricing) return 0;
  if (usage.billed) return roundUsd((usage.billed.inputTokens * pricing.inputPerMtok + usage.billed.outputTokens * pricing.outputPerMtok) / 1_000_000);
  const input = pricing.inputPerMtok;
  const cached = Math.min(usage.cachedInputTokens ?? 0, usage.inputTokens);
  const written = Math.min(usage.cacheWriteTokens ?? 0, usage.inputTokens - cached);
  const writtenForAnHour = Math.min(usage.cacheWrite1hTokens ?? 0, written);
  const plain = usage.inputTokens - cached - written;
  const writePrice = pricing.cacheWritePerMtok ?? input;
  const dollars =
    (plain * input +
      cached * (pricing.cachedInputPerMtok ?? input) +
      (written - writtenForAnHour) * writePrice +
      writtenForAnHour * (pricing.cacheWrite1hPerMtok ?? writePrice) +
      usage.outputTokens * pricing.outputPerMtok) /
    1_000_000;
  return roundUsd(dollars);
}

/** Rounded to 1e-12 USD (see costOf). */
export function roundUsd(dollars: number): number {
  return Math.round(dollars * 1e12) / 1e12;
}
