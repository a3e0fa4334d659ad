import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/**
 * DeepSeek's OpenAI-compatible API (api-docs.deepseek.com). It has no embeddings endpoint;
 * `deepseek-reasoner` streams its thinking as `reasoning_content`, which the shared stream
 * reader maps to reasoning events. In thinking mode the `reasoning_content` of a turn that
 * called tools must come back in every later request (api-docs.deepseek.com/guides/thinking_mode,
 * "Tool calls": a 400 otherwise), so it is kept there and left out elsewhere.
 */
export const deepSeekProvider: ProviderDefinition = {
  create: (settings, dependencies) =>
    createOpenAICompatibleAdapter(settings, dependencies, { ...openAIFlavor, embeddings: false, reasoningInHistory: 'tool-turns', checkBody: maxTokensAsDeepSeekTakesIt }),
  defaultBaseUrl: 'https://api.deepseek.com/v1',
  environmentKey: 'DEEPSEEK_API_KEY',
  catalogType: 'deepseek',
  requiresApiKey: true,
};

/**
 * DeepSeek documents `max_tokens` only (api-docs.deepseek.com/api/create-chat-completion) and
 * ignores OpenAI's `max_completion_tokens` without a word: asked for 5, it answered 76 tokens
 * (earendil-works/pi#8018). An OpenAI caller's `max_completion_tokens` is sent as `max_tokens`,
 * which means the same.
 */
export function maxTokensAsDeepSeekTakesIt(body: Record<string, unknown>): Record<string, unknown> {
  if (body.max_completion_tokens === undefined || body.max_completion_tokens === null) return body;
  const { max_completion_tokens: limit, ...rest } = body;
  return { ...rest, max_tokens: limit };
}
