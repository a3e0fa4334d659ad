import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';
import { checkOllamaBody } from './fit-body.ts';

/**
 * Ollama through its OpenAI-compatible `/v1` API (docs/api/openai-compatibility.mdx in
 * ollama/ollama; ../shared/specs/ollama/api.md covers only the native /api/chat). The output
 * limit and earlier reasoning are renamed to the fields it reads (fit-body.ts). A base URL
 * given as Ollama's own origin (`http://localhost:11434`, as OLLAMA_BASE_URL usually is) gets
 * `/v1` appended. No key is needed; it runs on the operator's machine, so it counts as on-prem.
 */
export const ollamaProvider: ProviderDefinition = {
  create: (settings, dependencies) => {
    const baseUrl = (settings.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
    return createOpenAICompatibleAdapter({ ...settings, baseUrl: baseUrl.endsWith('/v1') ? baseUrl : `${baseUrl}/v1` }, dependencies, { ...openAIFlavor, checkBody: checkOllamaBody });
  },
  defaultBaseUrl: 'http://127.0.0.1:11434/v1',
  environmentBaseUrl: 'OLLAMA_BASE_URL',
  catalogType: 'ollama',
  requiresApiKey: false,
  onPremDefault: true,
};
