import { withStream } from '../_shared/with-stream.ts';
import { headersWithAccept } from '../_shared/accept-headers.ts';
import type { GatewayError } from '../../core/errors.ts';
import type { ChatResult } from '../../core/chat-result.ts';
import type { EmbeddingRequest, EmbeddingResult } from '../../core/embedding.ts';
import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderSettings } from '../../core/provider-adapter.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { warningsTransformer } from '../_shared/with-warnings.ts';
import { errorFromResponse, parseProviderJson, errorInAnswer, upstreamSource, type UpstreamSource } from '../_shared/upstream-error.ts';
import { postJson } from '../_shared/post-json.ts';
import { float32Base64 } from '../_shared/float32-base64.ts';
import { invalidAnswer, isJsonObject } from '../_shared/answer-shape.ts';
import { convertRequest, type OpenAIRequestDialect } from './convert-request.ts';
import { chatCompletionProblem, convertResponse, convertUsage, embeddingListProblem } from './convert-response.ts';
import { readOpenAIError } from './errors.ts';
import { chunkTransformer } from './stream.ts';
import type { OpenAIChatBody, OpenAIEmbeddingBody } from './wire-types.ts';

/**
 * How one OpenAI-style provider type differs from plain OpenAI: where requests go, how the key
 * is sent, and request-body quirks. Each provider folder (openai, groq, azure-openai, ...)
 * passes its own.
 */
export interface OpenAIFlavor extends OpenAIRequestDialect {
  /**
   * URL of an operation ("chat/completions", "embeddings") for a model. Throws a GatewayError
   * (400) when the model goes in the URL and is not a name the provider could have.
   */
  url(baseUrl: string, operation: 'chat/completions' | 'embeddings', model: string): string;
  /** Headers carrying the API key. */
  authHeaders(apiKey: string | undefined): Record<string, string>;
  /** False for providers without an embeddings endpoint. */
  embeddings: boolean;
  /** The server takes vLLM's `continue_final_message` (an `openai-compatible` provider's setting). */
  continueFinalMessage?: boolean;
  /** Answers report what each call cost (OpenRouter's `usage.cost`): the ledger records that. */
  reportsCost?: boolean;
}

/** Plain OpenAI behaviour, which compatible servers mostly share. */
export const openAIFlavor: OpenAIFlavor = {
  url: (baseUrl, operation) => `${baseUrl}/${operation}`,
  authHeaders: (apiKey): Record<string, string> => (apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
  maxTokensField: 'max_tokens',
  streamUsage: true,
  embeddings: true,
};

/** An adapter for any server speaking the OpenAI Chat Completions and Embeddings APIs. */
export function createOpenAICompatibleAdapter(
  settings: ProviderSettings,
  dependencies: AdapterDependencies,
  flavor: OpenAIFlavor = openAIFlavor,
): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? '').replace(/\/+$/, '');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    ...settings.headers,
    ...flavor.authHeaders(settings.apiKey),
  };
  const provider = settings.id;
  const source = upstreamSource(settings);

  const withAccept = headersWithAccept(headers);
  const post = (operation: 'chat/completions' | 'embeddings', body: unknown, call: ProviderCall, accept: string, bytes?: Uint8Array) => {
    const post = { url: flavor.url(baseUrl, operation, call.model), headers: withAccept(accept), body: bytes ?? JSON.stringify(body), call, source };
    return postJson(dependencies.http, post, (response) => errorFromResponse(response, source, readOpenAIError));
  };

  const adapter: ProviderAdapter = {
    id: settings.id,
    type: settings.type,
    nativeFormat: 'openai-chat',
    // OpenAI's Chat Completions cannot continue a partial answer (it would answer afresh): only a
    // server configured as vLLM's (`continue_final_message`) takes part in stream resume.
    ...(flavor.continueFinalMessage ? { continuation: { accepts: () => true } } : {}),

    // Promise chains, not async functions: their suspended frames were kept for the provider's
    // whole answer time, or until its first token (executeChat's comment, src/router/execute.ts).
    // What they throw before the call is a rejection, as from an async function.
    chat(request, call) {
      try {
        const { body, bytes, warnings } = convertRequest(withStream(request, false), call.model, flavor);
        const native = request.native?.format === 'openai-chat';
        return post('chat/completions', body, call, 'application/json', bytes).then((response) =>
          response.text().then((text) => {
            const parsed = parseProviderJson(text, provider);
            if (isJsonObject(parsed) && parsed.error) throw errorFromBodyError(parsed, source);
            const problem = chatCompletionProblem(parsed);
            if (problem) throw invalidAnswer(provider, 'a chat completion', problem, response.status);
            const result: ChatResult = Object.assign(convertResponse(parsed as OpenAIChatBody, call.model, flavor.reportsCost), { warnings });
            if (native) result.native = { format: 'openai-chat', body: text };
            return result;
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    streamChat(request, call) {
      try {
        const { body, bytes, warnings, usageChunkInternal } = convertRequest(withStream(request, true), call.model, flavor);
        const chunks = chunkTransformer({ source, requestedModel: call.model, passthrough: request.native?.format === 'openai-chat', usageChunkInternal, reportsCost: flavor.reportsCost === true });
        return post('chat/completions', body, call, 'text/event-stream', bytes).then((response) =>
          guardStream(decodeServerSentEvents(response.body, chunks, warningsTransformer(warnings)), source),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
  if (flavor.embeddings) {
    adapter.embed = async (request: EmbeddingRequest, call: ProviderCall): Promise<EmbeddingResult> => {
      const body = request.native
        ? { ...request.native.body, model: call.model }
        : {
            model: call.model,
            input: request.input,
            ...(request.dimensions !== undefined ? { dimensions: request.dimensions } : {}),
            ...(request.encodingFormat ? { encoding_format: request.encodingFormat } : {}),
            ...(request.user ? { user: request.user } : {}),
          };
      const response = await post('embeddings', body, call, 'application/json');
      const text = await response.text();
      const answer = parseProviderJson(text, provider);
      if (isJsonObject(answer) && answer.error) throw errorFromBodyError(answer, source);
      const problem = embeddingListProblem(answer, request.input.length);
      if (problem) throw invalidAnswer(provider, 'an embeddings list', problem, response.status);
      const parsed = answer as OpenAIEmbeddingBody;
      const data = [...(parsed.data ?? [])].sort((left, right) => (left.index ?? 0) - (right.index ?? 0));
      const vectors = data.map((item) => item.embedding ?? []);
      // Without usage, the tokens are estimated (routing's count), not billed as none. Embeddings
      // produce no output tokens, whatever a server reports; OpenRouter's cost is read as a chat's.
      const reported = parsed.usage;
      const usage = convertUsage(
        reported ? { prompt_tokens: reported.prompt_tokens ?? 0, completion_tokens: 0, cost: reported.cost, is_byok: reported.is_byok, cost_details: reported.cost_details } : undefined,
        flavor.reportsCost,
      );
      // A server that ignores `encoding_format: "base64"` (the openai SDK's default) answers
      // floats, which the SDK would decode as base64 into garbage: they are encoded here
      // (_shared/float32-base64.ts) and the answer is rebuilt rather than relayed.
      if (request.encodingFormat === 'base64' && vectors.some((vector) => typeof vector !== 'string')) {
        return { model: parsed.model ?? call.model, embeddings: vectors.map((vector) => (typeof vector === 'string' ? vector : float32Base64(vector))), usage };
      }
      return { model: parsed.model ?? call.model, embeddings: vectors, usage, native: { format: 'openai-embeddings', body: text } };
    };
  }
  return adapter;
}

/** A 200 whose body is an error object (some compatible servers do this; OpenRouter's carry `metadata`). */
function errorFromBodyError(body: { error?: unknown }, source: UpstreamSource): GatewayError {
  return errorInAnswer(source, readOpenAIError(body).message);
}
