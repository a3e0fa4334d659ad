import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import { failedGeneration, reportedUsage } from '../_shared/failed-generation.ts';
import { headersWithAccept } from '../_shared/accept-headers.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { modelPathSegment, type ModelNameRule } from '../_shared/model-path.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { parseProviderJson, upstreamSource } from '../_shared/upstream-error.ts';
import { warningsTransformer } from '../_shared/with-warnings.ts';
import { postJson } from '../_shared/post-json.ts';
import { invalidAnswer } from '../_shared/answer-shape.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse, generateContentProblem } from './convert-response.ts';
import { convertEmbeddingRequest, convertEmbeddingResponse, geminiEmbedBatch } from './embeddings.ts';
import { embedInBatches, embeddingExtras, embeddingTexts } from '../_shared/embedding-request.ts';
import { errorFromBlockedPrompt, errorFromEmptyAnswer, errorFromGeminiResponse } from './errors.ts';
import { geminiStreamTransformer } from './stream.ts';
import type { GeminiBatchEmbedResponse, GeminiResponse } from './wire-types.ts';

/** Google's Gemini Developer API (generativelanguage.googleapis.com), v1beta. */
export const geminiProvider: ProviderDefinition = {
  create: (settings, dependencies) => createGeminiAdapter(settings, dependencies),
  defaultBaseUrl: 'https://generativelanguage.googleapis.com',
  environmentKey: 'GEMINI_API_KEY',
  catalogType: 'gemini',
  requiresApiKey: true,
};

/** Gemini's EmbedContentRequest fields are its own (camelCase, per input): none is relayed by name. */
const noRelayableEmbeddingFields: ReadonlySet<string> = new Set();

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
  const source = upstreamSource(settings);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...settings.headers,
    ...(settings.apiKey ? { 'x-goog-api-key': settings.apiKey } : {}),
  };

  const withAccept = headersWithAccept(headers);

  const post = (path: string, method: Method, body: unknown, call: ProviderCall, accept: string) => {
    const query = method === 'streamGenerateContent' ? '?alt=sse' : '';
    const post = { url: `${baseUrl}/v1beta/${path}:${method}${query}`, headers: withAccept(accept), body: JSON.stringify(body), call, source };
    return postJson(dependencies.http, post, (response) => errorFromGeminiResponse(response, source));
  };

  return {
    id: settings.id,
    type: settings.type,

    // Promise chains, not async functions, as the OpenAI-compatible adapter's (their frames were
    // kept for the provider's whole answer time; docs/decisions/0012-hot-path.md). The request's
    // conversion is asynchronous (it may fetch images): one more link of the chain.
    chat(request, call) {
      try {
        const path = modelPath(call.model);
        return convertRequest(request, { images: dependencies.images, signal: call.signal }).then(({ body, warnings }) =>
          post(path, 'generateContent', body, call, 'application/json').then((response) =>
            response.text().then((text) => {
              const parsed = parseProviderJson(text, provider) as GeminiResponse;
              const problem = generateContentProblem(parsed);
              if (problem) throw invalidAnswer(provider, 'a GenerateContentResponse', problem, response.status);
              const blockReason = parsed.promptFeedback?.blockReason;
              if (blockReason) throw errorFromBlockedPrompt(blockReason, source);
              if (!parsed.candidates?.length) throw errorFromEmptyAnswer(source);
              const result = convertResponse(parsed, call.model);
              if (result.finishReason === 'error') throw failedGeneration(source, 'finishReason', result.rawFinishReason ?? 'error', response.status, reportedUsage(result.usage));
              return Object.assign(result, { warnings: [...warnings, ...result.warnings] });
            }),
          ),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    streamChat(request, call) {
      try {
        const path = modelPath(call.model);
        return convertRequest(request, { images: dependencies.images, signal: call.signal }).then(({ body, warnings }) =>
          post(path, 'streamGenerateContent', body, call, 'text/event-stream').then((response) => {
            const chunks = geminiStreamTransformer({ source, requestedModel: call.model });
            return guardStream(decodeServerSentEvents(response.body, chunks, warningsTransformer(warnings)), source);
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async embed(request, call) {
      const path = modelPath(call.model);
      const { warnings } = embeddingExtras(request, noRelayableEmbeddingFields, 'Gemini');
      const texts = embeddingTexts(request, 'Gemini');
      const result = await embedInBatches(texts, geminiEmbedBatch, async (input) => {
        const batch = { ...request, input };
        const response = await post(path, 'batchEmbedContents', convertEmbeddingRequest(batch, path), call, 'application/json');
        const parsed = parseProviderJson(await response.text(), provider) as GeminiBatchEmbedResponse;
        return convertEmbeddingResponse(parsed, batch, call.model, provider);
      });
      return warnings.length > 0 ? { ...result, warnings } : result;
    },
  };
}

/**
 * Model ids as the protos name them (model.proto `models/{model}`, e.g. `gemini-2.5-flash-001`;
 * tuned_model.proto `tunedModels/{tuned_model}`, e.g. `sentence-translator-u3b7m`): one path
 * segment of letters, digits, "-", "_" and ".", starting with a letter or digit.
 */
const modelId: ModelNameRule = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
  description: 'a model id of letters, digits, "-", "_" and ".", starting with a letter or digit (optionally after "models/" or "tunedModels/")',
  kind: 'Gemini model name',
};

const qualifiedName = /^(models|tunedModels)\/(.*)$/s;

/**
 * `gemini-2.5-flash` → `models/gemini-2.5-flash`; a name already qualified (`models/...`,
 * `tunedModels/...`) keeps its collection. The id is checked and encoded (a 400 before any call
 * for a name Gemini could not have, such as `../../evil/path?`).
 */
function modelPath(model: string): string {
  const qualified = qualifiedName.exec(model);
  return `${qualified?.[1] ?? 'models'}/${modelPathSegment(qualified?.[2] ?? model, modelId)}`;
}
