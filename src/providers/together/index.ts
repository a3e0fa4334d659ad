import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter } from '../openai-compatible/index.ts';

/** Together AI's OpenAI-compatible API (docs.together.ai/docs/openai-api-compatibility). */
export const togetherProvider: ProviderDefinition = {
  create: (settings, dependencies) => createOpenAICompatibleAdapter(settings, dependencies),
  defaultBaseUrl: 'https://api.together.xyz/v1',
  environmentKey: 'TOGETHER_API_KEY',
  catalogType: 'together',
  requiresApiKey: true,
};
