import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor, type OpenAIFlavor } from '../openai-compatible/index.ts';

/**
 * OpenRouter's answers carry what each call cost (openrouter.ai/docs/use-cases/usage-accounting:
 * "included in the last SSE message for streaming responses, or in the complete response"): its
 * prices depend on the upstream it routed to, so the ledger records that cost, not the catalog's.
 */
const openRouterFlavor: OpenAIFlavor = { ...openAIFlavor, reportsCost: true };

/**
 * OpenRouter (openrouter.ai/docs/api-reference). Its own routing fields (`models`, `provider`)
 * are Switchboard's routing hints and are stripped at ingress like for every provider.
 */
export const openRouterProvider: ProviderDefinition = {
  create: (settings, dependencies) => createOpenAICompatibleAdapter(settings, dependencies, openRouterFlavor),
  defaultBaseUrl: 'https://openrouter.ai/api/v1',
  environmentKey: 'OPENROUTER_API_KEY',
  catalogType: 'openrouter',
  requiresApiKey: true,
};
