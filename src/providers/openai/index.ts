import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/**
 * OpenAI itself. It deprecated `max_tokens` (o-series models reject it) for `max_completion_tokens`,
 * and takes up to 4 stop sequences (openapi.yaml StopConfiguration).
 */
export const openAIProvider: ProviderDefinition = {
  create: (settings, dependencies) =>
    createOpenAICompatibleAdapter(settings, dependencies, { ...openAIFlavor, maxTokensField: 'max_completion_tokens', reasoningInHistory: 'drop', maxStopSequences: 4 }),
  defaultBaseUrl: 'https://api.openai.com/v1',
  environmentKey: 'OPENAI_API_KEY',
  catalogType: 'openai',
  requiresApiKey: true,
};
