import type { ModelInfo } from '../../core/model.ts';
import type { RoutingContext } from '../../core/strategy.ts';

/** Output tokens assumed for a request that sets no max tokens, for price comparisons. */
export const expectedOutputTokens = 256;

/**
 * Estimated USD cost of a request on a model: counted prompt tokens at the input price plus
 * the request's max tokens (or expectedOutputTokens) at the output price. Infinity when the
 * model's prices are unknown, so it ranks last.
 */
export function estimatedCost(model: ModelInfo, context: RoutingContext): number {
  if (!model.pricing) return Number.POSITIVE_INFINITY;
  const output = Math.min(context.request.maxOutputTokens ?? expectedOutputTokens, model.maxOutputTokens ?? Number.POSITIVE_INFINITY);
  return (context.request.promptTokens() * model.pricing.inputPerMtok + output * model.pricing.outputPerMtok) / 1_000_000;
}

/** Formats a USD amount for a routing reason. */
export function formatUsd(value: number): string {
  return Number.isFinite(value) ? `$${value.toFixed(6)}` : 'unknown price';
}
