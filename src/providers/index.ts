import type { ProviderDefinition } from '../core/provider-adapter.ts';
import { anthropicProvider } from './anthropic/index.ts';
import { azureOpenAIProvider } from './azure-openai/index.ts';
import { bedrockProvider } from './bedrock/index.ts';
import { cohereProvider } from './cohere/index.ts';
import { deepSeekProvider } from './deepseek/index.ts';
import { demoProvider } from './demo/index.ts';
import { geminiProvider } from './gemini/index.ts';
import { groqProvider } from './groq/index.ts';
import { mistralProvider } from './mistral/index.ts';
import { ollamaProvider } from './ollama/index.ts';
import { openAICompatibleProvider } from './openai-compatible/definition.ts';
import { openAIProvider } from './openai/index.ts';
import { openRouterProvider } from './openrouter/index.ts';
import { togetherProvider } from './together/index.ts';

/**
 * The provider registry: config `type` → definition. Adding a provider is one folder and one
 * line here (docs/adding-a-provider.md). The order is the order of no-config mode's providers.
 */
export const providerDefinitions: ReadonlyMap<string, ProviderDefinition> = new Map<string, ProviderDefinition>([
  ['openai', openAIProvider],
  ['anthropic', anthropicProvider],
  ['gemini', geminiProvider],
  ['azure-openai', azureOpenAIProvider],
  ['bedrock', bedrockProvider],
  ['groq', groqProvider],
  ['mistral', mistralProvider],
  ['cohere', cohereProvider],
  ['deepseek', deepSeekProvider],
  ['together', togetherProvider],
  ['openrouter', openRouterProvider],
  ['ollama', ollamaProvider],
  ['openai-compatible', openAICompatibleProvider],
  ['demo', demoProvider],
]);
