import type { ModelInfo } from '../core/model.ts';

/** Output tokens assumed when neither the request nor the model says how many it may write. */
export const defaultOutputTokens = 4096;

/**
 * The most a request may cost before it runs, for budget reservations: its prompt tokens (the
 * governance passes a bound on them, the prompt's UTF-8 bytes) at the input price and its
 * possible output (the request's max tokens, else the model's maximum, else 4096; as many times
 * as it asks for answers, `n`) at the output price, for the most expensive candidate, since any
 * of them may answer.
 * Models without a known price cost nothing here, as in the ledger (src/ledger/cost.ts). It covers
 * one answer: a failed generation the provider bills before another candidate answers adds to the
 * real cost (docs/routing.md "Usage and cost"), within ADR 0004's in-flight overspend bound.
 */
export function estimateCostUsd(candidates: readonly ModelInfo[], promptTokens: number, maxOutputTokens: number | undefined, hasOutput: boolean, choices = 1): number {
  let highest = 0;
  for (const model of candidates) {
    if (!model.pricing) continue;
    // `n` answers, each up to the max tokens: billed as their sum (OpenAI's usage counts every choice).
    const output = hasOutput ? (maxOutputTokens ?? model.maxOutputTokens ?? defaultOutputTokens) * choices : 0;
    const dollars = (promptTokens * model.pricing.inputPerMtok + output * model.pricing.outputPerMtok) / 1_000_000;
    if (dollars > highest) highest = dollars;
  }
  return highest;
}
