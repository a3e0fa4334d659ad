import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { parseServerSentEvents } from '../_shared/sse.ts';
import { parseProviderJson } from '../_shared/upstream-error.ts';
import { withWarnings } from '../_shared/with-warnings.ts';
import { postJson } from '../_shared/post-json.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse } from './convert-response.ts';
import { convertEmbeddingRequest, convertEmbeddingResponse } from './embeddings.ts';
import { errorFromGeminiResponse } from './errors.ts';
import { createGeminiStreamTransform, terminateLastEvent } from './stream.ts';
import type { GeminiBatchEmbedResponse, GeminiResponse } from './wire-types.ts';

/** Google's Gemini Developer API (generativelanguage.googleapis.com), v1beta. */
export const geminiProvider: ProviderDefinition = {
  create: (settings, dependencies) => createGeminiAdapter(settings, dependencies),
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  environmentKey: 'GEMINI_API_KEY',
  catalogType: 'gemini',
  requiresApiKey: true,
};

type Method = 'generateContent' | 'streamGenerateContent' | 'batchEmbedContents';

/**
 * An adapter for the Gemini API. Paths follow the google.api.http options of
 * generative_service.proto: `POST /v1beta/{model=models/*}:<method>`. The key goes in the
 * `x-goog-api-key` header, never in a `?key=` query: URLs end up in logs.
 */
export function createGeminiAdapter(settings: ProviderSettings, dependencies: AdapterDependencies): ProviderAdapter {
  // The base URL is the bare origin, as Google's SDKs take it; a trailing /v1beta is tolerated.
  const baseUrl = (settings.baseUrl ?? geminiProvider.defaultBaseUrl!).replace(/\/+$/, '').replace(/\/v1beta$/, '');
  const provider = settings.id;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...settings.headers,
    ...(settings.apiKey ? { 'x-goog-api-key': settings.apiKey } : {}),
  };

  const post = async (method: Method, body: unknown, call: ProviderCall, accept: string) => {
    const query = method === 'streamGenerateContent' ? '?alt=sse' : '';
    const post = { url: `${baseUrl}/v1beta/${modelPath(call.model)}:${method}${query}`, headers: { ...headers, accept }, body: JSON.stringify(body), call, provider };
    return postJson(dependencies.http, post, (response) => errorFromGeminiResponse(response, provider));
  };

  return {
    id: settings.id,
    type: settings.type,

    async chat(request, call) {
      const { body, warnings } = await convertRequest(request, { images: dependencies.images, signal: call.signal });
      const response = await post('generateContent', body, call, 'application/json');
      const parsed = parseProviderJson(await response.text(), provider) as GeminiResponse;
      const result = convertResponse(parsed, call.model);
      return { ...result, warnings: [...warnings, ...result.warnings] };
    },

    async streamChat(request, call) {
      const { body, warnings } = await convertRequest(request, { images: dependencies.images, signal: call.signal });
      const response = await post('streamGenerateContent', body, call, 'text/event-stream');
      const events = parseServerSentEvents(terminateLastEvent(response.body)).pipeThrough(createGeminiStreamTransform({ provider, requestedModel: call.model }));
      return guardStream(withWarnings(events, warnings), provider);
    },

    async embed(request, call) {
      const body = convertEmbeddingRequest(request, modelPath(call.model));
      const response = await post('batchEmbedContents', body, call, 'application/json');
      const parsed = parseProviderJson(await response.text(), provider) as GeminiBatchEmbedResponse;
      return convertEmbeddingResponse(parsed, request, call.model, provider);
    },
  };
}

/** `gemini-2.5-flash` → `models/gemini-2.5-flash`; names already qualified (`tunedModels/...`) stay. */
function modelPath(model: string): string {
  return /^(models|tunedModels)\//.test(model) ? model : `models/${model}`;
}
