import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter } from '../openai-compatible/index.ts';

/**
 * Ollama through its OpenAI-compatible `/v1` API (../shared/specs/ollama/api.md). A base URL
 * given as Ollama's own origin (`http://localhost:11434`, as OLLAMA_BASE_URL usually is) gets
 * `/v1` appended. No key is needed; it runs on the operator's machine, so it counts as on-prem.
 */
export const ollamaProvider: ProviderDefinition = {
  create: (settings, dependencies) => {
    const baseUrl = (settings.baseUrl ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
    return createOpenAICompatibleAdapter({ ...settings, baseUrl: baseUrl.endsWith('/v1') ? baseUrl : `${baseUrl}/v1` }, dependencies);
  },
  defaultBaseUrl: 'http://127.0.0.1:11434/v1',
  environmentBaseUrl: 'OLLAMA_BASE_URL',
  catalogType: 'ollama',
  requiresApiKey: false,
  onPremDefault: true,
};
