import type { ProviderDefinition } from '../../core/provider-adapter.ts';
import { modelPathSegment, type ModelNameRule } from '../_shared/model-path.ts';
import { createOpenAICompatibleAdapter, openAIFlavor } from '../openai-compatible/index.ts';

/** The GA api-version used when the config names none (Azure OpenAI REST reference, 2024-10-21). */
const defaultApiVersion = '2024-10-21';

/**
 * Deployment names as Azure takes them: 1 to 64 letters, digits, "-", "_" and ".", starting with
 * a letter or digit (so never a `.`/`..` path segment).
 */
const deploymentName: ModelNameRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/,
  description: '1 to 64 letters, digits, "-", "_" or ".", starting with a letter or digit',
  kind: 'Azure OpenAI deployment name',
};

/**
 * Azure OpenAI: the model is a deployment in the URL
 * (`{base_url}/openai/deployments/{deployment}/chat/completions?api-version=...`), the key goes
 * in an `api-key` header, and the models entry's `upstream` is the deployment name. A base_url
 * that already ends in `/openai/deployments/<name>` is used as the deployment URL itself.
 * A base_url ending in `/openai/v1` is the v1 API (learn.microsoft.com/azure/ai-foundry/openai/
 * api-version-lifecycle): OpenAI's paths under it, the deployment as the body's `model`, and no
 * dated api-version ("removes the need for dated api-version parameters"); one set in the
 * config is still sent.
 */
export const azureOpenAIProvider: ProviderDefinition = {
  create: (settings, dependencies) => {
    const configured = typeof settings.options.api_version === 'string' ? settings.options.api_version : undefined;
    const apiVersion = configured ?? defaultApiVersion;
    return createOpenAICompatibleAdapter(settings, dependencies, {
      ...openAIFlavor,
      reasoningInHistory: 'drop',
      maxStopSequences: 4,
      // Throws the 400 for a deployment name Azure could not have (before the call is made).
      url: (baseUrl, operation, deployment) => {
        if (/\/openai\/v1$/.test(baseUrl)) return configured ? `${baseUrl}/${operation}?api-version=${encodeURIComponent(configured)}` : `${baseUrl}/${operation}`;
        const deploymentUrl = /\/openai\/deployments\/[^/]+$/.test(baseUrl)
          ? baseUrl
          : `${baseUrl}/openai/deployments/${modelPathSegment(deployment, deploymentName)}`;
        return `${deploymentUrl}/${operation}?api-version=${encodeURIComponent(apiVersion)}`;
      },
      authHeaders: (apiKey): Record<string, string> => (apiKey ? { 'api-key': apiKey } : {}),
    });
  },
  catalogType: 'openai',
  requiresApiKey: true,
};
