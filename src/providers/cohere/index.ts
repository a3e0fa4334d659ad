import { reportedUsage } from '../_shared/failed-generation.ts';
import { withStream } from '../_shared/with-stream.ts';
import { headersWithAccept } from '../_shared/accept-headers.ts';
import type { ChatResult } from '../../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { errorFromResponse, parseProviderJson, upstreamError, upstreamSource } from '../_shared/upstream-error.ts';
import { warningsTransformer } from '../_shared/with-warnings.ts';
import { postJson } from '../_shared/post-json.ts';
import { invalidAnswer, isJsonObject, vectorListProblem } from '../_shared/answer-shape.ts';
import { embedInBatches, embeddingExtras, embeddingTexts } from '../_shared/embedding-request.ts';
import { convertRequest } from './convert-request.ts';
import { chatResponseProblem, convertResponse } from './convert-response.ts';
import { readCohereError } from './errors.ts';
import { cohereEventTransformer } from './stream.ts';
import type { CohereChatBody, CohereEmbedBody } from './wire-types.ts';

/**
 * Cohere's Chat v2 and Embed v2 APIs (docs/providers/cohere.md). No `environmentKey`: the
 * product spec's no-config list does not include Cohere, so it is configured explicitly.
 */
export const cohereProvider: ProviderDefinition = {
  create: (settings, dependencies) => createCohereAdapter(settings, dependencies),
  defaultBaseUrl: 'https://api.cohere.com',
  catalogType: 'cohere',
  requiresApiKey: true,
};

/** Embed v2's cap on `texts` (https://docs.cohere.com/reference/embed: "Maximum number of texts per call is 96"). */
const cohereEmbedBatch = 96;

/**
 * Embed v2 fields an OpenAI-ingress caller may give under Cohere's own names and meaning
 * (https://docs.cohere.com/reference/embed; the ingress lets them through, request-fields.ts):
 * `truncate` (NONE | START | END) and `output_dimension`. The others are warned of.
 */
const relayableEmbedFields: ReadonlySet<string> = new Set(['truncate', 'output_dimension']);

/**
 * POST {origin}/v2/chat and {origin}/v2/embed with a Bearer key. The base URL is the bare origin,
 * as Cohere's SDKs take it (https://docs.cohere.com/reference/chat: `POST https://api.cohere.com/v2/chat`).
 */
export function createCohereAdapter(settings: ProviderSettings, dependencies: AdapterDependencies): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? cohereProvider.defaultBaseUrl!).replace(/\/+$/, '');
  const provider = settings.id;
  const source = upstreamSource(settings);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...settings.headers,
    ...(settings.apiKey ? { authorization: `Bearer ${settings.apiKey}` } : {}),
  };

  const withAccept = headersWithAccept(headers);

  const post = (path: '/v2/chat' | '/v2/embed', body: unknown, call: ProviderCall, accept: string) => {
    const post = { url: `${baseUrl}${path}`, headers: withAccept(accept), body: JSON.stringify(body), call, source };
    return postJson(dependencies.http, post, (response) => errorFromResponse(response, source, readCohereError));
  };

  return {
    id: settings.id,
    type: settings.type,

    // Promise chains, not async functions, as the OpenAI-compatible adapter's (their frames were
    // kept for the provider's whole answer time; docs/decisions/0012-hot-path.md).
    chat(request, call): Promise<ChatResult> {
      try {
        const { body, warnings } = convertRequest(withStream(request, false), call.model);
        return post('/v2/chat', body, call, 'application/json').then((response) =>
          response.text().then((text) => {
            const parsed = parseProviderJson(text, provider) as CohereChatBody;
            const problem = chatResponseProblem(parsed);
            if (problem) throw invalidAnswer(provider, 'a chat response', problem, response.status);
            const result = convertResponse(parsed, call.model, request.stop);
            if (result.finishReason === 'error') {
              // ERROR / TIMEOUT: the generation failed; never return it as an answer.
              const code = parsed.finish_reason === 'TIMEOUT' ? 'SB_ERR_UPSTREAM_TIMEOUT' : 'SB_ERR_UPSTREAM_ERROR';
              throw upstreamError(code, source, `Provider "${provider}" ended the generation with finish_reason`, parsed.finish_reason ?? 'ERROR', { upstreamStatus: response.status, usage: reportedUsage(result.usage) });
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
        const { body, warnings } = convertRequest(withStream(request, true), call.model);
        return post('/v2/chat', body, call, 'text/event-stream').then((response) => {
          const chunks = cohereEventTransformer({ source, requestedModel: call.model, stops: request.stop });
          return guardStream(decodeServerSentEvents(response.body, chunks, warningsTransformer(warnings)), source);
        });
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async embed(request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResult> {
      // Embed v2 (https://docs.cohere.com/reference/embed): `input_type` is required for v3+
      // models; float vectors are asked for and base64-encoded here when the caller wants base64.
      // "Maximum number of texts per call is 96": more are sent in calls of 96, joined in order.
      const texts = embeddingTexts(request, 'Cohere');
      const { relayed, warnings } = embeddingExtras(request, relayableEmbedFields, 'Cohere');
      const result = await embedInBatches(texts, cohereEmbedBatch, async (batch) => {
        const body = {
          ...relayed,
          model: call.model,
          texts: batch,
          input_type: request.inputType ?? 'search_document',
          embedding_types: ['float'],
          ...(request.dimensions !== undefined ? { output_dimension: request.dimensions } : {}),
        };
        const response = await post('/v2/embed', body, call, 'application/json');
        const parsed = parseProviderJson(await response.text(), provider) as CohereEmbedBody;
        // EmbedByTypeResponse: `embeddings.float` holds one vector per text, as asked by embedding_types.
        const floats = isJsonObject(parsed) && isJsonObject(parsed.embeddings) ? parsed.embeddings.float : undefined;
        const problem = vectorListProblem(floats, { name: 'embeddings.float', count: batch.length });
        if (problem) throw invalidAnswer(provider, 'an embeddings response', problem, response.status);
        const vectors = floats as number[][];
        const inputTokens = parsed.meta?.tokens?.input_tokens ?? parsed.meta?.billed_units?.input_tokens;
        return {
          model: call.model,
          embeddings: request.encodingFormat === 'base64' ? vectors.map(float32Base64) : vectors,
          usage: inputTokens === null || inputTokens === undefined ? { inputTokens: 0, outputTokens: 0, estimated: true } : { inputTokens, outputTokens: 0 },
        };
      });
      return warnings.length > 0 ? { ...result, warnings } : result;
    },
  };
}
