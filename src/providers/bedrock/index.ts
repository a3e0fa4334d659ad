import { randomUUID } from 'node:crypto';
import { claudeCachePrices } from '../_shared/claude-cache-prices.ts';
import type { AdapterDependencies, ProviderAdapter, ProviderCall, ProviderDefinition, ProviderSettings } from '../../core/provider-adapter.ts';
import type { UpstreamResponse } from '../../core/http-client.ts';
import { failedGeneration, reportedUsage } from '../_shared/failed-generation.ts';
import { guardStream } from '../_shared/guard-stream.ts';
import { parseProviderJson, upstreamSource } from '../_shared/upstream-error.ts';
import { withWarnings } from '../_shared/with-warnings.ts';
import { postJson } from '../_shared/post-json.ts';
import { invalidAnswer } from '../_shared/answer-shape.ts';
import { modelPath, resolveConnection, type Environment } from './connection.ts';
import { convertRequest } from './convert-request.ts';
import { converseProblem, convertResponse } from './convert-response.ts';
import { embedWithBedrock } from './embeddings.ts';
import { errorFromBedrockResponse } from './errors.ts';
import { parseEventStream } from './event-stream.ts';
import { promptCachingFields } from './prompt-cache.ts';
import { createConverseStreamTransform } from './stream.ts';
import type { ConverseResponseBody } from './wire-types.ts';

/**
 * Amazon Bedrock Runtime: chat through Converse / ConverseStream, embeddings through InvokeModel.
 * The endpoint derives from the region (a config `base_url` overrides it) and the credentials
 * are AWS credentials or a Bedrock API key, so neither a base URL nor an api_key is required.
 */
export const bedrockProvider: ProviderDefinition = {
  create: (settings, dependencies) => createBedrockAdapter(settings, dependencies),
  requiresBaseUrl: false,
  catalogType: 'bedrock',
  requiresApiKey: false,
  // Claude on Bedrock is priced as on Anthropic; other vendors' models publish their own, or none.
  cachePriceMultipliers: (upstream) => (/anthropic\.|claude/i.test(upstream) ? claudeCachePrices : undefined),
};

/**
 * An adapter for one configured Bedrock provider. Region and credentials are resolved once, here
 * (config first, then the environment; see connection.ts), so a missing one fails at startup.
 */
export function createBedrockAdapter(settings: ProviderSettings, dependencies: AdapterDependencies, environment: Environment = process.env): ProviderAdapter {
  const connection = resolveConnection(settings, environment);
  const provider = settings.id;
  const source = upstreamSource(settings, connection.secrets);

  // The path first, checked before anything else is done (modelPath: a 400 for an impossible id).
  // A promise chain, the signing a link of it. It is only called inside a .then callback or an
  // async function, so what it throws before signing still reaches the caller as a rejection.
  const post = (path: string, body: unknown, call: ProviderCall, accept: string): Promise<UpstreamResponse> => {
    const url = new URL(`${connection.baseUrl}${path}`);
    const text = JSON.stringify(body);
    return connection.authorize(url, { ...settings.headers, 'content-type': 'application/json', accept }, text).then((headers) =>
      postJson(dependencies.http, { url: url.toString(), headers, body: text, call, source }, (response) => errorFromBedrockResponse(response, source)),
    );
  };

  return {
    id: settings.id,
    type: settings.type,
    // The OpenAI format's prompt-caching breakpoints become cachePoint blocks where the model
    // takes them, else a warning says they were not sent (prompt-cache.ts).
    translates: promptCachingFields,

    // Promise chains, not async functions, as the OpenAI-compatible adapter's (their frames were
    // kept for the provider's whole answer time; docs/decisions/0012-hot-path.md). The request's
    // conversion (it may fetch images) and the signing are asynchronous: links of the chain too.
    chat(request, call) {
      try {
        const path = modelPath(call.model, 'converse');
        return convertRequest(request, call.model, { images: dependencies.images, signal: call.signal }).then(({ body, warnings }) =>
          post(path, body, call, 'application/json').then((response) =>
            response.text().then((text) => {
              const parsed = parseProviderJson(text, provider);
              const problem = converseProblem(parsed);
              if (problem) throw invalidAnswer(provider, 'a ConverseResponse', problem, response.status);
              const result = convertResponse(parsed as ConverseResponseBody, { id: requestId(response), model: call.model });
              if (result.finishReason === 'error') {
                // stopReason malformed_model_output or malformed_tool_use (as Mistral's and Cohere's finish_reason "error").
                throw failedGeneration(source, 'stopReason', result.rawFinishReason ?? 'error', response.status, reportedUsage(result.usage));
              }
              // Assigned, not spread into a new literal: docs/decisions/0021-no-spread-then-properties-on-the-hot-path.md.
              return Object.assign(result, { warnings });
            }),
          ),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    streamChat(request, call) {
      try {
        const path = modelPath(call.model, 'converse-stream');
        return convertRequest(request, call.model, { images: dependencies.images, signal: call.signal }).then(({ body, warnings }) =>
          post(path, body, call, 'application/vnd.amazon.eventstream').then((response) => {
            const events = parseEventStream(response.body, provider).pipeThrough(
              createConverseStreamTransform({ source, id: requestId(response), model: call.model }),
            );
            return guardStream(withWarnings(events, warnings), source);
          }),
        );
      } catch (error) {
        return Promise.reject(error);
      }
    },

    async embed(request, call) {
      const path = modelPath(call.model, 'invoke');
      return embedWithBedrock(request, call.model, provider, async (body) => {
        const response = await post(path, body, call, 'application/json');
        const parsed = parseProviderJson(await response.text(), provider);
        // InvokeModel reports the prompt's token count in a header for every model.
        const header = firstHeader(response, 'x-amzn-bedrock-input-token-count');
        const count = header === undefined ? Number.NaN : Number(header);
        return { body: parsed, ...(Number.isInteger(count) && count >= 0 ? { inputTokens: count } : {}) };
      });
    },
  };
}

/** Bedrock's request id (`x-amzn-requestid`) names the answer; Converse bodies carry no id. */
function requestId(response: UpstreamResponse): string {
  return firstHeader(response, 'x-amzn-requestid') ?? `bedrock-${randomUUID()}`;
}

function firstHeader(response: UpstreamResponse, name: string): string | undefined {
  const value = response.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
