import type { CandidateFilter } from '../../core/strategy.ts';

/**
 * Removes route candidates whose context window is smaller than the prompt's counted tokens
 * plus the request's max tokens (when it sets one). Unknown windows are kept.
 */
export const contextWindowFilter: CandidateFilter = {
  name: 'context-window',
  appliesToDirectModel: false,
  reject(model, context) {
    if (model.contextWindow === undefined) return undefined;
    const needed = context.request.promptTokens() + (context.request.maxOutputTokens ?? 0);
    return needed > model.contextWindow ? `context window ${model.contextWindow} < ${needed} tokens needed` : undefined;
  },
};
