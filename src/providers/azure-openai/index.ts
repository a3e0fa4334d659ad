import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/** The GA api-version used when the config names none (Azure OpenAI REST reference, 2024-10-21). */
const defaultApiVersion = '2024-10-21';

/**
 * Azure OpenAI: the model is a deployment in the URL
 * (`{base_url}/openai/deployments/{deployment}/chat/completions?api-version=...`), the key goes
 * in an `api-key` header, and the models entry's `upstream` is the deployment name. A base_url
 * that already ends in `/openai/deployments/<name>` is used as the deployment URL itself.
 */
export const azureOpenAIProvider: ProviderDefinition = {
  create: (settings, dependencies) => {
    const apiVersion = typeof settings.options.api_version === 'string' ? settings.options.api_version : defaultApiVersion;
    return createOpenAICompatibleAdapter(settings, dependencies, {
      ...openAIFlavor,
      url: (baseUrl, operation, deployment) => {
        const deploymentUrl = /\/openai\/deployments\/[^/]+$/.test(baseUrl)
          ? baseUrl
          : `${baseUrl}/openai/deployments/${encodeURIComponent(deployment)}`;
        return `${deploymentUrl}/${operation}?api-version=${encodeURIComponent(apiVersion)}`;
      },
      authHeaders: (apiKey): Record<string, string> => (apiKey ? { 'api-key': apiKey } : {}),
    });
  },
  catalogType: 'openai',
  requiresApiKey: true,
};
