import { withStream } from '../_shared/with-stream.ts';
import { claudeCachePrices } from '../_shared/claude-cache-prices.ts';
import { headersWithAccept } from '../_shared/accept-headers.ts';
import type { ChatResult } from '../../core/chat-result.ts';
import type { ChatRequest } from '../../core/chat-request.ts';
import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { decodeServerSentEvents } from '../_shared/sse.ts';
import { errorFromResponse, parseProviderJson, upstreamSource } from '../_shared/upstream-error.ts';
import { warningsTransformer } from '../_shared/with-warnings.ts';
import { postJson } from '../_shared/post-json.ts';
import { invalidAnswer, isJsonObject } from '../_shared/answer-shape.ts';
import { convertRequest } from './convert-request.ts';
import { convertResponse, messageProblem } from './convert-response.ts';
import { errorFromAnthropicDetail, readAnthropicError } from './errors.ts';
import { messageStreamTransformer } from './stream.ts';
import type { AnthropicMessage } from './wire-types.ts';

/**
 * The API version this adapter speaks (Anthropic's versioning page; every request must name
 * one). A provider's `headers` may override it, and add `anthropic-beta`.
 */
const anthropicVersion = '2023-06-01';

/** Anthropic's Messages API. Base URL is the bare origin, as Anthropic's SDKs take it. */

/** The OpenAI-format fields whose breakpoints this adapter sends as `cache_control`. */
const promptCachingFields: ReadonlySet<string> = new Set(['prompt_cache_breakpoint', 'cache_control']);

export const anthropicProvider: ProviderDefinition = {
  create: createAnthropicAdapter,
  defaultBaseUrl: 'https://api.anthropic.com',
  environmentKey: 'ANTHROPIC_API_KEY',
  catalogType: 'anthropic',
  requiresApiKey: true,
  cachePriceMultipliers: () => claudeCachePrices,
};

/** An adapter for `POST ${baseUrl}/v1/messages`. Anthropic has no embeddings API. */
export function createAnthropicAdapter(settings: ProviderSettings, dependencies: AdapterDependencies): ProviderAdapter {
  const url = `${(settings.baseUrl ?? '').replace(/\/+$/, '')}/v1/messages`;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'anthropic-version': anthropicVersion,
    ...settings.headers,
    ...(settings.apiKey ? { 'x-api-key': settings.apiKey } : {}),
  };
  const provider = settings.id;
  const source = upstreamSource(settings);

  const withAccept = headersWithAccept(headers);
  const post = (body: unknown, call: ProviderCall, accept: string, callerHeaders?: Record<string, string>) => {
    // A passed-through body goes with the caller's anthropic-version/-beta, which define how it reads.
    const post = { url, headers: callerHeaders ? Object.assign({}, headers, callerHeaders, { accept }) : withAccept(accept), body: JSON.stringify(body), call, source };
    return postJson(dependencies.http, post, (response) => errorFromResponse(response, source, readAnthropicError));
  };

  return {
    id: settings.id,
    type: settings.type,
    nativeFormat: 'anthropic-messages',
    // The OpenAI format's prompt-caching breakpoints become cache_control (convert-messages.ts).
    translates: promptCachingFields,
    // Prefill continues an answer, but not with extended thinking (the final assistant turn would
    // have to start with a thinking block), and structured output is left out to be safe.
    continuation: { accepts: (request) => request.thinkingBudgetTokens === undefined && request.responseFormat?.type !== 'json_schema' },

    // Promise chains, not async functions, as the OpenAI-compatible adapter's (their frames were
    // kept for the provider's whole answer time; docs/decisions/0012-hot-path.md).
    chat(request, call) {
      try {
        const { body, warnings } = convertRequest(withStream(request, false), call);
        const passthrough = request.native?.format === 'anthropic-messages';
        return post(body, call, 'application/json', passthroughHeaders(request)).then((response) =>
          response.text().then((text) => {
            const parsed = parseProviderJson(text, provider);
            if (isJsonObject(parsed) && parsed.type === 'error') throw errorFromAnthropicDetail((parsed as AnthropicMessage).error, source);
            const problem = messageProblem(parsed);
            if (problem) throw invalidAnswer(provider, 'a message', problem, response.status);
            const result: ChatResult = convertResponse(parsed as AnthropicMessage, call.model);
            // In passthrough the caller gets the native body, server-tool blocks included.
            result.warnings = passthrough ? warnings : [...warnings, ...result.warnings];
            if (passthrough) result.native = { format: 'anthropic-messages', body: text };
            return result;
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    streamChat(request, call) {
      try {
        const { body, warnings } = convertRequest(withStream(request, true), call);
        const messages = messageStreamTransformer({ source, requestedModel: call.model, passthrough: request.native?.format === 'anthropic-messages' });
        return post(body, call, 'text/event-stream', passthroughHeaders(request)).then((response) =>
          guardStream(decodeServerSentEvents(response.body, messages, warningsTransformer(warnings)), source),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
}

/** The caller's protocol headers, when its body is sent as it came. */
function passthroughHeaders(request: ChatRequest): Record<string, string> | undefined {
  return request.native?.format === 'anthropic-messages' ? request.native.headers : undefined;
}
