import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from './index.ts';

/** Any other server speaking OpenAI's API (vLLM, llama.cpp, LM Studio, ...): base_url required. */
export const openAICompatibleProvider: ProviderDefinition = {
  create: (settings, dependencies) =>
    createOpenAICompatibleAdapter(settings, dependencies, { ...openAIFlavor, continueFinalMessage: settings.options.continue_final_message === true }),
  requiresApiKey: false,
};
