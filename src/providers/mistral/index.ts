import { failedGeneration, reportedUsage } from '../_shared/failed-generation.ts';
import { withStream } from '../_shared/with-stream.ts';
import { headersWithAccept } from '../_shared/accept-headers.ts';
import type { ChatResult } from '../../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { errorFromResponse, parseProviderJson, upstreamSource } from '../_shared/upstream-error.ts';
import { warningsTransformer } from '../_shared/with-warnings.ts';
import { postJson } from '../_shared/post-json.ts';
import { invalidAnswer } from '../_shared/answer-shape.ts';
import { embeddingExtras, embeddingTexts } from '../_shared/embedding-request.ts';
import { chatCompletionProblem, embeddingListProblem } from '../openai-compatible/convert-response.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse, convertUsage } from './convert-response.ts';
import { readMistralError } from './errors.ts';
import { dropPrefix } from './prefix.ts';
import { mistralChunkTransformer } from './stream.ts';
import type { MistralChatBody, MistralEmbeddingBody } from './wire-types.ts';

/** Mistral's La Plateforme API (docs/providers/mistral.md). */
export const mistralProvider: ProviderDefinition = {
  create: (settings, dependencies) => createMistralAdapter(settings, dependencies),
  defaultBaseUrl: 'https://api.mistral.ai/v1',
  environmentKey: 'MISTRAL_API_KEY',
  catalogType: 'mistral',
  requiresApiKey: true,
};

/**
 * EmbeddingRequest fields (../shared/specs/mistral/openapi.yaml) a caller may give by Mistral's
 * names, sent as they are: `output_dtype` (float, int8, uint8, binary, ubinary) and
 * `output_dimension`. Its `encoding_format` is not one: floats are asked for and encoded here.
 */
const relayableEmbeddingFields: ReadonlySet<string> = new Set(['output_dtype', 'output_dimension']);

/**
 * POST {base}/chat/completions and {base}/embeddings with a Bearer key
 * (../shared/specs/mistral/openapi.yaml). No OpenAI passthrough: Mistral rejects fields it does
 * not define with a 422, so bodies are always built from the typed request (convert-request.ts).
 */
export function createMistralAdapter(settings: ProviderSettings, dependencies: AdapterDependencies): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? mistralProvider.defaultBaseUrl!).replace(/\/+$/, '');
  const provider = settings.id;
  const source = upstreamSource(settings);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...settings.headers,
    ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
  };

  const withAccept = headersWithAccept(headers);

  const post = (operation: 'chat/completions' | 'embeddings', body: unknown, call: ProviderCall, accept: string) => {
    const post = { url: `${baseUrl}/${operation}`, headers: withAccept(accept), body: JSON.stringify(body), call, source };
    return postJson(dependencies.http, post, (response) => errorFromResponse(response, source, readMistralError));
  };

  return {
    id: settings.id,
    type: settings.type,
    // Its answer starts with the prefix ("force the model to start its answer by the content of
    // the message"), which the resume drops rather than repeat it.
    continuation: { accepts: () => true, mayRepeatPrefix: true },

    // Promise chains, not async functions, as the OpenAI-compatible adapter's (their frames were
    // kept for the provider's whole answer time; docs/decisions/0012-hot-path.md).
    chat(request, call): Promise<ChatResult> {
      try {
        const { body, warnings, prefill } = convertRequest(withStream(request, false), call.model);
        return post('chat/completions', body, call, 'application/json').then((response) =>
          response.text().then((text) => {
            const parsed = parseProviderJson(text, provider) as MistralChatBody;
            // ChatCompletionResponse has OpenAI's shape: `choices`, each with a `message` (openapi.yaml ChatCompletionChoice).
            const problem = chatCompletionProblem(parsed);
            if (problem) throw invalidAnswer(provider, 'a chat completion', problem, response.status);
            const result = convertResponse(parsed, call.model);
            // The answer repeats the caller's prefill before continuing it (prefix.ts).
            const first = result.content.find((part) => part.type === 'text');
            if (first && prefill) first.text = dropPrefix(first.text, prefill);
            if (result.finishReason === 'error') {
              // finish_reason "error": the generation failed; never return it as an answer.
              throw failedGeneration(source, 'finish_reason', 'error', response.status, reportedUsage(result.usage));
            }
            return Object.assign(result, { warnings });
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    streamChat(request, call) {
      try {
        const { body, warnings, prefill } = convertRequest(withStream(request, true), call.model);
        return post('chat/completions', body, call, 'text/event-stream').then((response) => {
          const chunks = mistralChunkTransformer({ source, requestedModel: call.model, ...(prefill ? { prefill } : {}) });
          return guardStream(decodeServerSentEvents(response.body, chunks, warningsTransformer(warnings)), source);
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async embed(request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResult> {
      // EmbeddingRequest: float vectors are asked for and base64-encoded here when the caller wants
      // base64, so the bytes are exactly OpenAI's (little-endian float32).
      // EmbeddingRequest.input is a string or strings: token-id inputs are a 400 before the call.
      const input = embeddingTexts(request, 'Mistral');
      const { relayed, warnings } = embeddingExtras(request, relayableEmbeddingFields, 'Mistral');
      const body = {
        ...relayed,
        model: call.model,
        input,
        ...(request.dimensions !== undefined ? { output_dimension: request.dimensions } : {}),
      };
      const response = await post('embeddings', body, call, 'application/json');
      const parsed = parseProviderJson(await response.text(), provider) as MistralEmbeddingBody;
      // EmbeddingResponse: `data` of EmbeddingResponseData, whose `embedding` is a list of numbers.
      const problem = embeddingListProblem(parsed, request.input.length, false);
      if (problem) throw invalidAnswer(provider, 'an embeddings list', problem, response.status);
      const data = [...(parsed.data ?? [])].sort((left, right) => (left.index ?? 0) - (right.index ?? 0));
      const vectors = data.map((item) => item.embedding ?? []);
      return {
        model: parsed.model ?? call.model,
        embeddings: request.encodingFormat === 'base64' ? vectors.map(float32Base64) : vectors,
        usage: { ...convertUsage(parsed.usage), outputTokens: 0 },
        ...(warnings.length > 0 ? { warnings } : {}),
      };
    },
  };
}
