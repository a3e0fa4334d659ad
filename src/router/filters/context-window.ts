import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * Removes route candidates whose context window is smaller than the prompt's counted tokens
 * plus the request's max tokens (when it sets one). Unknown windows are kept. The prompt is
 * counted only when its bytes (a bound on its tokens) do not fit already: most prompts are far
 * smaller than any window, and counting one costs more than the rest of the request.
 */
export const contextWindowFilter: CandidateFilter = {
  name: 'context-window',
  appliesToDirectModel: false,
  reject(model, context) {
    if (model.contextWindow === undefined) return undefined;
    const { request } = context;
    const output = request.maxOutputTokens ?? 0;
    // An embeddings batch: each input must fit, not their sum (RoutingRequest.windowTokens).
    const bound = request.windowTokens ? request.windowTokens.atMost() : request.promptTokensAtMost?.();
    if (bound !== undefined && bound + output <= model.contextWindow) return undefined;
    const needed = (request.windowTokens ? request.windowTokens.count() : request.promptTokens()) + output;
    return needed > model.contextWindow ? `context window ${model.contextWindow} < ${needed} tokens needed` : undefined;
  },
};
