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
  return (context.request.promptTokens() * model.pricing.inputPerMtok + expectedOutput(model, context) * model.pricing.outputPerMtok) / 1_000_000;
}

/**
 * The models in the order of `estimatedCost` (ties to the higher quality, unknown prices last),
 * when that order does not depend on the prompt's tokens; else undefined. A model's estimated
 * cost is its input price times the prompt's tokens plus the cost of its expected output: when,
 * ordered by that output cost, no model has a lower input price than the one before it, no
 * prompt can reverse two of them, so the prompt need not be counted (counting 4,000 characters
 * took about 1 ms with gpt-tokenizer, 0.1-0.2 ms since ADR 0015, and a process's first count
 * loads the token table: issue 15). Only prices that cross (one model dearer on input, the
 * other on output) need the count.
 */
export function orderedByPrices(models: readonly ModelInfo[], context: RoutingContext): ModelInfo[] | undefined {
  const priced: Array<{ model: ModelInfo; input: number; output: number }> = [];
  const unpriced: ModelInfo[] = [];
  for (const model of models) {
    if (!model.pricing) unpriced.push(model);
    else priced.push({ model, input: model.pricing.inputPerMtok, output: expectedOutput(model, context) * model.pricing.outputPerMtok });
  }
  priced.sort((left, right) => left.output - right.output || left.input - right.input || (right.model.quality ?? 0) - (left.model.quality ?? 0));
  for (let index = 1; index < priced.length; index += 1) if (priced[index]!.input < priced[index - 1]!.input) return undefined;
  unpriced.sort((left, right) => (right.quality ?? 0) - (left.quality ?? 0));
  return [...priced.map((entry) => entry.model), ...unpriced];
}

/** Output tokens a model is expected to produce: the request's max tokens, or `expectedOutputTokens`, within the model's own cap. */
function expectedOutput(model: ModelInfo, context: RoutingContext): number {
  return Math.min(context.request.maxOutputTokens ?? expectedOutputTokens, model.maxOutputTokens ?? Number.POSITIVE_INFINITY);
}

/** Formats a USD amount for a routing reason. */
export function formatUsd(value: number): string {
  return Number.isFinite(value) ? `$${value.toFixed(6)}` : 'unknown price';
}
