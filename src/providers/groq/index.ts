import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/** Groq's OpenAI-compatible API (console.groq.com/docs/openai); it has no embeddings endpoint. */
export const groqProvider: ProviderDefinition = {
  create: (settings, dependencies) => createOpenAICompatibleAdapter(settings, dependencies, { ...openAIFlavor, embeddings: false }),
  defaultBaseUrl: 'https://api.groq.com/openai/v1',
  environmentKey: 'GROQ_API_KEY',
  catalogType: 'groq',
  requiresApiKey: true,
};
