import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter } from '../openai-compatible/index.ts';

/**
 * OpenRouter (openrouter.ai/docs/api-reference). Its own routing fields (`models`, `provider`)
 * are Switchboard's routing hints and are stripped at ingress like for every provider.
 */
export const openRouterProvider: ProviderDefinition = {
  create: (settings, dependencies) => createOpenAICompatibleAdapter(settings, dependencies),
  defaultBaseUrl: 'https://openrouter.ai/api/v1',
  environmentKey: 'OPENROUTER_API_KEY',
  catalogType: 'openrouter',
  requiresApiKey: true,
};
