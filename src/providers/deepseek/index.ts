import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/**
 * DeepSeek's OpenAI-compatible API (api-docs.deepseek.com). It has no embeddings endpoint;
 * `deepseek-reasoner` streams its thinking as `reasoning_content`, which the shared stream
 * reader maps to reasoning events.
 */
export const deepSeekProvider: ProviderDefinition = {
  create: (settings, dependencies) => createOpenAICompatibleAdapter(settings, dependencies, { ...openAIFlavor, embeddings: false, reasoningInHistory: 'drop' }),
  defaultBaseUrl: 'https://api.deepseek.com/v1',
  environmentKey: 'DEEPSEEK_API_KEY',
  catalogType: 'deepseek',
  requiresApiKey: true,
};
